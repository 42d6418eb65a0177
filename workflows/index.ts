/** The worker's workflow bundle entry point: every workflow the sync-center task queue runs. */
export { syncTaskWorkflow } from './sync-task';
export { syncRunWorkflow } from './sync-run';
export { deletionApprovalWorkflow } from './deletion-approval-v1';
export { pendingDeletionApprovalWorkflow } from './deletion-approval';
export { approvalReconcilerWorkflow } from './approval-reconciler';
export { snapshotRetentionWorkflow } from './snapshot-retention';
export { runTaskNowWorkflow, scheduledTriggerWorkflow } from './scheduled-trigger';
