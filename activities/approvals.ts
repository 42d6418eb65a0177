// The approval workflow's steps against Postgres: decisions, open counts (after expiring overdue
// items), execution of approved items, and the reconciler's pass over orphaned rows.
import { ApplicationFailure } from '@temporalio/common';
import {
  cancelOpenItemsOfDeletedTask,
  decidePendingDeletions as decideRows,
  executingItemsOfRun,
  expireOverdue,
  openCountsOfRun,
  runsWithOpenItems,
} from '../db/repos/pending-deletion-decisions';
import { recordPendingDeletionOutcome } from '../db/repos/pending-deletions';
import { createExecutePendingDeletionActivity } from './deletions';
import type { ActivityDeps } from './deps';
import { withHeartbeats } from './heartbeat';
import type {
  ApprovalCounts,
  DecidePendingDeletionsInput,
  DecidePendingDeletionsResult,
  ExecuteApprovedResult,
  ReconcileApprovalsResult,
} from './types';

/** Approved items executed per attempt: the workflow loops, so one attempt never runs for hours. */
const EXECUTE_PER_ATTEMPT = 200;
/** Runs looked at per reconciler pass; the next pass takes the rest. */
const RECONCILE_RUNS_PER_PASS = 200;

export interface ApprovalActivityOptions {
  /** tests: stands in for executing one item */
  executeOne?: ReturnType<typeof createExecutePendingDeletionActivity>;
  /** how often an attempt heartbeats while one item runs (default 5 s; the heartbeat timeout is 30 s) */
  heartbeatEveryMs?: number;
}

export function createApprovalActivities(deps: ActivityDeps, options: ApprovalActivityOptions = {}) {
  const db = () => deps.database.db;
  const executeOne = options.executeOne ?? createExecutePendingDeletionActivity(deps);

  return {
    async decidePendingDeletions(input: DecidePendingDeletionsInput): Promise<DecidePendingDeletionsResult> {
      if (input.action !== 'execute' && input.action !== 'cancel') {
        throw ApplicationFailure.create({ type: 'InvalidInput', message: 'action: expected execute or cancel', nonRetryable: true });
      }
      const outcomes = await decideRows(db(), input);
      const refused = outcomes.flatMap((o) => (o.result === 'accepted' ? [] : [{ id: o.id, result: o.result, ...(o.status ? { status: o.status } : {}) }]));
      return { accepted: outcomes.length - refused.length, refused };
    },

    async approvalCounts({ runId }: { runId: string }): Promise<ApprovalCounts> {
      await expireOverdue(db(), { runId });
      return openCountsOfRun(db(), runId);
    },

    async executeApprovedDeletions({ runId }: { runId: string }): Promise<ExecuteApprovedResult> {
      const result: ExecuteApprovedResult = { succeeded: 0, failed: 0, superseded: 0, remaining: 0 };
      // Plan order (users before their departments) holds whatever order the approvers clicked in.
      const items = await executingItemsOfRun(db(), runId, EXECUTE_PER_ATTEMPT);
      for (const item of items) {
        // A retried attempt finds the items already done closed, and skips them without a vendor call.
        // One item may wait out a vendor's rate-limit block (WeCom: 60 s), longer than the heartbeat
        // timeout: the ticker keeps the attempt alive meanwhile.
        const actor = item.decidedBy ?? 'unknown';
        const execute = () => executeOne({ pendingDeletionId: item.id, actor });
        const outcome = await withHeartbeats(execute, options.heartbeatEveryMs, () => ({ ...result })).catch(async (error: unknown) => {
          // A permanent failure of this one item (task gone, bad settings) fails the item, not the others.
          if (!(error instanceof ApplicationFailure) || !error.nonRetryable) throw error;
          await recordPendingDeletionOutcome(db(), { id: item.id, status: 'FAILED', actor, errorCode: error.type ?? 'error', errorMessage: error.message });
          return { status: 'FAILED' as const };
        });
        if (outcome.status === 'SUCCEEDED') result.succeeded++;
        else if (outcome.status === 'FAILED') result.failed++;
        else if (outcome.status === 'SUPERSEDED') result.superseded++;
      }
      result.remaining = (await openCountsOfRun(db(), runId)).executing;
      return result;
    },

    async reconcileApprovals(): Promise<ReconcileApprovalsResult> {
      const runs = await runsWithOpenItems(db(), RECONCILE_RUNS_PER_PASS);
      let closed = 0;
      for (const taskId of new Set(runs.filter((r) => r.taskDeleted).map((r) => r.taskId))) closed += await cancelOpenItemsOfDeletedTask(db(), taskId);
      return { runs: runs.filter((r) => !r.taskDeleted).map(({ runId, taskId }) => ({ runId, taskId })), closed };
    },
  };
}
