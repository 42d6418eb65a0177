/** syncTaskWorkflow timers and continue-as-new on the time-skipping test server. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startTimeSkippingTemporal } from '../test/support/temporal';
import { stateQuery, taskWorkflowId, triggerSignal } from './definitions';
import { syncTaskWorkflow } from './sync-task';
import { createInMemoryActivities, eventually, type InMemoryActivities } from './testing/in-memory-activities';
import { bundleSyncWorkflows, registerSearchAttributes, withWorker as runWithWorker } from './testing/workers';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([startTimeSkippingTemporal(), bundleSyncWorkflows()]);
  await registerSearchAttributes(env);
}, 120000);

afterAll(async () => {
  await env?.teardown();
});

const withWorker = <T>(memory: InMemoryActivities, body: (taskQueue: string) => Promise<T>) => runWithWorker(env, workflowBundle, memory, body);

/**
 * When the task workflow started each run, in its own clock: the start of the workflow task that
 * initiated the run's child (workflow time is that task's start, from the history).
 */
async function childStarts(workflowId: string): Promise<number[]> {
  const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const at = (event: (typeof events)[number]) => Number(event.eventTime!.seconds ?? 0) * 1000 + Math.floor((event.eventTime!.nanos ?? 0) / 1e6);
  let taskStartedAt = 0;
  const starts: number[] = [];
  for (const event of events) {
    if (event.workflowTaskStartedEventAttributes) taskStartedAt = at(event);
    if (event.startChildWorkflowExecutionInitiatedEventAttributes) starts.push(taskStartedAt);
  }
  return starts;
}

test('a first real-time trigger runs at once; triggers during that run make ONE next run, a whole window after the first started', async () => {
  const taskId = `task-leading-${Date.now()}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 60_000 } } });
  const release = memory.holdSnapshots();
  await withWorker(memory, async (taskQueue) => {
    try {
      const handle = await env.client.workflow.signalWithStart(syncTaskWorkflow, {
        taskQueue,
        workflowId: taskWorkflowId(taskId),
        args: [{ taskId }],
        signal: triggerSignal,
        signalArgs: [{ trigger: 'realtime', changedIds: ['a'] }],
      });
      // No env.sleep: the test server's clock stands still, so only a run that waits no window starts.
      await eventually(() => memory.runsOf(taskId).length === 1, 'the first real-time run, started at once');
      for (const ids of [['b'], ['c', 'b'], ['d']]) await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: ids });
      await eventually(async () => (await handle.query(stateQuery)).pending.real?.changedIds === 3, 'the triggers during the run');
      release();
      await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 1, 'the first run to end');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(memory.runsOf(taskId)).toHaveLength(1); // the window of the first run is still open
      await env.sleep('30s');
      await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: ['e'] }); // does not slide the window
      await env.sleep('35s');
      await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 2, 'the one follow-up run');
      expect(memory.runsOf(taskId).map((run) => [run.trigger, run.changedIds])).toEqual([
        ['realtime', ['a']],
        ['realtime', ['b', 'c', 'd', 'e']],
      ]);
      const [first, second] = await childStarts(handle.workflowId);
      expect(second - first).toBeGreaterThanOrEqual(60_000);
      expect(second - first).toBeLessThan(80_000); // not 60 s after the last trigger: the window did not slide
      await handle.terminate('test done');
    } finally {
      release();
    }
  });
}, 120000);

test('continue-as-new carries pending triggers into the next execution', async () => {
  const taskId = `task-can-${Date.now()}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 10 } } });
  const release = memory.holdSnapshots();
  // Released in finally too: a held activity would keep the worker from shutting down after a failure.
  await withWorker(memory, async (taskQueue) => {
    try {
      const handle = await env.client.workflow.signalWithStart(syncTaskWorkflow, {
        taskQueue,
        workflowId: taskWorkflowId(taskId),
        args: [{ taskId, runsPerExecution: 1 }],
        signal: triggerSignal,
        signalArgs: [{ trigger: 'manual' }],
      });
      const firstExecution = handle.signaledRunId;
      await eventually(() => memory.runsOf(taskId).length === 1, 'the first run');
      await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: ['u9'] });
      await eventually(async () => (await handle.query(stateQuery)).pending.real !== undefined, 'the pending trigger');
      release();

      const current = env.client.workflow.getHandle(taskWorkflowId(taskId));
      await eventually(async () => (await current.query(stateQuery)).runsCompleted === 2, 'the carried run');
      const runs = memory.runsOf(taskId);
      expect(runs.map((run) => [run.trigger, run.changedIds])).toEqual([['manual', undefined], ['realtime', ['u9']]]);
      const first = await env.client.workflow.getHandle(taskWorkflowId(taskId), firstExecution).describe();
      expect(first.status.name).toBe('CONTINUED_AS_NEW');
      expect((await current.describe()).runId).not.toBe(firstExecution);
      await current.terminate('test done');
    } finally {
      release();
    }
  });
}, 120000);

test('coalesced triggers (an upstream run’s hub writes) start at once, join the next run while one runs, and a plain trigger still waits its window', async () => {
  const taskId = `task-coalesced-${Date.now()}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 60_000 } } });
  const release = memory.holdSnapshots();
  await withWorker(memory, async (taskQueue) => {
    try {
      const handle = await env.client.workflow.signalWithStart(syncTaskWorkflow, {
        taskQueue,
        workflowId: taskWorkflowId(taskId),
        args: [{ taskId }],
        signal: triggerSignal,
        signalArgs: [{ trigger: 'realtime', changedIds: ['a'], coalesced: true }],
      });
      // No env.sleep: the test server's clock stands still, so only a run without a window can start.
      await eventually(() => memory.runsOf(taskId).length === 1, 'the coalesced run, started at once');
      await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: ['b'], coalesced: true });
      await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: ['c'], coalesced: true });
      await eventually(async () => (await handle.query(stateQuery)).pending.real?.changedIds === 2, 'the triggers to wait for the running run');
      release();
      await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 2, 'one follow-up run');

      await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: ['d'] });
      await eventually(async () => (await handle.query(stateQuery)).pending.real?.changedIds === 1, 'the plain trigger');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(memory.runsOf(taskId)).toHaveLength(2);
      await env.sleep('65s');
      await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 3, 'the debounced run');
      expect(memory.runsOf(taskId).map((run) => [run.trigger, run.changedIds])).toEqual([
        ['realtime', ['a']],
        ['realtime', ['b', 'c']],
        ['realtime', ['d']],
      ]);
      await handle.terminate('test done');
    } finally {
      release();
    }
  });
}, 120000);
