// plan: diff the stored snapshots with the task's links and rules, hold what needs approval, and
// store the ordered plan as run items (with the links it adopted) in one transaction.
import { ApplicationFailure } from '@temporalio/common';
import { connectorCapabilities, connectorRootId } from '../connectors/registry';
import type { Db } from '../db/client';
import { getRun, loadSnapshot, planItemCounts, RUN_ITEM_BATCH_SIZE, setRunPhase, storePlan, type NewRunItem, type RunHeader } from '../db/repos/sync-runs';
import { adoptHubUsers, countActiveLinkedAccounts, ownedHubUserIds } from '../db/repos/hub-ownership';
import { listTaskLinks } from '../db/repos/task-links';
import type { MappingFailure } from '../engine/field-mapping';
import type { DirectorySnapshot, EntityKind } from '../engine/model';
import type { Link, MatchKey, Plan, PlanAction } from '../engine/plan-types';
import { planSync } from '../engine/plan';
import type { ActivityDeps } from './deps';
import { createBatchOrder } from './batch-order';
import { withHeartbeats } from './heartbeat';
import { decideHolds, managedAccountsInSnapshot, takenOutAccounts } from './protection';
import { loadTaskRecord } from './task';
import type { PlanResult } from './types';

type NameLookup = (entity: EntityKind, sourceId: string | null, targetId: string | null) => string | null;

/** Names from both snapshots, so a DisableUser or SetManager item (whose before/after hold no name) still says whom it is about. */
export function snapshotNames(source: DirectorySnapshot, target: DirectorySnapshot): NameLookup {
  const index = (snapshot: DirectorySnapshot) => ({
    department: new Map(snapshot.departments.map((d) => [d.id, d.name])),
    user: new Map(snapshot.users.map((u) => [u.id, u.name || u.username])),
  });
  const bySource = index(source);
  const byTarget = index(target);
  return (entity, sourceId, targetId) =>
    (sourceId !== null ? bySource[entity].get(sourceId) : undefined) ?? (targetId !== null ? byTarget[entity].get(targetId) : undefined) ?? null;
}

const nameOf = (action: PlanAction, lookup: NameLookup): string | null => {
  const pick = (fields: Record<string, unknown> | null) => (fields && typeof fields.name === 'string' ? fields.name : null);
  const username = (fields: Record<string, unknown> | null) => (fields && typeof fields.username === 'string' ? fields.username : null);
  return pick(action.after) ?? pick(action.before) ?? lookup(action.entity, action.sourceId, action.targetId) ?? username(action.after) ?? username(action.before);
};

/**
 * A real-time or incremental run plans only what its changed ids touch; the rest of the read was
 * context. Departments and people are apart: an HR source's department 11 is not its person 11.
 */
function limitToChanged(plan: Plan, changed: { departmentIds: readonly string[]; userIds: readonly string[] }, links: readonly Link[]): Plan {
  const ids = { department: new Set(changed.departmentIds), user: new Set(changed.userIds) };
  const targets = { department: new Set<string>(), user: new Set<string>() };
  for (const l of links) if (ids[l.entity].has(l.sourceId)) targets[l.entity].add(l.targetId);
  const touched = (entity: 'department' | 'user', sourceId: string | null, targetId: string | null) =>
    (sourceId !== null && ids[entity].has(sourceId)) || (targetId !== null && targets[entity].has(targetId));
  return {
    ...plan,
    actions: plan.actions.filter((a) => touched(a.entity, a.sourceId, a.targetId)),
    failed: plan.failed.filter((f) => touched(f.entity, f.sourceId, f.targetId)),
    deferred: plan.deferred.filter((d) => touched(d.entity, d.sourceId, null)),
    newLinks: plan.newLinks.filter((l) => ids[l.entity].has(l.sourceId)),
  };
}

/**
 * The plan's run items in order (actions, then failures, then deferred references), one at a time:
 * storePlan writes them a chunk at a time, so a 110k-item plan is never a second array in memory.
 * With `release` the plan's actions are let go as their items are taken (plan.actions is spent).
 */
export function* planItemsOf(plan: Plan, held: ReadonlyMap<number, string>, names: NameLookup = () => null, options: { release?: boolean } = {}): Generator<NewRunItem> {
  const actions = plan.actions;
  for (let i = 0; i < actions.length; i++) {
    const action = actions[i];
    // release: the caller's plan is spent as it is stored, so a stored action can be collected (its slot reads null).
    if (options.release) (actions as (PlanAction | null)[])[i] = null;
    yield {
      key: action.key,
      action: action.kind,
      entity: action.entity,
      sourceId: action.sourceId,
      targetId: action.targetId,
      displayName: nameOf(action, names),
      status: held.has(i) ? 'staged' : 'planned',
      payload: action as unknown as Record<string, unknown>,
      before: action.before,
      after: action.after,
      reason: held.get(i) ?? action.reason ?? null,
    };
  }
  for (const failure of plan.failed) {
    yield {
      key: failure.key,
      action: failure.key.split(':').pop() ?? 'Plan',
      entity: failure.entity,
      sourceId: failure.sourceId,
      targetId: failure.targetId,
      displayName: names(failure.entity, failure.sourceId, failure.targetId),
      status: 'failed',
      payload: failure as unknown as Record<string, unknown>,
      reason: failure.reason,
    };
  }
  for (const deferred of plan.deferred) {
    yield {
      key: deferred.key,
      action: deferred.field === 'managerId' ? 'SetManager' : 'UpdateDepartmentLeader',
      entity: deferred.entity,
      sourceId: deferred.sourceId,
      targetId: null,
      displayName: names(deferred.entity, deferred.sourceId, null),
      status: 'skipped',
      payload: deferred as unknown as Record<string, unknown>,
      reason: `${deferred.reason} (retried by a later run)`,
    };
  }
}

/** The plan's run items as one array (tests and small plans); the activity streams planItemsOf instead. */
export function planItems(plan: Plan, held: ReadonlyMap<number, string>, names: NameLookup = () => null): { items: NewRunItem[]; executable: number } {
  return { items: [...planItemsOf(plan, held, names)], executable: plan.actions.length };
}

/** What the workflow needs, read back from the stored plan so a retried step answers the same. */
async function storedPlanResult(db: Db, runId: string): Promise<PlanResult> {
  const rows = await planItemCounts(db, runId, ['planned', 'staged']);
  const count = (status: string, actions?: string[]) =>
    rows.filter((r) => r.status === status && (!actions || actions.includes(r.action))).reduce((sum, r) => sum + r.count, 0);
  const planned = rows.filter((r) => r.status === 'planned');
  return {
    actions: count('planned') + count('staged'),
    stagedDeletes: count('staged', ['DeleteUser', 'DeleteDepartment']),
    // Freezes and moves to the top level held by the mass-offboarding guard: the workflow stages them with the deletes.
    heldDisables: count('staged', ['DisableUser', 'ChangeUserDepartment']),
    batches: planned.length === 0 ? 0 : Math.floor(Math.max(...planned.map((r) => r.lastSeq)) / RUN_ITEM_BATCH_SIZE) + 1,
  };
}

/** Apply batches a run keeps in flight (ActivityDeps.applyBatchesInFlight; one when items go one at a time). */
export function batchesInFlight(deps: ActivityDeps): number {
  const n = deps.applyBatchesInFlight ?? (deps.applyConcurrency === 1 ? 1 : DEFAULT_BATCHES_IN_FLIGHT);
  if (!Number.isInteger(n) || n < 1) throw new Error(`applyBatchesInFlight: must be a positive integer (got ${n})`);
  return n;
}

/** Three batches of 16 calls: the next batch is already sending while one drains and the workflow round-trips. */
export const DEFAULT_BATCHES_IN_FLIGHT = 3;

export function createPlanActivity(deps: ActivityDeps) {
  batchesInFlight(deps);
  return function plan(input: { runId: string }): Promise<PlanResult> {
    return withHeartbeats(() => planRun(input));
  };

  /**
   * Loads both snapshots, plans, and decides the holds and the items' names. The snapshots (100k
   * people each at scale) live only in here: storing the plan needs the plan, the holds and the names.
   */
  async function decidePlan(db: Db, run: RunHeader, task: Awaited<ReturnType<typeof loadTaskRecord>>, upstream: boolean, targetKind: string) {
    const runId = run.id;
    // The snapshot step's garbage goes before this step's (activities/memory.ts).
    deps.collectGarbage?.();
    const [source, target, links, owned] = await Promise.all([
      loadSnapshot(db, runId, 'source'),
      loadSnapshot(db, runId, 'target'),
      listTaskLinks(db, task.id),
      upstream ? ownedHubUserIds(db, task.id) : undefined,
    ]);
    let computed: Plan;
    try {
      computed = planSync({
        source,
        target,
        links,
        matchRules: (task.config.matchRules ?? ['employeeNumber', 'email', 'mobile']) as MatchKey[],
        offboarding: task.config.offboarding ?? 'disable',
        capabilities: connectorCapabilities(targetKind),
        scope: upstream ? undefined : task.config.scope,
        targetRootId: connectorRootId(targetKind),
        sourceFailures: (run.mappingFailures ?? []) as MappingFailure[],
        sourceIsHub: !upstream,
        hubOwnership: owned ? { ownedUserIds: owned } : undefined,
      });
    } catch (error) {
      throw ApplicationFailure.create({ type: 'PlanRefused', message: (error as Error).message, nonRetryable: true });
    }
    const changed = run.changedIds ?? { departmentIds: [], userIds: [] };
    // An incremental read that listed no change is partial too: it read nothing, so it plans nothing.
    const partial = changed.userIds.length + changed.departmentIds.length > 0 || run.read?.kind === 'incremental';
    if (partial) computed = limitToChanged(computed, changed, links);
    const takenOut = takenOutAccounts(computed.actions);
    // A partial run read only what changed: it is judged against the task's links, not what it read.
    const managedAccounts = partial
      ? (await countActiveLinkedAccounts(db, task, [...takenOut])) + takenOut.size
      : managedAccountsInSnapshot(target.users, new Set(links.filter((l) => l.entity === 'user').map((l) => l.targetId)), takenOut);
    const holds = decideHolds(computed.actions, task.config, { targetEntities: target.departments.length + target.users.length, managedAccounts });
    return { computed, held: holds.held, names: snapshotNames(source, target) };
  }

  async function planRun({ runId }: { runId: string }): Promise<PlanResult> {
    const db = deps.database.db;
    const run: RunHeader | undefined = await getRun(db, runId);
    if (!run) throw ApplicationFailure.create({ type: 'RunNotFound', message: `runId: no run ${runId}`, nonRetryable: true });
    const task = await loadTaskRecord(db, run.taskId);
    const upstream = task.direction === 'upstream';
    const targetKind = upstream ? 'hub' : task.connectorKind;
    const { computed, held, names } = await decidePlan(db, run, task, upstream, targetKind);
    // The snapshots are out of scope from here on (collected now, so storing starts from the plan alone);
    // each action is let go once its item is taken.
    deps.collectGarbage?.();
    const executable = computed.actions.length;
    // Which batches may overlap is worked out as the items stream to storage (their keys only).
    const order = createBatchOrder();
    const ordered = (function* () {
      let seq = 0;
      for (const item of planItemsOf(computed, held, names, { release: true })) {
        if (seq < executable) order.add({ batch: Math.floor(seq / RUN_ITEM_BATCH_SIZE), planned: item.status === 'planned', action: item.payload as unknown as PlanAction });
        seq++;
        yield item;
      }
    })();
    // People an upstream task adopts by its match rules belong to it from now on (unless another source has them).
    if (upstream) await adoptHubUsers(db, task.id, computed.newLinks.filter((l) => l.entity === 'user').map((l) => l.targetId));
    // Each chunk's rows and JSON text are garbage once written (~90 MB over 110k items): collected as
    // storing goes, when the heap has grown enough for it to pay (activities/memory.ts).
    const { alreadyStored } = await storePlan(db, { runId, taskId: task.id, items: ordered, executable, newLinks: computed.newLinks, afterChunk: deps.collectGarbage });
    await setRunPhase(db, runId, run.dryRun ? 'planned' : 'apply');
    // What storing allocated goes now: the apply batches that follow on this worker would otherwise
    // pile up their garbage to the limit V8 set from the plan step's heap (issue 17: 734 MB at 100k).
    deps.collectGarbage?.();
    const stored = await storedPlanResult(db, runId);
    // Which batches may overlap is known only for the plan this attempt stored: a retry that found
    // one stored (computed from links that may have moved since) leaves the batches one at a time.
    if (alreadyStored || run.dryRun || stored.batches === 0) return stored;
    return { ...stored, batchAfter: order.result(stored.batches), batchesInFlight: batchesInFlight(deps) };
  }
}
