/** Who asked for a run reaches its startRun on the real Temporal dev server (issue 10.9): API principal, schedule, real time, Temporal UI. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startLocalTemporal } from '../test/support/temporal';
import { requestRunUpdate, stateQuery, taskWorkflowId, triggerSignal } from './definitions';
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

test('each run records who asked for it; triggers coalesced into one run record every requester', async () => {
  const taskId = `task-requester-${Date.now()}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 0 } } });
  const release = memory.holdSnapshots();
  await withWorker(env, workflowBundle, memory, async (taskQueue) => {
    try {
      const task = await env.client.workflow.start(syncTaskWorkflow, { taskQueue, workflowId: taskWorkflowId(taskId), args: [{ taskId }] });
      await task.executeUpdate(requestRunUpdate, { args: [{ trigger: 'manual', requestedBy: 'token:alice:t1' }] });
      await eventually(() => memory.runsOf(taskId).length === 1, 'the first run');

      // While the first run is held, three triggers from three requesters merge into the next run.
      await task.executeUpdate(requestRunUpdate, { args: [{ trigger: 'manual', requestedBy: 'token:bob:t2' }] });
      await task.signal(triggerSignal, { trigger: 'schedule' });
      await task.signal(triggerSignal, { trigger: 'manual', requestedBy: 'token:bob:t2' });
      await eventually(async () => (await task.query(stateQuery)).pending.real !== undefined, 'the pending run');
      release();
      await eventually(async () => (await task.query(stateQuery)).runsCompleted === 2, 'both runs');

      await task.signal(triggerSignal, { trigger: 'realtime', changedIds: ['u1'] });
      await eventually(async () => (await task.query(stateQuery)).runsCompleted === 3, 'the real-time run');
      await env.client.workflow.execute(runTaskNowWorkflow, { taskQueue, workflowId: `ui-${taskId}-1`, args: [{ taskId }] });
      await eventually(async () => (await task.query(stateQuery)).runsCompleted === 4, 'the UI run');
      await env.client.workflow.execute(runTaskNowWorkflow, { taskQueue, workflowId: `ui-${taskId}-2`, args: [{ taskId, requestedBy: 'ops:carol' }] });
      await eventually(async () => (await task.query(stateQuery)).runsCompleted === 5, 'the named UI run');

      expect(memory.runsOf(taskId).map((run) => run.requestedBy)).toEqual([['token:alice:t1'], ['token:bob:t2', 'schedule'], ['realtime'], ['temporal-ui'], ['ops:carol']]);
      await task.terminate('test done');
    } finally {
      release();
    }
  });
});

test('a trigger whose requester is not a short non-empty string is refused by the update validator', async () => {
  const taskId = `task-requester-bad-${Date.now()}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: {} } });
  await withWorker(env, workflowBundle, memory, async (taskQueue) => {
    const task = await env.client.workflow.start(syncTaskWorkflow, { taskQueue, workflowId: taskWorkflowId(taskId), args: [{ taskId }] });
    const refusal = { cause: expect.objectContaining({ message: expect.stringContaining('requestedBy: expected a non-empty string') }) };
    await expect(task.executeUpdate(requestRunUpdate, { args: [{ trigger: 'manual', requestedBy: 'x'.repeat(201) }] })).rejects.toMatchObject(refusal);
    await expect(task.executeUpdate(requestRunUpdate, { args: [{ trigger: 'manual', requestedBy: 42 as unknown as string }] })).rejects.toMatchObject(refusal);
    expect(memory.runsOf(taskId)).toEqual([]);
    await task.terminate('test done');
  });
});
