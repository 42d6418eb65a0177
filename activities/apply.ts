// applyBatch: send one batch of the stored plan to the target and record each outcome. Items run
// concurrently (bounded) where they cannot affect each other, in plan order otherwise. Safe to retry
// at any point: recorded items are never sent again, and a create that may have reached the vendor
// before a crash is looked up before it is re-sent.
import { itemsApplied } from '../telemetry/metrics';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { VendorError } from '../connectors/errors';
import type { ConnectorOperation } from '../connectors/types';
import { SupersededAttemptError, claimApplyLease, type ApplyLease } from '../db/repos/apply-leases';
import { getRun, loadBatchItems, markItemsAttempted, recordItemOutcomes, type ItemOutcome, type StoredRunItem } from '../db/repos/sync-runs';
import { listTaskLinksFor } from '../db/repos/task-links';
import type { EntityKind } from '../engine/model';
import type { Link, PlanAction } from '../engine/plan-types';
import { resolveAction } from '../engine/resolve';
import { sourceIdsToResolve, touchedEntities } from './apply-entities';
import { AttemptFence } from './attempt-fence';
import { runInDependencyOrder } from './dependency-order';
import type { ActivityDeps } from './deps';
import { EndpointsCache } from './endpoint-cache';
import { attemptIdentity, cancellationSignal, heartbeat } from './heartbeat';
import { OutcomeRecorder } from './outcome-recorder';
import { EarlierCreates } from './recover-create';
import { closeEndpoints, loadTaskRecord, openEndpoints, runActor, type TaskRecord } from './task';
import type { TaskEndpoints } from '../connectors/registry';
import type { ApplyBatchInput, ItemCounters } from './types';
import { transientFailure, vendorFailureDetails } from './vendor-failure';

/** Vendor calls in flight per batch unless ActivityDeps.applyConcurrency says otherwise. */
export const DEFAULT_APPLY_CONCURRENCY = 16;
/** The cursor is re-sent this often while items wait (on a rate limiter, say): the heartbeat timeout is 30 s. */
const HEARTBEAT_EVERY_MS = 5_000;

type LinkMaps = Record<EntityKind, Map<string, string>>;
/** Link changes recorded in the same transaction as the item's outcome. */
type LinkChanges = { link?: Link; forgetLinkOf?: { entity: EntityKind; targetId: string } };

function countOutcomes(items: readonly { status: string }[]): ItemCounters {
  const counters: ItemCounters = { succeeded: 0, failed: 0, skipped: 0 };
  for (const { status } of items) if (status === 'succeeded' || status === 'failed' || status === 'skipped') counters[status] += 1;
  return counters;
}

/** The operation's own fields, for the item's `after`: what was sent, in target ids. */
function sentFields(op: ConnectorOperation): unknown {
  switch (op.action) {
    case 'CreateDepartment':
      return op.department;
    case 'CreateUser':
      return op.user;
    case 'UpdateDepartment':
    case 'UpdateUser':
      return op.changes;
    case 'DisableUser':
      return { status: 'disabled' };
    case 'EnableUser':
      return { status: 'active' };
    default:
      return null;
  }
}

const actionOf = (item: StoredRunItem) => item.payload as unknown as PlanAction;
const isCreate = (action: PlanAction) => (action.kind === 'CreateUser' || action.kind === 'CreateDepartment') && action.sourceId !== null;

/** One attempt at one batch: the items still planned, the links they need, and where it stands. */
class BatchAttempt {
  private readonly links: LinkMaps = { department: new Map(), user: new Map() };
  private readonly recorder: OutcomeRecorder;
  private readonly earlier: EarlierCreates;
  private readonly fence: AttemptFence;
  private readonly marks = new Map<number, Promise<void>>();
  private readonly committed: boolean[];
  /** index in todo of the first item without a recorded outcome */
  private lowest = 0;

  constructor(
    private readonly deps: ActivityDeps,
    private readonly task: TaskRecord,
    private readonly endpoints: TaskEndpoints,
    private readonly batch: number,
    private readonly todo: StoredRunItem[],
    private readonly concurrency: number,
    private readonly lease: ApplyLease,
  ) {
    this.fence = new AttemptFence(deps.database.db, lease);
    this.recorder = new OutcomeRecorder((records) => recordItemOutcomes(deps.database.db, task.id, records, lease));
    this.earlier = new EarlierCreates(endpoints.target, endpoints.targetKind, endpoints.targetRootId);
    this.committed = todo.map(() => false);
  }

  async run(): Promise<void> {
    const ids = sourceIdsToResolve(this.todo.map(actionOf));
    for (const link of await listTaskLinksFor(this.deps.database.db, this.task.id, ids)) this.links[link.entity].set(link.sourceId, link.targetId);

    const signal = cancellationSignal();
    this.beat();
    const ticker = setInterval(() => this.beat(), HEARTBEAT_EVERY_MS);
    let outcome: { error?: unknown; started: number };
    try {
      outcome = await runInDependencyOrder({
        items: this.todo,
        concurrency: this.concurrency,
        touched: (item) => touchedEntities(actionOf(item)),
        run: (item, index) => this.applyItem(item, index),
        stopped: () => this.recorder.failed || this.fence.superseded || signal?.aborted === true,
      });
      await this.recorder.flush();
    } finally {
      clearInterval(ticker);
    }
    // The cursor tells the next attempt where this one stopped; recorded items are skipped anyway.
    this.beat();
    if (outcome.error !== undefined) {
      if (outcome.error instanceof VendorError) throw transientFailure(outcome.error);
      throw outcome.error;
    }
    if (signal?.aborted && outcome.started < this.todo.length) throw signal.reason instanceof Error ? signal.reason : new CancelledFailure('applyBatch cancelled');
  }

  /** Heartbeat cursor: every item of the batch before `seq` has a recorded outcome. */
  private beat(): void {
    const next = this.todo[this.lowest];
    heartbeat({ batch: this.batch, seq: next ? next.seq : this.todo[this.todo.length - 1].seq + 1 });
  }

  private record(index: number, outcome: ItemOutcome, extra: LinkChanges = {}): void {
    const item = this.todo[index];
    item.status = outcome.status;
    this.recorder.add({ itemId: item.id, outcome, ...extra }, () => {
      itemsApplied.inc({ action: item.action, outcome: outcome.status });
      this.committed[index] = true;
      while (this.lowest < this.todo.length && this.committed[this.lowest]) this.lowest += 1;
    });
  }

  /** Marks this create and the creates just after it as attempted in one statement, before any of them is sent. */
  private markAttempted(index: number): Promise<void> {
    const existing = this.marks.get(this.todo[index].id);
    if (existing) return existing;
    const group: number[] = [];
    for (let j = index; j < this.todo.length && j < index + 2 * this.concurrency; j++) {
      const other = this.todo[j];
      if (other.attemptedAt === null && isCreate(actionOf(other)) && !this.marks.has(other.id)) group.push(other.id);
    }
    const marking = markItemsAttempted(this.deps.database.db, group, this.lease);
    // Items of the group that never start (the batch stopped) leave no unhandled rejection behind.
    marking.catch(() => undefined);
    for (const id of group) this.marks.set(id, marking);
    return marking;
  }

  private async applyItem(item: StoredRunItem, index: number): Promise<void> {
    const { endpoints, links } = this;
    const action = actionOf(item);
    const resolved = resolveAction(action, (entity, sourceId) => links[entity].get(sourceId), endpoints.targetRootId);
    if ('unresolved' in resolved) {
      this.record(index, { status: 'skipped', reason: `${resolved.unresolved}; retried by a later run` });
      return;
    }
    const op = resolved;
    // The hub takes the source's id as its own: creates into it are idempotent by id.
    if (endpoints.targetKind === 'hub' && action.sourceId !== null) {
      if (op.action === 'CreateUser') op.user.id = action.sourceId;
      else if (op.action === 'CreateDepartment') op.department.id = action.sourceId;
    }
    if ((op.action === 'CreateUser' || op.action === 'CreateDepartment') && action.sourceId !== null) {
      if (item.attemptedAt !== null) {
        await this.fence.check();
        const earlier = await this.earlier.find(op);
        if (earlier !== undefined) {
          links[action.entity].set(action.sourceId, earlier);
          this.record(index, { status: 'succeeded', targetId: earlier, after: sentFields(op), reason: 'created by an earlier attempt; adopted' }, {
            link: { entity: action.entity, sourceId: action.sourceId, targetId: earlier },
          });
          return;
        }
      }
      await this.markAttempted(index);
    }
    // A superseded attempt stops here, before its next vendor write.
    await this.fence.check();
    let result;
    let alreadyGone = false;
    try {
      result = await endpoints.target.apply(op);
    } catch (error) {
      if (error instanceof VendorError && !error.transient) {
        // A retried delete whose first attempt succeeded (answer lost) gets the vendor's "not found": the goal is reached.
        alreadyGone = await this.isGone(op);
        if (!alreadyGone) {
          // The class goes with the item: a run that fails by its items, not a step, takes its class from them.
          const { failureClass } = vendorFailureDetails(error);
          this.record(index, { status: 'failed', errorCode: error.vendorCode, errorMessage: error.vendorMessage, failureClass, after: sentFields(op) });
          return;
        }
        result = {};
      } else throw error;
    }
    const targetId = result.externalId ?? action.targetId;
    const extra: LinkChanges = {};
    if (result.externalId !== undefined && action.sourceId !== null) {
      links[action.entity].set(action.sourceId, result.externalId);
      extra.link = { entity: action.entity, sourceId: action.sourceId, targetId: result.externalId };
    }
    if ((op.action === 'DeleteUser' || op.action === 'DeleteDepartment') && action.targetId !== null) {
      if (action.sourceId !== null) links[action.entity].delete(action.sourceId);
      extra.forgetLinkOf = { entity: action.entity, targetId: action.targetId };
    }
    this.record(index, { status: 'succeeded', targetId, after: sentFields(op), ...(alreadyGone ? { reason: 'already gone from the target' } : {}) }, extra);
  }

  /** After a refused delete: does the target no longer have the entity (each connector's readByIds knows its vendor's not-found codes)? */
  private async isGone(op: ConnectorOperation): Promise<boolean> {
    if (op.action !== 'DeleteUser' && op.action !== 'DeleteDepartment') return false;
    const user = op.action === 'DeleteUser';
    const read = await this.endpoints.target.readByIds(user ? { departmentIds: [], userIds: [op.id] } : { departmentIds: [op.id], userIds: [] });
    return (user ? read.missing.userIds : read.missing.departmentIds).includes(op.id);
  }
}

export function createApplyActivity(deps: ActivityDeps) {
  const concurrency = deps.applyConcurrency ?? DEFAULT_APPLY_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`applyConcurrency: must be a positive integer (got ${concurrency})`);
  // One per worker process: consecutive batches reuse the task's connector (one token, one limiter).
  const endpointsCache = new EndpointsCache({ open: (task) => openEndpoints(deps, task, runActor(task.id)), close: closeEndpoints });

  return async function applyBatch({ runId, batch }: ApplyBatchInput): Promise<ItemCounters> {
    const db = deps.database.db;
    const run = await getRun(db, runId);
    if (!run) throw ApplicationFailure.create({ type: 'RunNotFound', message: `runId: no run ${runId}`, nonRetryable: true });
    try {
      // Claimed before the items are read: what an older attempt records from now on is refused.
      const fence: ApplyLease = { runId, batch, ...attemptIdentity() };
      await claimApplyLease(db, fence);
      const items = await loadBatchItems(db, runId, batch);
      const todo = items.filter((item) => item.status === 'planned');
      if (todo.length === 0) return countOutcomes(items);

      const task = await loadTaskRecord(db, run.taskId);
      const lease = await endpointsCache.lease(task);
      try {
        await new BatchAttempt(deps, task, lease.endpoints, batch, todo, concurrency, fence).run();
      } finally {
        await lease.release();
        // A batch leaves tens of MB of garbage (HTTP calls, statements, outcomes), and V8 lets it pile
        // up until the limit it set from the largest heap seen: with batches back to back that set the
        // worker's peak RSS (activities/memory.ts; collects only above its heap threshold).
        deps.collectGarbage?.();
      }
      return countOutcomes(items);
    } catch (error) {
      // Temporal already gave up on this attempt (a newer one runs): retrying it would only fight that one.
      if (error instanceof SupersededAttemptError) throw ApplicationFailure.create({ type: 'SupersededAttempt', message: error.message, nonRetryable: true });
      throw error;
    }
  };
}
