// applyBatch: send one batch of the stored plan to the target, item by item in plan order, and
// record each outcome. Safe to retry at any point: recorded items are never sent again, and a
// create that may have reached the vendor before a crash is looked up before it is re-sent.
import { ApplicationFailure } from '@temporalio/common';
import { VendorError } from '../connectors/errors';
import type { ConnectorOperation } from '../connectors/types';
import { getRun, loadBatchItems, markItemAttempted, recordItemOutcome, type ItemOutcome, type StoredRunItem } from '../db/repos/sync-runs';
import { listTaskLinks } from '../db/repos/task-links';
import type { EntityKind } from '../engine/model';
import type { Link, PlanAction } from '../engine/plan-types';
import { resolveAction } from '../engine/resolve';
import type { ActivityDeps } from './deps';
import { heartbeat } from './heartbeat';
import { findEarlierCreate } from './recover-create';
import { closeEndpoints, loadTaskRecord, openEndpoints, runActor } from './task';
import type { ApplyBatchInput, ItemCounters } from './types';
import { transientFailure } from './vendor-failure';

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

export function createApplyActivity(deps: ActivityDeps) {
  return async function applyBatch({ runId, batch }: ApplyBatchInput): Promise<ItemCounters> {
    const db = deps.database.db;
    const run = await getRun(db, runId);
    if (!run) throw ApplicationFailure.create({ type: 'RunNotFound', message: `runId: no run ${runId}`, nonRetryable: true });
    const items = await loadBatchItems(db, runId, batch);
    const todo = items.filter((item) => item.status === 'planned');
    if (todo.length === 0) return countOutcomes(items);

    const task = await loadTaskRecord(db, run.taskId);
    const endpoints = openEndpoints(deps, task, runActor(task.id));
    const links: LinkMaps = { department: new Map(), user: new Map() };
    for (const link of await listTaskLinks(db, task.id)) links[link.entity].set(link.sourceId, link.targetId);
    const lookup = (entity: EntityKind, sourceId: string) => links[entity].get(sourceId);
    // The hub takes the source's id as its own: creates into it are idempotent by id.
    const wishSourceIds = endpoints.targetKind === 'hub';

    const record = async (item: StoredRunItem, outcome: ItemOutcome, extra: LinkChanges = {}) => {
      await recordItemOutcome(db, { itemId: item.id, taskId: task.id, outcome, ...extra });
      item.status = outcome.status;
    };

    try {
      for (const item of todo) {
        heartbeat({ batch, seq: item.seq });
        const action = item.payload as unknown as PlanAction;
        const resolved = resolveAction(action, lookup, endpoints.targetRootId);
        if ('unresolved' in resolved) {
          await record(item, { status: 'skipped', reason: `${resolved.unresolved}; retried by a later run` });
          continue;
        }
        const op = resolved;
        const isCreate = op.action === 'CreateUser' || op.action === 'CreateDepartment';
        if (isCreate && wishSourceIds && action.sourceId !== null) {
          if (op.action === 'CreateUser') op.user.id = action.sourceId;
          else op.department.id = action.sourceId;
        }
        if (isCreate && action.sourceId !== null) {
          if (item.attemptedAt !== null) {
            const earlier = await findEarlierCreate(endpoints.target, endpoints.targetKind, op, endpoints.targetRootId);
            if (earlier !== undefined) {
              links[action.entity].set(action.sourceId, earlier);
              await record(item, { status: 'succeeded', targetId: earlier, after: sentFields(op), reason: 'created by an earlier attempt; adopted' }, {
                link: { entity: action.entity, sourceId: action.sourceId, targetId: earlier },
              });
              continue;
            }
          }
          await markItemAttempted(db, item.id);
        }
        let result;
        try {
          result = await endpoints.target.apply(op);
        } catch (error) {
          if (error instanceof VendorError && !error.transient) {
            await record(item, { status: 'failed', errorCode: error.vendorCode, errorMessage: error.vendorMessage, after: sentFields(op) });
            continue;
          }
          // The cursor tells the next attempt where this one stopped; recorded items are skipped anyway.
          heartbeat({ batch, seq: item.seq });
          if (error instanceof VendorError) throw transientFailure(error);
          throw error;
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
        await record(item, { status: 'succeeded', targetId, after: sentFields(op) }, extra);
      }
    } finally {
      await closeEndpoints(endpoints);
    }
    return countOutcomes(items);
  };
}
