/**
 * Tiny workflows that hand a trigger to a task's workflow. Schedules can only start workflows, and
 * ops in the Temporal UI can only start workflows too; starting syncRunWorkflow directly would
 * bypass the task workflow's one-run-at-a-time rule, so both go through the task workflow, which
 * coalesces the trigger like any other.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ApplicationFailure, getExternalWorkflowHandle, ParentClosePolicy, patched, startChild } from '@temporalio/workflow';
import { taskWorkflowId, triggerSignal, type TriggerRequest } from './definitions';
import { syncTaskWorkflow } from './sync-task';
import { declareVersioningBehavior } from './versioning';

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

function requireTaskId(taskId: unknown): string {
  if (typeof taskId !== 'string' || taskId === '') throw invalid('taskId: expected a non-empty string');
  return taskId;
}

async function signalTask(taskId: unknown, request: TriggerRequest): Promise<void> {
  const id = requireTaskId(taskId);
  try {
    await getExternalWorkflowHandle(taskWorkflowId(id)).signal(triggerSignal, request);
  } catch (err) {
    // The task workflow is gone (task deleted, disabled by hand, or stopped): fail visibly, not retry forever.
    throw ApplicationFailure.create({
      type: 'TaskWorkflowNotRunning',
      nonRetryable: true,
      message: `task ${id}: its workflow ${taskWorkflowId(id)} could not be signalled (${err instanceof Error ? err.message : String(err)})`,
    });
  }
}

/**
 * Signal-with-start from inside a workflow: signal the task's workflow, and if it is gone (killed
 * by hand, terminated at a history cap) start it again under ABANDON, then signal it. Only a
 * Schedule does this: one exists only for a task that exists, while a UI-typed id may be a typo.
 */
async function signalOrStartTask(taskId: string, request: TriggerRequest): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await getExternalWorkflowHandle(taskWorkflowId(taskId)).signal(triggerSignal, request);
      return;
    } catch (err) {
      if (attempt === 3) throw err;
    }
    try {
      await startChild(syncTaskWorkflow, { workflowId: taskWorkflowId(taskId), parentClosePolicy: ParentClosePolicy.ABANDON, args: [{ taskId }] });
    } catch (err) {
      // Started meanwhile by the API or a webhook: signal that one.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
}

// Worker Deployment Versioning: short, started by a Schedule on the current build.
declareVersioningBehavior('AUTO_UPGRADE', scheduledTriggerWorkflow);

/** What a task's Temporal Schedule starts at each fire time: the safety net, so it recreates a lost task workflow. */
export async function scheduledTriggerWorkflow(input: ScheduledTriggerInput): Promise<void> {
  if (!patched('schedule-recreates-task-workflow')) return signalTask(input?.taskId, { trigger: 'schedule' });
  await signalOrStartTask(requireTaskId(input?.taskId), { trigger: 'schedule' });
}

// Worker Deployment Versioning: short, started from the UI on the current build.
declareVersioningBehavior('AUTO_UPGRADE', runTaskNowWorkflow);

/** What ops start from the Temporal UI ("Start Workflow", input `{"taskId": "…"}`): a manual run. */
export async function runTaskNowWorkflow(input: RunTaskNowInput): Promise<void> {
  if (input?.dryRun !== undefined && typeof input.dryRun !== 'boolean') throw invalid('dryRun: expected a boolean');
  const requestedBy = input?.requestedBy ?? 'temporal-ui';
  if (typeof requestedBy !== 'string' || requestedBy === '' || requestedBy.length > 200) throw invalid('requestedBy: expected a non-empty string of at most 200 characters');
  await signalTask(input?.taskId, { trigger: 'manual', requestedBy, ...(input?.dryRun ? { dryRun: true } : {}) });
}
