// Staged deletions: a run stages its held items (superseding open ones its plan no longer wants);
// an approved one is executed after a re-check against fresh source and target state.
import { ApplicationFailure } from '@temporalio/common';
import { VendorError } from '../connectors/errors';
import type { ConnectorOperation } from '../connectors/types';
import { closeOpenItem } from '../db/repos/pending-deletion-decisions';
import {
  getPendingDeletion,
  listPendingDeletionsOfRun,
  markPendingDeletions as markRows,
  recordPendingDeletionOutcome,
  stageRunDeletions,
  type PendingDeletionRow,
} from '../db/repos/pending-deletions';
import { createHubDirectory } from '../db/repos/hub-directory';
import { getRun } from '../db/repos/sync-runs';
import { applyScope, isScoped } from '../engine/scope';
import { deleteTaskLinkByTarget } from '../db/repos/task-links';
import type { TaskEndpoints } from '../connectors/registry';
import type { ActivityDeps } from './deps';
import { HELD_MOVE, resolveHeldMove, staleMove } from './held-moves';
import { closeEndpoints, loadTaskRecord, openEndpoints, type TaskRecord } from './task';
import type {
  ExecutePendingDeletionInput,
  ExecutePendingDeletionResult,
  MarkPendingDeletionsInput,
  StageDeletionsResult,
  StageRunDeletionsResult,
} from './types';
import { transientFailure } from './vendor-failure';

const DAY_MS = 86_400_000;

async function stageRun(deps: ActivityDeps, runId: string): Promise<{ taskId: string; result: StageRunDeletionsResult }> {
  const db = deps.database.db;
  const run = await getRun(db, runId);
  if (!run) throw ApplicationFailure.create({ type: 'RunNotFound', message: `runId: no run ${runId}`, nonRetryable: true });
  const task = await loadTaskRecord(db, run.taskId);
  const days = (task.config.deletionProtection as { expireAfterDays?: number } | undefined)?.expireAfterDays;
  const expiresAt = days ? new Date(Date.now() + days * DAY_MS) : null;
  return { taskId: run.taskId, result: await stageRunDeletions(db, { taskId: run.taskId, runId, expiresAt }) };
}

export function createStageRunDeletionsActivity(deps: ActivityDeps) {
  return async function stageRunDeletions({ runId }: { runId: string }): Promise<StageRunDeletionsResult> {
    return (await stageRun(deps, runId)).result;
  };
}

/** The ids form, kept for runs that reached staging before the count-only form existed. */
export function createStageDeletionsActivity(deps: ActivityDeps) {
  return async function stageDeletions({ runId }: { runId: string }): Promise<StageDeletionsResult> {
    await stageRun(deps, runId);
    const rows = await listPendingDeletionsOfRun(deps.database.db, runId);
    return { pendingDeletionIds: rows.filter((row) => row.status === 'PENDING').map((row) => row.id) };
  };
}

async function operationOf(deps: ActivityDeps, endpoints: TaskEndpoints, task: TaskRecord, row: PendingDeletionRow): Promise<ConnectorOperation | { unresolved: string }> {
  const targetId = row.targetId;
  switch (row.action) {
    case 'DeleteUser':
      return { action: 'DeleteUser', id: targetId };
    case 'DeleteDepartment':
      return { action: 'DeleteDepartment', id: targetId };
    case 'DisableUser':
      return { action: 'DisableUser', id: targetId };
    case HELD_MOVE:
      return resolveHeldMove(deps, endpoints, task, row);
    default:
      throw ApplicationFailure.create({ type: 'InvalidInput', message: `pending deletion action ${row.action} cannot be executed`, nonRetryable: true });
  }
}

/**
 * Why fresh source state no longer wants the item, or undefined: the person is active (and, for a
 * scoped downstream task, in scope) again, or the department exists again; for a held move, see staleMove.
 */
async function staleBySource(deps: ActivityDeps, endpoints: TaskEndpoints, task: TaskRecord, row: PendingDeletionRow): Promise<string | undefined> {
  if (row.action === HELD_MOVE) return staleMove(deps, endpoints, task, row);
  if (row.sourceId === null) return undefined;
  if (row.entity === 'user') {
    const read = await endpoints.source.readByIds({ departmentIds: [], userIds: [row.sourceId] });
    const user = read.users.find((u) => u.id === row.sourceId);
    if (!user || user.status !== 'active') return undefined;
    const scope = task.config.scope;
    if (task.direction === 'downstream' && isScoped(scope)) {
      // Moved out of the task's scope is a reason to offboard too: only back in scope makes it stale.
      const departments = await createHubDirectory(deps.database.db).listAllDepartments();
      const inScope = applyScope({ departments, users: [user] }, scope, new Set([user.id])).users.length > 0;
      return inScope ? 'the person is active and in scope again' : undefined;
    }
    return 'the person is active in the source again';
  }
  const read = await endpoints.source.readByIds({ departmentIds: [row.sourceId], userIds: [] });
  return read.departments.some((d) => d.id === row.sourceId) ? 'the department exists in the source again' : undefined;
}

export function createExecutePendingDeletionActivity(deps: ActivityDeps) {
  return async function executePendingDeletion({ pendingDeletionId, actor }: ExecutePendingDeletionInput): Promise<ExecutePendingDeletionResult> {
    const db = deps.database.db;
    const row = await getPendingDeletion(db, pendingDeletionId);
    if (!row) throw ApplicationFailure.create({ type: 'NotFound', message: `pendingDeletionId: no pending deletion ${pendingDeletionId}`, nonRetryable: true });
    // Closed meanwhile (decided, superseded, expired, task re-pointed): nothing to do, and never a vendor call.
    if (row.status !== 'PENDING' && row.status !== 'EXECUTING') return { status: row.status === 'SUCCEEDED' ? 'SUCCEEDED' : row.status === 'FAILED' ? 'FAILED' : row.status };
    const task = await loadTaskRecord(db, row.taskId);
    // The approver is the actor of the hub write (upstream tasks) and of the audit row.
    const endpoints = openEndpoints(deps, task, actor);
    try {
      const stale = await staleBySource(deps, endpoints, task, row);
      if (stale) {
        await closeOpenItem(db, { id: row.id, status: 'SUPERSEDED', actor, reason: stale });
        return { status: 'SUPERSEDED', error: stale };
      }
      const resolved = await operationOf(deps, endpoints, task, row);
      if ('unresolved' in resolved) {
        await recordPendingDeletionOutcome(db, { id: row.id, status: 'FAILED', actor, errorCode: 'unresolved', errorMessage: resolved.unresolved });
        return { status: 'FAILED', error: `unresolved: ${resolved.unresolved}` };
      }
      const op = resolved;
      const entity = row.entity;
      const read = await endpoints.target.readByIds(entity === 'user' ? { departmentIds: [], userIds: [row.targetId] } : { departmentIds: [row.targetId], userIds: [] });
      const gone = (entity === 'user' ? read.missing.userIds : read.missing.departmentIds).includes(row.targetId);
      if (!gone) {
        try {
          await endpoints.target.apply(op);
        } catch (error) {
          if (error instanceof VendorError && error.transient) throw transientFailure(error);
          const code = error instanceof VendorError ? error.vendorCode : 'error';
          const message = error instanceof VendorError ? error.vendorMessage : (error as Error).message;
          await recordPendingDeletionOutcome(db, { id: row.id, status: 'FAILED', actor, errorCode: code, errorMessage: message });
          return { status: 'FAILED', error: `${code}: ${message}` };
        }
      }
      // A freeze or a move keeps the account, and so its link.
      if (op.action === 'DeleteUser' || op.action === 'DeleteDepartment') await deleteTaskLinkByTarget(db, task.id, entity, row.targetId);
      await recordPendingDeletionOutcome(db, { id: row.id, status: 'SUCCEEDED', actor, detail: gone ? { note: 'already gone' } : {} });
      return { status: 'SUCCEEDED' };
    } finally {
      await closeEndpoints(endpoints);
    }
  };
}

export function createMarkPendingDeletionsActivity(deps: ActivityDeps) {
  return async function markPendingDeletions(input: MarkPendingDeletionsInput): Promise<void> {
    await markRows(deps.database.db, input);
  };
}
