/**
 * What a task's Temporal Schedule starts at each fire time. Schedules can only start workflows, and
 * starting syncRunWorkflow directly would bypass the task workflow's one-run-at-a-time rule, so this
 * tiny workflow hands a 'schedule' trigger to the task workflow, which coalesces it like any other.
 */
import { ApplicationFailure, getExternalWorkflowHandle } from '@temporalio/workflow';
import { taskWorkflowId, triggerSignal } from './definitions';

export interface ScheduledTriggerInput {
  taskId: string;
}

export async function scheduledTriggerWorkflow(input: ScheduledTriggerInput): Promise<void> {
  if (!input || typeof input.taskId !== 'string' || input.taskId === '') {
    throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: 'taskId: expected a non-empty string' });
  }
  try {
    await getExternalWorkflowHandle(taskWorkflowId(input.taskId)).signal(triggerSignal, { trigger: 'schedule' });
  } catch (err) {
    // The task workflow is gone (task deleted, or stopped by hand): fail this fire visibly, not retry forever.
    throw ApplicationFailure.create({
      type: 'TaskWorkflowNotRunning',
      nonRetryable: true,
      message: `task ${input.taskId}: its workflow ${taskWorkflowId(input.taskId)} could not be signalled (${err instanceof Error ? err.message : String(err)})`,
    });
  }
}
