/** syncTaskWorkflow on the real Temporal dev server, with in-memory activities. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { startLocalTemporal } from '../test/support/temporal';
import { configChangedSignal, type TriggerRequest, pauseSignal, requestRunUpdate, resumeSignal, runWorkflowId, stateQuery, taskWorkflowId, triggerSignal } from './definitions';
import { syncTaskWorkflow } from './sync-task';
import { createInMemoryActivities, eventually, type InMemoryActivities } from './testing/in-memory-activities';
import { bundleSyncWorkflows, withWorker as runWithWorker } from './testing/workers';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows()]);
}, 120000);

afterAll(async () => {
  await env?.teardown();
});

const withWorker = <T>(memory: InMemoryActivities, body: (taskQueue: string) => Promise<T>) => runWithWorker(env, workflowBundle, memory, body);

let taskSequence = 0;
const newTaskId = (label: string) => `task-${label}-${Date.now()}-${++taskSequence}`;

/** Starts the task's entity workflow the way the API will: signal-with-start. */
function signalWithStart(taskQueue: string, taskId: string, trigger: TriggerRequest) {
  return env.client.workflow.signalWithStart(syncTaskWorkflow, {
    taskQueue,
    workflowId: taskWorkflowId(taskId),
    args: [{ taskId }],
    signal: triggerSignal,
    signalArgs: [trigger],
  });
}

async function stop(handle: WorkflowHandle): Promise<void> {
  await handle.terminate('test done');
}

const ok = (succeeded: number) => ({ succeeded, failed: 0, skipped: 0 });

test('triggers arriving during a run are coalesced into exactly one follow-up run', async () => {
  const taskId = newTaskId('coalesce');
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 200 } }, plans: { [taskId]: { batches: [ok(1)] } } });
  const release = memory.holdSnapshots();
  await withWorker(memory, async (taskQueue) => {
    const handle = await signalWithStart(taskQueue, taskId, { trigger: 'manual' });
    await eventually(() => memory.runsOf(taskId).length === 1, 'the first run');
    await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: ['u1'] });
    await handle.signal(triggerSignal, { trigger: 'schedule' });
    await handle.signal(triggerSignal, { trigger: 'manual' });
    await eventually(async () => (await handle.query(stateQuery)).pending.real?.trigger === 'manual', 'the triggers to be pending');
    release();
    await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 2, 'two runs');
    await new Promise((resolve) => setTimeout(resolve, 500)); // a third run would have started by now
    const runs = memory.runsOf(taskId);
    expect(runs).toHaveLength(2);
    // The full manual run absorbed the real-time change, so it runs over everything.
    expect(runs[1]).toMatchObject({ trigger: 'manual', status: 'succeeded' });
    expect(runs[1].changedIds).toBeUndefined();
    expect((await handle.query(stateQuery)).lastRun).toEqual({ runId: runs[1].runId, status: 'succeeded' });
    await stop(handle);
  });
});

test('a burst of 50 real-time triggers becomes at most 3 runs covering the union of changed ids', async () => {
  const taskId = newTaskId('burst');
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 1000 } } });
  await withWorker(memory, async (taskQueue) => {
    const handle = await signalWithStart(taskQueue, taskId, { trigger: 'realtime', changedIds: ['u0'] });
    for (let i = 1; i < 50; i++) await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: [`u${i}`, 'shared'] });
    await eventually(async () => {
      const state = await handle.query(stateQuery);
      return !state.running && !state.pending.real && state.runsCompleted > 0;
    }, 'the burst to be processed');
    const runs = memory.runsOf(taskId);
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.length).toBeLessThanOrEqual(3);
    const covered = new Set(runs.flatMap((run) => run.changedIds ?? []));
    expect(covered).toEqual(new Set([...Array.from({ length: 50 }, (_, i) => `u${i}`), 'shared']));
    for (const run of runs) expect(run.trigger).toBe('realtime');
    await stop(handle);
  });
}, 60000);

type HistoryEvents = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>;
const eventMs = (event: HistoryEvents[number]) => Number(event.eventTime!.seconds ?? 0) * 1000 + Math.floor((event.eventTime!.nanos ?? 0) / 1e6);

test('a first real-time event starts its run at once, not after the debounce window; the history replays', async () => {
  const taskId = newTaskId('leading');
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 60_000 } } });
  await withWorker(memory, async (taskQueue) => {
    const handle = await signalWithStart(taskQueue, taskId, { trigger: 'realtime', changedIds: ['u1'] });
    // Well inside the 60 s window: only a leading-edge run can have started.
    await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 1, 'the first real-time run');
    expect(memory.runsOf(taskId).map((run) => [run.trigger, run.changedIds, run.status])).toEqual([['realtime', ['u1'], 'succeeded']]);
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const childAt = events.findIndex((event) => event.startChildWorkflowExecutionInitiatedEventAttributes);
    expect(childAt).toBeGreaterThan(0);
    // No debounce timer was started before the run.
    expect(events.slice(0, childAt).filter((event) => event.timerStartedEventAttributes)).toEqual([]);
    await stop(handle);
    const h = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle }, h, handle.workflowId);
  });
});

test('real-time events during a run make exactly one follow-up run with all their ids, a debounce window after the first run started', async () => {
  const taskId = newTaskId('trailing');
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 300 } }, plans: { [taskId]: { batches: [ok(1)] } } });
  const release = memory.holdSnapshots();
  await withWorker(memory, async (taskQueue) => {
    try {
      const handle = await signalWithStart(taskQueue, taskId, { trigger: 'realtime', changedIds: ['a'] });
      await eventually(() => memory.runsOf(taskId).length === 1, 'the leading run');
      const during = Array.from({ length: 20 }, (_, i) => [`u${i}`, `u${(i + 1) % 20}`]);
      for (const ids of during) await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: ids });
      await eventually(async () => (await handle.query(stateQuery)).pending.real?.changedIds === 20, 'the events during the run');
      release();
      await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 2, 'the follow-up run');
      await new Promise((resolve) => setTimeout(resolve, 700)); // a third run would have started by now
      const runs = memory.runsOf(taskId);
      expect(runs.map((run) => [run.trigger, run.status])).toEqual([
        ['realtime', 'succeeded'],
        ['realtime', 'succeeded'],
      ]);
      expect(runs[0].changedIds).toEqual(['a']);
      expect(new Set(runs[1].changedIds)).toEqual(new Set(during.flat()));
      // In the workflow's clock: the start of the workflow task that initiated each run's child.
      let taskStartedAt = 0;
      const starts: number[] = [];
      for (const event of (await handle.fetchHistory()).events ?? []) {
        if (event.workflowTaskStartedEventAttributes) taskStartedAt = eventMs(event);
        if (event.startChildWorkflowExecutionInitiatedEventAttributes) starts.push(taskStartedAt);
      }
      expect(starts).toHaveLength(2);
      expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(300);
      await stop(handle);
      await Worker.runReplayHistory({ workflowBundle }, await handle.fetchHistory(), handle.workflowId);
      // The runs' own histories, with their local bookkeeping activities, replay too.
      for (const run of runs) {
        const child = env.client.workflow.getHandle(runWorkflowId(taskId, run.runId));
        await Worker.runReplayHistory({ workflowBundle }, await child.fetchHistory(), child.workflowId);
      }
    } finally {
      release();
    }
  });
});

test('paused, triggers are kept; resuming runs them once', async () => {
  const taskId = newTaskId('pause');
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 100 } } });
  await withWorker(memory, async (taskQueue) => {
    const handle = await env.client.workflow.start(syncTaskWorkflow, { taskQueue, workflowId: taskWorkflowId(taskId), args: [{ taskId, paused: true }] });
    await handle.signal(triggerSignal, { trigger: 'schedule' });
    await handle.signal(triggerSignal, { trigger: 'manual' });
    await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: ['u1'] });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(memory.runsOf(taskId)).toHaveLength(0);
    expect((await handle.query(stateQuery)).pending.real).toMatchObject({ trigger: 'manual', full: true });

    await handle.signal(resumeSignal);
    await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 1, 'the resumed run');
    await handle.signal(pauseSignal);
    await handle.signal(triggerSignal, { trigger: 'manual' });
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(memory.runsOf(taskId)).toHaveLength(1);
    expect(memory.runsOf(taskId)[0]).toMatchObject({ trigger: 'manual' });
    expect(memory.runsOf(taskId)[0].changedIds).toBeUndefined();
    expect((await handle.query(stateQuery)).paused).toBe(true);
    await stop(handle);
  });
});

test('requestRun answers with the id of the run that will carry the trigger; dry runs stay apart', async () => {
  const taskId = newTaskId('update');
  const memory = createInMemoryActivities({ tasks: { [taskId]: {} }, plans: { [taskId]: { batches: [ok(1)] } } });
  await withWorker(memory, async (taskQueue) => {
    const handle = await env.client.workflow.start(syncTaskWorkflow, { taskQueue, workflowId: taskWorkflowId(taskId), args: [{ taskId, paused: true }] });
    const dry = await handle.executeUpdate(requestRunUpdate, { args: [{ trigger: 'manual', dryRun: true }] });
    const real = await handle.executeUpdate(requestRunUpdate, { args: [{ trigger: 'manual' }] });
    const again = await handle.executeUpdate(requestRunUpdate, { args: [{ trigger: 'schedule' }] });
    expect(dry.coalesced).toBe(false);
    expect(real).toEqual({ runId: expect.any(String), coalesced: false });
    expect(again).toEqual({ runId: real.runId, coalesced: true });
    expect(dry.runId).not.toBe(real.runId);
    await expect(handle.executeUpdate(requestRunUpdate, { args: [{ trigger: 'hourly' as 'manual' }] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/^trigger: expected one of/) },
    });

    await handle.signal(resumeSignal);
    await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 2, 'both runs');
    const runs = memory.runsOf(taskId);
    expect(runs.map((run) => [run.runId, run.dryRun])).toEqual([[real.runId, false], [dry.runId, true]]);
    expect(memory.runs.get(dry.runId)!.phases).not.toContain('apply:0');
    await stop(handle);
  });
});

test('a disable the workflow was never told about still stops runs: the stored setting is read again before each run', async () => {
  const taskId = newTaskId('lost-disable');
  const tasks: Record<string, { realtimeDebounceMs: number; enabled?: boolean }> = { [taskId]: { realtimeDebounceMs: 100 } };
  const memory = createInMemoryActivities({ tasks, plans: { [taskId]: { batches: [ok(1)] } } });
  await withWorker(memory, async (taskQueue) => {
    const handle = await env.client.workflow.start(syncTaskWorkflow, { taskQueue, workflowId: taskWorkflowId(taskId), args: [{ taskId }] });
    await eventually(async () => (await handle.query(stateQuery)).enabled, 'the settings to load');
    // The API stored the disable, then died (or Temporal was down) before it signalled the workflow
    // or paused the Schedule: the Schedule fires and a real-time change arrives anyway.
    tasks[taskId].enabled = false;
    await handle.signal(triggerSignal, { trigger: 'schedule' });
    await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: ['u1'] });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(memory.runsOf(taskId)).toHaveLength(0);
    expect(await handle.query(stateQuery)).toMatchObject({ paused: true, enabled: false, pending: { real: { trigger: 'schedule', full: true } } });

    // Enabled again, and told as the API tells it: the kept triggers run once.
    tasks[taskId].enabled = true;
    await handle.signal(configChangedSignal);
    await handle.signal(resumeSignal);
    await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 1, 'the resumed run');
    expect(memory.runsOf(taskId)).toHaveLength(1);
    await stop(handle);
  });
});
