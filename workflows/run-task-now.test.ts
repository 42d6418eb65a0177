/** runTaskNowWorkflow — what ops start from the Temporal UI — on the real Temporal dev server. */
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startLocalTemporal } from '../test/support/temporal';
import { stateQuery, taskWorkflowId } from './definitions';
import { runTaskNowWorkflow } from './scheduled-trigger';
import { syncTaskWorkflow } from './sync-task';
import { createInMemoryActivities, eventually } from './testing/in-memory-activities';
import { bundleSyncWorkflows, withWorker } from './testing/workers';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows()]);
}, 120000);

afterAll(async () => {
  await env?.teardown();
});

test('a run started from the UI with {"taskId"} goes through the task workflow as a manual run', async () => {
  const taskId = `task-ui-${Date.now()}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: {} } });
  const release = memory.holdSnapshots();
  await withWorker(env, workflowBundle, memory, async (taskQueue) => {
    try {
      const task = await env.client.workflow.start(syncTaskWorkflow, { taskQueue, workflowId: taskWorkflowId(taskId), args: [{ taskId }] });
      await env.client.workflow.execute(runTaskNowWorkflow, { taskQueue, workflowId: `ui-${taskId}-1`, args: [{ taskId }] });
      await eventually(() => memory.runsOf(taskId).length === 1, 'the first run');
      // A second start while the first run is held is coalesced, never run in parallel.
      await env.client.workflow.execute(runTaskNowWorkflow, { taskQueue, workflowId: `ui-${taskId}-2`, args: [{ taskId, dryRun: true }] });
      await eventually(async () => (await task.query(stateQuery)).pending.dry !== undefined, 'the pending dry run');
      expect(memory.runsOf(taskId)).toHaveLength(1);
      release();
      await eventually(async () => (await task.query(stateQuery)).runsCompleted === 2, 'both runs');
      expect(memory.runsOf(taskId).map((run) => [run.trigger, run.dryRun])).toEqual([
        ['manual', false],
        ['manual', true],
      ]);
      await task.terminate('test done');
    } finally {
      release();
    }
  });
});

test('bad input or a task without a workflow fails at once with a clear message', async () => {
  const memory = createInMemoryActivities({ tasks: {} });
  await withWorker(env, workflowBundle, memory, async (taskQueue) => {
    const run = (args: Parameters<typeof runTaskNowWorkflow>[0], id: string) =>
      env.client.workflow.execute(runTaskNowWorkflow, { taskQueue, workflowId: `ui-bad-${id}-${Date.now()}`, args: [args] });
    await expect(run({ taskId: '' }, 'empty')).rejects.toThrow(WorkflowFailedError);
    const missing = await run({ taskId: 'no-such-task' }, 'missing').catch((err: WorkflowFailedError) => err);
    expect((missing as WorkflowFailedError).cause?.message).toMatch(/task no-such-task: its workflow sync-task:no-such-task could not be signalled/);
  });
});
