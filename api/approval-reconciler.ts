// The approval reconciler's Temporal Schedule: every few minutes (and once when a worker starts)
// approvalReconcilerWorkflow adopts pending deletions no workflow drives. Temporal does the
// scheduling; nothing here is a queue of our own.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { approvalReconcilerScheduleId, approvalReconcilerWorkflowId } from '../workflows/definitions';

export interface ApprovalReconcilerOptions {
  taskQueue: string;
  /** default 10 minutes */
  every?: Duration;
}

/** Creates the Schedule when missing and fires it now. Idempotent; several workers may call it. */
export async function ensureApprovalReconciler(client: Client, options: ApprovalReconcilerOptions): Promise<void> {
  const handle = client.schedule.getHandle(approvalReconcilerScheduleId);
  try {
    await client.schedule.create({
      scheduleId: approvalReconcilerScheduleId,
      spec: { intervals: [{ every: options.every ?? '10m' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'approvalReconcilerWorkflow',
        args: [{}],
        taskQueue: options.taskQueue,
        workflowId: approvalReconcilerWorkflowId,
        workflowExecutionTimeout: '10m',
      },
      // One pass at a time: a slow pass is not stacked up behind.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
}
