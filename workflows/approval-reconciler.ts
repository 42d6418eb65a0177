/**
 * Finds pending deletions no workflow is driving (a run cancelled while staging, a terminated
 * approval workflow, an overlapping staging attempt) and adopts them: each run with open items
 * gets its approval workflow again; open items of deleted tasks are closed. Then it closes run rows
 * still `running` whose workflow is closed or gone (activities/reconcile-runs.ts). Run by a Temporal
 * Schedule (and once when a worker starts); an approval workflow already running is left alone.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import { bookkeeping } from './activity-proxies';
import { pendingDeletionApprovalWorkflow } from './deletion-approval';
import { approvalWorkflowId, type ApprovalReconcilerResult } from './definitions';
import { declareVersioningBehavior } from './versioning';

// Worker Deployment Versioning: short, started by a Schedule on the current build.
declareVersioningBehavior('AUTO_UPGRADE', approvalReconcilerWorkflow);

export async function approvalReconcilerWorkflow(_input: Record<string, never> = {}): Promise<ApprovalReconcilerResult> {
  const { runs, closed } = await bookkeeping.reconcileApprovals({});
  const adopted: string[] = [];
  for (const { runId, taskId } of runs) {
    try {
      await startChild(pendingDeletionApprovalWorkflow, {
        workflowId: approvalWorkflowId(runId),
        parentClosePolicy: ParentClosePolicy.ABANDON,
        args: [{ runId, taskId }],
      });
      adopted.push(runId);
    } catch (err) {
      // Already driven (by its run, an earlier pass, or a first-version approval workflow): nothing to adopt.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  // Run rows whose workflow closed without recording it (terminated, timed out) stop showing running.
  if (patched('reconcile-run-rows')) {
    const { closed: runsClosed } = await bookkeeping.reconcileRuns({});
    return { adopted, closed, runsClosed };
  }
  return { adopted, closed };
}
