/**
 * Tiny workflows that hand a trigger to a task's workflow. Schedules can only start workflows, and
 * ops in the Temporal UI can only start workflows too; starting syncRunWorkflow directly would
 * bypass the task workflow's one-run-at-a-time rule, so both go through the task workflow, which
 * coalesces the trigger like any other.
 */
import { ApplicationFailure, getExternalWorkflowHandle } from '@temporalio/workflow';
import { taskWorkflowId, triggerSignal, type TriggerRequest } from './definitions';

export interface ScheduledTriggerInput {
  taskId: string;
}

export interface RunTaskNowInput {
  taskId: string;
  dryRun?: boolean;
  /** recorded as the run's requester; default `temporal-ui` (whoever can start workflows is trusted to say) */
  requestedBy?: string;
}

const invalid = (message: string) => ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message });

async function signalTask(taskId: unknown, request: TriggerRequest): Promise<void> {
  if (typeof taskId !== 'string' || taskId === '') throw invalid('taskId: expected a non-empty string');
  try {
    await getExternalWorkflowHandle(taskWorkflowId(taskId)).signal(triggerSignal, request);
  } catch (err) {
    // The task workflow is gone (task deleted, disabled by hand, or stopped): fail visibly, not retry forever.
    throw ApplicationFailure.create({
      type: 'TaskWorkflowNotRunning',
      nonRetryable: true,
      message: `task ${taskId}: its workflow ${taskWorkflowId(taskId)} could not be signalled (${err instanceof Error ? err.message : String(err)})`,
    });
  }
}

/** What a task's Temporal Schedule starts at each fire time. */
export async function scheduledTriggerWorkflow(input: ScheduledTriggerInput): Promise<void> {
  await signalTask(input?.taskId, { trigger: 'schedule' });
}

/** What ops start from the Temporal UI ("Start Workflow", input `{"taskId": "…"}`): a manual run. */
export async function runTaskNowWorkflow(input: RunTaskNowInput): Promise<void> {
  if (input?.dryRun !== undefined && typeof input.dryRun !== 'boolean') throw invalid('dryRun: expected a boolean');
  const requestedBy = input?.requestedBy ?? 'temporal-ui';
  if (typeof requestedBy !== 'string' || requestedBy === '' || requestedBy.length > 200) throw invalid('requestedBy: expected a non-empty string of at most 200 characters');
  await signalTask(input?.taskId, { trigger: 'manual', requestedBy, ...(input?.dryRun ? { dryRun: true } : {}) });
}
