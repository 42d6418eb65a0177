/**
 * The task workflow under signal storms and after being lost, on the real Temporal dev server with
 * in-memory activities: history stays bounded during a long run (continue-as-new mid-run, the
 * run outliving the execution that started it), no changed id is lost, and a terminated task
 * workflow is recreated by the next schedule fire or webhook.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createRealtimeSignaller } from '../api/webhooks/realtime-signal';
import { startLocalTemporal } from '../test/support/temporal';
import { runFinishedSignal, runWorkflowId, stateQuery, taskWorkflowId, triggerSignal, type TriggerRequest } from './definitions';
import { scheduledTriggerWorkflow } from './scheduled-trigger';
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
const newTaskId = (label: string) => `task-${label}-${Date.now()}`;
const ok = (succeeded: number) => ({ succeeded, failed: 0, skipped: 0 });

async function signalWithStart(taskQueue: string, taskId: string, trigger: TriggerRequest, extra: { historyBytesLimit?: number } = {}) {
  return env.client.workflow.signalWithStart(syncTaskWorkflow, {
    taskQueue,
    workflowId: taskWorkflowId(taskId),
    args: [{ taskId, ...extra }],
    signal: triggerSignal,
    signalArgs: [trigger],
  });
}

/** Every execution of a workflow id, oldest first, with its history length and size. */
async function executions(workflowId: string) {
  const runIds: string[] = [];
  for await (const execution of env.client.workflow.list({ query: `WorkflowId="${workflowId}"` })) runIds.push(execution.runId);
  return Promise.all(
    runIds.reverse().map(async (runId) => {
      const description = await env.client.workflow.getHandle(workflowId, runId).describe();
      return { runId, status: description.status.name, events: description.historyLength, bytes: description.historySize ?? 0 };
    }),
  );
}

/** Sends `count` signals, `parallel` at a time. */
async function storm(count: number, parallel: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) await send(next++);
  }));
}

// Raw signals, bypassing the project's senders (which start at most one per task per 200 ms, see the
// next test). The server appends them to the history whatever the worker does: at 3,000 unthrottled
// signals from 8 parallel senders one history reached 30 MB before the workflow could continue-as-new
// (a worker cannot refuse a signal). 1,000 stay bounded; our senders never come near either rate.
test('a storm of 1,000 signals of 1,000 ids during a long run keeps every history under 8 MB, continues-as-new mid-run and loses no id', async () => {
  const taskId = newTaskId('storm');
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 50 } }, plans: { [taskId]: { batches: [ok(1)] } } });
  const pool = Array.from({ length: 1000 }, (_, i) => `user-${String(i).padStart(4, '0')}`);
  const release = memory.holdSnapshots();
  await withWorker(memory, async (taskQueue) => {
    try {
      const handle = await signalWithStart(taskQueue, taskId, { trigger: 'manual' });
      await eventually(() => memory.runsOf(taskId).length === 1, 'the long run');
      const firstExecution = (await handle.describe()).runId;
      // Each signal carries the whole pool in a different order: ~13 kB a signal, ~13 MB in all.
      await storm(1000, 8, (i) => handle.signal(triggerSignal, { trigger: 'realtime', changedIds: [...pool.slice(i % 1000), ...pool.slice(0, i % 1000)] }));
      expect((await handle.describe()).runId).not.toBe(firstExecution); // continued-as-new while the run held
      expect(memory.runsOf(taskId)).toHaveLength(1);
      // The worker may still be working through the signals: queries wait (or time out) meanwhile.
      const state = (await eventually(() => handle.query(stateQuery).catch(() => undefined), 'the state after the storm', 60000))!;
      expect(state.running).toMatchObject({ runId: memory.runsOf(taskId)[0].runId });
      expect(state.pending.real).toMatchObject({ trigger: 'realtime', full: false, changedIds: 1000 });

      release();
      await eventually(async () => (await handle.query(stateQuery).catch(() => undefined))?.runsCompleted === 2, 'the follow-up run', 60000);
      const runs = memory.runsOf(taskId);
      expect(runs.map((run) => run.status)).toEqual(['succeeded', 'succeeded']);
      expect(new Set(runs[1].changedIds)).toEqual(new Set(pool));
      expect((await handle.query(stateQuery)).lastRun).toEqual({ runId: runs[1].runId, status: 'succeeded' });

      // How many executions the storm spans depends on how many signals each workflow task took in
      // (fewer, larger ones on a loaded machine: 4 seen in CI, 6+ on a quiet one); the bound is per execution.
      const chain = await executions(handle.workflowId);
      expect(chain.length).toBeGreaterThan(1);
      for (const execution of chain) {
        expect(execution.bytes).toBeLessThan(8_000_000); // the server's cap is 50 MB
        expect(execution.events).toBeLessThan(5_000);
      }
      process.stdout.write(`storm: ${chain.length} executions, largest ${Math.max(...chain.map((e) => e.bytes))} bytes / ${Math.max(...chain.map((e) => e.events))} events\n`);
      await handle.terminate('test done');
    } finally {
      release();
    }
  });
}, 300_000);

test('a webhook storm through the real signaller (5,000 events in ~10 s, 100 receivers at once) costs a few signals a second, bounded histories, and no lost id', async () => {
  const taskId = newTaskId('webhook-storm');
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 50 } }, plans: { [taskId]: { batches: [ok(1)] } } });
  const pool = Array.from({ length: 1000 }, (_, i) => `user-${String(i).padStart(4, '0')}`);
  const release = memory.holdSnapshots();
  await withWorker(memory, async (taskQueue) => {
    try {
      const handle = await signalWithStart(taskQueue, taskId, { trigger: 'manual' });
      await eventually(() => memory.runsOf(taskId).length === 1, 'the long run');
      const signaller = createRealtimeSignaller(env.client, { taskQueue });
      const task = { id: taskId, direction: 'downstream', connectorKind: 'wecom' };
      const began = Date.now();
      // Each event names 200 ids of the pool; 100 receivers (a vendor's parallel deliveries) each
      // answer an event once its signal is sent, as the webhook route does.
      await storm(5000, 100, async (i) => {
        await signaller.signal(task, Array.from({ length: 200 }, (_, j) => pool[(i * 7 + j) % 1000]));
      });
      const seconds = (Date.now() - began) / 1000;
      const chain = await executions(handle.workflowId);
      const signals = (
        await Promise.all(
          chain.map(async (e) => {
            let count = 0;
            for (const event of (await env.client.workflow.getHandle(handle.workflowId, e.runId).fetchHistory()).events ?? []) if (event.workflowExecutionSignaledEventAttributes) count++;
            return count;
          }),
        )
      ).reduce((a, b) => a + b, 0);
      process.stdout.write(`webhook storm: 5,000 events in ${seconds.toFixed(1)} s, ${signals} signals, ${chain.length} executions\n`);
      // One signal per 200 ms at most (plus the leading one); unthrottled it was one per event round trip.
      expect(signals).toBeLessThanOrEqual(Math.ceil(seconds * 5) + 2);
      for (const execution of chain) expect(execution.bytes).toBeLessThan(2_000_000);

      release();
      await eventually(async () => (await handle.query(stateQuery).catch(() => undefined))?.runsCompleted === 2, 'the follow-up run', 60000);
      const runs = memory.runsOf(taskId);
      expect(runs).toHaveLength(2);
      expect(new Set(runs[1].changedIds)).toEqual(new Set(pool));
      await env.client.workflow.getHandle(handle.workflowId).terminate('test done');
    } finally {
      release();
    }
  });
}, 180_000);

test('ids from before and after several mid-run continue-as-news all reach the next run; past the bound it runs full', async () => {
  const taskId = newTaskId('carry');
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 50 } } });
  const release = memory.holdSnapshots();
  await withWorker(memory, async (taskQueue) => {
    try {
      const handle = await signalWithStart(taskQueue, taskId, { trigger: 'manual' }, { historyBytesLimit: 2_000 });
      await eventually(() => memory.runsOf(taskId).length === 1, 'the long run');
      const expected: string[] = [];
      for (let i = 0; i < 30; i++) {
        const ids = Array.from({ length: 30 }, (_, j) => `s${i}-u${j}`);
        expected.push(...ids);
        await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: ids });
        // Each signal seen before the next: signals that pile up before one workflow task all land in one
        // execution, which then continues-as-new once (see the test after next), not several times.
        await eventually(async () => (await handle.query(stateQuery)).pending.real?.changedIds === expected.length, `signal ${i} seen`);
      }
      await eventually(async () => (await executions(handle.workflowId)).length > 3, 'several continue-as-news');
      release();
      await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 2, 'the follow-up run');
      expect(new Set(memory.runsOf(taskId)[1].changedIds)).toEqual(new Set(expected));

      // 1,001 distinct ids no longer fit one run's list: the pending run becomes a full one.
      const hold = memory.holdSnapshots();
      await handle.signal(triggerSignal, { trigger: 'manual' });
      await eventually(() => memory.runsOf(taskId).length === 3, 'the third run');
      for (let i = 0; i < 11; i++) await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: Array.from({ length: 91 }, (_, j) => `o${i}-u${j}`) });
      await eventually(async () => (await handle.query(stateQuery)).pending.real?.full === true, 'a full pending run');
      hold();
      await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 4, 'the full run');
      expect(memory.runsOf(taskId)[3]).toMatchObject({ trigger: 'realtime', status: 'succeeded' });
      expect(memory.runsOf(taskId)[3].changedIds).toBeUndefined();
      await handle.terminate('test done');
    } finally {
      release();
    }
  });
}, 120_000);

test('signals piled up before a mid-run execution’s first workflow task (a busy or absent worker) count toward its history bound', async () => {
  const taskId = newTaskId('piled');
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 50 } } });
  const taskQueue = `sync-test-piled-${Date.now()}`;
  // The execution a mid-run continue-as-new starts, its run still going; no worker polls yet, so
  // every signal lands before its first workflow task.
  const running = { runId: 'run-before', trigger: 'manual' as const, dryRun: false, full: true, changedIds: [], firstTriggerAt: 0, lastTriggerAt: 0 };
  const handle = await env.client.workflow.start(syncTaskWorkflow, { taskQueue, workflowId: taskWorkflowId(taskId), args: [{ taskId, running, historyBytesLimit: 2_000 }] });
  const expected: string[] = [];
  for (let i = 0; i < 30; i++) {
    const ids = Array.from({ length: 30 }, (_, j) => `p${i}-u${j}`);
    expected.push(...ids);
    await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: ids });
  }
  expect((await executions(handle.workflowId))[0].bytes).toBeGreaterThan(10_000);
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: memory.activities });
  await worker.runUntil(async () => {
    await eventually(async () => (await executions(handle.workflowId)).length > 1, 'a continue-as-new of the piled-up history');
    await eventually(async () => (await handle.query(stateQuery)).pending.real?.changedIds === 900, 'every id carried');
    await handle.signal(runFinishedSignal, { runId: 'run-before', status: 'succeeded' });
    await eventually(async () => (await handle.query(stateQuery)).runsCompleted === 2, 'the follow-up run');
    expect(new Set(memory.runsOf(taskId)[0].changedIds)).toEqual(new Set(expected));
    await handle.terminate('test done');
  });
}, 120_000);

test('cancelling the task (deleting it) after a mid-run continue-as-new still cancels its run', async () => {
  const taskId = newTaskId('cancel');
  const memory = createInMemoryActivities({ tasks: { [taskId]: {} } });
  const release = memory.holdSnapshots();
  await withWorker(memory, async (taskQueue) => {
    try {
      const handle = await signalWithStart(taskQueue, taskId, { trigger: 'manual' }, { historyBytesLimit: 5_000 });
      await eventually(() => memory.runsOf(taskId).length === 1, 'the run');
      for (let i = 0; i < 10; i++) await handle.signal(triggerSignal, { trigger: 'realtime', changedIds: Array.from({ length: 30 }, (_, j) => `c${i}-u${j}`) });
      await eventually(async () => (await executions(handle.workflowId)).length > 1, 'a continue-as-new');
      const run = env.client.workflow.getHandle(runWorkflowId(taskId, memory.runsOf(taskId)[0].runId));
      await handle.cancel();
      release();
      await eventually(async () => (await run.describe()).status.name === 'CANCELLED', 'the run cancelled');
      expect(memory.runsOf(taskId)[0].status).toBe('canceled');
    } finally {
      release();
    }
  });
}, 120_000);

test('a terminated task workflow is recreated by the next schedule fire, and by the next webhook', async () => {
  const taskId = newTaskId('lost');
  const memory = createInMemoryActivities({ tasks: { [taskId]: { realtimeDebounceMs: 50 } } });
  await withWorker(memory, async (taskQueue) => {
    const first = await signalWithStart(taskQueue, taskId, { trigger: 'manual' });
    await eventually(async () => (await first.query(stateQuery)).runsCompleted === 1, 'the first run');
    await first.terminate('lost (test)');

    await env.client.workflow.execute(scheduledTriggerWorkflow, { taskQueue, workflowId: `sync-schedule-trigger:${taskId}-1`, args: [{ taskId }] });
    const recreated = env.client.workflow.getHandle(taskWorkflowId(taskId));
    await eventually(() => memory.runsOf(taskId).length === 2, 'a scheduled run of a recreated task workflow');
    expect(memory.runsOf(taskId)[1]).toMatchObject({ trigger: 'schedule' });
    await eventually(async () => (await recreated.query(stateQuery)).runsCompleted === 1, 'the scheduled run to end');
    // The schedule fires again while the workflow runs: a plain signal, no second workflow.
    await env.client.workflow.execute(scheduledTriggerWorkflow, { taskQueue, workflowId: `sync-schedule-trigger:${taskId}-2`, args: [{ taskId }] });
    await eventually(async () => (await recreated.query(stateQuery)).runsCompleted === 2, 'the second scheduled run');
    expect((await executions(taskWorkflowId(taskId))).filter((e) => e.status === 'RUNNING')).toHaveLength(1);
    await recreated.terminate('lost again (test)');

    const signaller = createRealtimeSignaller(env.client, { taskQueue });
    await signaller.signal({ id: taskId, direction: 'downstream', connectorKind: 'wecom' }, ['u1', 'u2']);
    await eventually(() => memory.runsOf(taskId).length === 4, 'a real-time run of a recreated task workflow');
    expect(memory.runsOf(taskId)[3]).toMatchObject({ trigger: 'realtime', changedIds: ['u1', 'u2'] });
    await env.client.workflow.getHandle(taskWorkflowId(taskId)).terminate('test done');
  });
}, 120_000);
