// The snapshot-retention Schedule: every hour (and once when a worker starts)
// snapshotRetentionWorkflow deletes run snapshots older than SYNC_CENTER_SNAPSHOT_RETENTION_DAYS.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { snapshotRetentionScheduleId, snapshotRetentionWorkflowId } from '../workflows/definitions';

export interface SnapshotRetentionOptions {
  taskQueue: string;
  /** default 1 hour */
  every?: Duration;
}

/** Creates the Schedule when missing and fires it now. Idempotent; several workers may call it. */
export async function ensureSnapshotRetention(client: Client, options: SnapshotRetentionOptions): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: snapshotRetentionScheduleId,
      spec: { intervals: [{ every: options.every ?? '1h' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'snapshotRetentionWorkflow',
        args: [{}],
        taskQueue: options.taskQueue,
        workflowId: snapshotRetentionWorkflowId,
        workflowExecutionTimeout: '30m',
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(snapshotRetentionScheduleId).trigger(ScheduleOverlapPolicy.SKIP);
}
