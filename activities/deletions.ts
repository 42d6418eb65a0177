// Staged deletions: stageDeletions turns a run's held items into pending deletions; an approved
// one is executed by executePendingDeletion; markPendingDeletions records the approver's decisions.
import { ApplicationFailure } from '@temporalio/common';
import { VendorError } from '../connectors/errors';
import type { ConnectorOperation } from '../connectors/types';
import {
  getPendingDeletion,
  markPendingDeletions as markRows,
  recordPendingDeletionOutcome,
  stagePendingDeletions,
} from '../db/repos/pending-deletions';
import { getRun, loadItemsByStatus } from '../db/repos/sync-runs';
import { deleteTaskLinkByTarget } from '../db/repos/task-links';
import type { ActivityDeps } from './deps';
import { closeEndpoints, loadTaskRecord, openEndpoints } from './task';
import type { ExecutePendingDeletionInput, ExecutePendingDeletionResult, MarkPendingDeletionsInput, StageDeletionsResult } from './types';
import { transientFailure } from './vendor-failure';

export function createStageDeletionsActivity(deps: ActivityDeps) {
  return async function stageDeletions({ runId }: { runId: string }): Promise<StageDeletionsResult> {
    const db = deps.database.db;
    const run = await getRun(db, runId);
    if (!run) throw ApplicationFailure.create({ type: 'RunNotFound', message: `runId: no run ${runId}`, nonRetryable: true });
    const staged = await loadItemsByStatus(db, runId, 'staged');
    const items = staged.flatMap((item) =>
      item.targetId === null
        ? []
        : [{ runItemId: item.id, action: item.action, entity: item.entity, sourceId: item.sourceId, targetId: item.targetId, displayName: item.displayName, reason: item.reason ?? 'held for approval' }],
    );
    return { pendingDeletionIds: await stagePendingDeletions(db, { taskId: run.taskId, runId, items }) };
  };
}

function operationOf(action: string, targetId: string): ConnectorOperation {
  switch (action) {
    case 'DeleteUser':
      return { action: 'DeleteUser', id: targetId };
    case 'DeleteDepartment':
      return { action: 'DeleteDepartment', id: targetId };
    case 'DisableUser':
      return { action: 'DisableUser', id: targetId };
    default:
      throw ApplicationFailure.create({ type: 'InvalidInput', message: `pending deletion action ${action} cannot be executed`, nonRetryable: true });
  }
}

export function createExecutePendingDeletionActivity(deps: ActivityDeps) {
  return async function executePendingDeletion({ pendingDeletionId, actor }: ExecutePendingDeletionInput): Promise<ExecutePendingDeletionResult> {
    const db = deps.database.db;
    const row = await getPendingDeletion(db, pendingDeletionId);
    if (!row) throw ApplicationFailure.create({ type: 'NotFound', message: `pendingDeletionId: no pending deletion ${pendingDeletionId}`, nonRetryable: true });
    if (row.status === 'SUCCEEDED' || row.status === 'FAILED') return { status: row.status };
    if (row.status === 'CANCELED') {
      throw ApplicationFailure.create({ type: 'Canceled', message: `pending deletion ${pendingDeletionId} was canceled and is never executed`, nonRetryable: true });
    }
    const task = await loadTaskRecord(db, row.taskId);
    // The approver is the actor of the hub write (upstream tasks) and of the audit row.
    const endpoints = openEndpoints(deps, task, actor);
    try {
      const op = operationOf(row.action, row.targetId);
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
      if (op.action !== 'DisableUser') await deleteTaskLinkByTarget(db, task.id, entity, row.targetId);
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
