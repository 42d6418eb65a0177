/** The worker's workflow bundle entry point: every workflow the sync-center task queue runs. */
export { syncTaskWorkflow } from './sync-task';
export { syncRunWorkflow } from './sync-run';
export { deletionApprovalWorkflow } from './deletion-approval';
export { runTaskNowWorkflow, scheduledTriggerWorkflow } from './scheduled-trigger';
