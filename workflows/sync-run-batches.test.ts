/**
 * syncRunWorkflow's apply batches on the real Temporal dev server: several at once where the plan
 * allows it (PlanResult.batchAfter / batchesInFlight), never before the batches they wait for, and
 * none still running when a cancelled or failed run records its outcome. Batches are held by gates
 * the test opens; what ran when is read from the recording fake and the workflow's history.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ItemCounters } from '../activities/types';
import { startLocalTemporal } from '../test/support/temporal';
import { progressQuery, runWorkflowId } from './definitions';
import { syncRunWorkflow } from './sync-run';
import { createInMemoryActivities, eventually, type InMemoryActivities, type ScriptedPlan } from './testing/in-memory-activities';
import { bundleSyncWorkflows, withWorker as runWithWorker } from './testing/workers';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows()]);
}, 120000);

afterAll(async () => {
  await env?.teardown();
});

const ok = (succeeded: number): ItemCounters => ({ succeeded, failed: 0, skipped: 0 });

interface GatedRun {
  memory: InMemoryActivities;
  taskId: string;
  runId: string;
  /** start:b, end:b (also after a cancel), finish:<status>, in the order they happened */
  log: string[];
  started: () => number[];
  open: (batch: number, outcome?: 'ok' | 'fail') => void;
}

/** A run whose applyBatch waits for the test to open its gate; a cancelled batch takes a while to stop (its calls in flight). */
function gatedRun(name: string, plan: ScriptedPlan): GatedRun {
  const taskId = `task-${name}-${Date.now()}`;
  const log: string[] = [];
  const gates = new Map<number, { promise: Promise<'ok' | 'fail'>; resolve: (o: 'ok' | 'fail') => void }>();
  const gate = (batch: number) => {
    let entry = gates.get(batch);
    if (!entry) {
      let resolve!: (o: 'ok' | 'fail') => void;
      const promise = new Promise<'ok' | 'fail'>((r) => (resolve = r));
      entry = { promise, resolve };
      gates.set(batch, entry);
    }
    return entry;
  };
  const memory = createInMemoryActivities({
    tasks: { [taskId]: {} },
    plans: { [taskId]: plan },
    overrides: {
      async applyBatch({ batch }) {
        log.push(`start:${batch}`);
        const ctx = Context.current();
        const beat = setInterval(() => ctx.heartbeat(), 200);
        try {
          const outcome = await Promise.race([gate(batch).promise, ctx.cancelled]);
          if (outcome === 'fail') throw ApplicationFailure.create({ type: 'CredentialsRefused', message: `batch ${batch}: refused`, nonRetryable: true });
          return plan.batches[batch];
        } catch (error) {
          // Cancelled: the calls in flight finish before the attempt ends.
          if (!(error instanceof ApplicationFailure)) await new Promise((resolve) => setTimeout(resolve, 500));
          throw error;
        } finally {
          clearInterval(beat);
          log.push(`end:${batch}`);
        }
      },
    },
  });
  const finishRun = memory.activities.finishRun;
  memory.activities.finishRun = async (input) => {
    const result = await finishRun(input);
    log.push(`finish:${result.status}`);
    return result;
  };
  return {
    memory,
    taskId,
    runId: `r-${taskId}`,
    log,
    started: () => log.filter((e) => e.startsWith('start:')).map((e) => Number(e.slice(6))),
    open: (batch, outcome = 'ok') => gate(batch).resolve(outcome),
  };
}

type BatchEvent = { event: 'scheduled' | 'completed' | 'failed' | 'canceled'; batch: number };

/** applyBatch events in history order: scheduled, then completed / failed / canceled, by batch. */
async function batchEvents(handle: WorkflowHandle): Promise<BatchEvent[]> {
  const history = await handle.fetchHistory();
  const batchOf = new Map<string, number>();
  const events: BatchEvent[] = [];
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'applyBatch') {
      const input = defaultPayloadConverter.fromPayload<{ batch: number }>(scheduled.input!.payloads![0]);
      batchOf.set(String(e.eventId), input.batch);
      events.push({ event: 'scheduled', batch: input.batch });
    }
    const ended = [
      ['completed', e.activityTaskCompletedEventAttributes],
      ['failed', e.activityTaskFailedEventAttributes],
      ['canceled', e.activityTaskCanceledEventAttributes],
    ] as const;
    for (const [event, attrs] of ended) {
      const batch = attrs ? batchOf.get(String(attrs.scheduledEventId)) : undefined;
      if (batch !== undefined) events.push({ event, batch });
    }
  }
  return events;
}

const scheduledBatches = async (handle: WorkflowHandle) => (await batchEvents(handle)).filter((e) => e.event === 'scheduled').map((e) => e.batch);

async function start(run: GatedRun, taskQueue: string) {
  return env.client.workflow.start(syncRunWorkflow, { taskQueue, workflowId: runWorkflowId(run.taskId, run.runId), args: [{ taskId: run.taskId, runId: run.runId }] });
}

const sameSet = (a: number[]) => [...a].sort((x, y) => x - y);

test('independent batches overlap, up to batchesInFlight at once', async () => {
  const run = gatedRun('overlap', { batches: [ok(1), ok(2), ok(3), ok(4)], batchAfter: [-1, -1, -1, -1], batchesInFlight: 3 });
  await runWithWorker(env, workflowBundle, run.memory, async (taskQueue) => {
    const handle = await start(run, taskQueue);
    // Three batches run at once although none has finished (one at a time, batch 1 would wait for batch 0).
    await eventually(() => run.started().length === 3, 'three batches started', 15000);
    expect(sameSet(run.started())).toEqual([0, 1, 2]);
    expect(sameSet(await scheduledBatches(handle))).toEqual([0, 1, 2]);
    run.open(1);
    await eventually(() => run.started().includes(3), 'batch 3 after one of three finished', 15000);
    expect(await handle.query(progressQuery)).toMatchObject({ phase: 'apply', batchesDone: 1, batchesTotal: 4, counters: ok(2) });
    for (const batch of [0, 2, 3]) run.open(batch);
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'succeeded', counters: ok(10) });
    expect(await handle.query(progressQuery)).toMatchObject({ phase: 'done', batchesDone: 4, counters: ok(10) });
    const events = await batchEvents(handle);
    // In the history: batches 0, 1 and 2 were all scheduled before any batch completed.
    const firstCompleted = events.findIndex((e) => e.event === 'completed');
    expect(events.slice(0, firstCompleted).map((e) => `${e.event}:${e.batch}`)).toEqual(['scheduled:0', 'scheduled:1', 'scheduled:2']);
    expect(events.filter((e) => e.event === 'completed').map((e) => e.batch)[0]).toBe(1);
  });
  expect(run.memory.runs.get(run.runId)).toMatchObject({ status: 'succeeded' });
}, 60000);

test('a batch never starts before the batches it waits for have all finished', async () => {
  // 0, 1: departments (1 waits for nothing); 2, 3: users of both (wait for 0..1); 4: the leader pass (waits for 0..3).
  const batchAfter = [-1, -1, 1, 1, 3];
  const run = gatedRun('phases', { batches: [ok(1), ok(1), ok(1), ok(1), ok(1)], batchAfter, batchesInFlight: 3 });
  await runWithWorker(env, workflowBundle, run.memory, async (taskQueue) => {
    const handle = await start(run, taskQueue);
    await eventually(() => run.started().length === 2, 'batches 0 and 1', 15000);
    run.open(1);
    // Batch 1 finished, batch 0 still runs: the users wait (their department may be in batch 0).
    await eventually(async () => (await handle.query(progressQuery)).batchesDone === 1, 'batch 1 recorded', 15000);
    expect(sameSet(await scheduledBatches(handle))).toEqual([0, 1]);
    run.open(0);
    await eventually(() => run.started().length === 4, 'batches 2 and 3', 15000);
    expect(sameSet(run.started())).toEqual([0, 1, 2, 3]);
    run.open(3);
    await eventually(async () => (await handle.query(progressQuery)).batchesDone === 3, 'batch 3 recorded', 15000);
    // Batch 4 waits for 0..3, and batch 2 still runs.
    expect(sameSet(await scheduledBatches(handle))).toEqual([0, 1, 2, 3]);
    run.open(2);
    await eventually(() => run.started().includes(4), 'batch 4', 15000);
    run.open(4);
    expect(await handle.result()).toMatchObject({ status: 'succeeded', counters: ok(5) });
    // From the history: each batch was scheduled only after every batch up to batchAfter[b] completed.
    const events = await batchEvents(handle);
    for (let batch = 0; batch < batchAfter.length; batch++) {
      const scheduledAt = events.findIndex((e) => e.event === 'scheduled' && e.batch === batch);
      for (let before = 0; before <= batchAfter[batch]; before++) {
        const completedAt = events.findIndex((e) => e.event === 'completed' && e.batch === before);
        expect({ batch, before, ok: completedAt >= 0 && completedAt < scheduledAt }).toEqual({ batch, before, ok: true });
      }
    }
  });
}, 60000);

test('cancelling a run mid-apply records it cancelled only once no batch is running, and starts no more', async () => {
  const run = gatedRun('cancel', { batches: [ok(1), ok(1), ok(1), ok(1), ok(1)], batchAfter: [-1, -1, -1, -1, -1], batchesInFlight: 3 });
  await runWithWorker(env, workflowBundle, run.memory, async (taskQueue) => {
    const handle = await start(run, taskQueue);
    await eventually(() => run.started().length === 3, 'three batches started', 15000);
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    const events = await batchEvents(handle);
    expect(events.filter((e) => e.event === 'canceled').map((e) => e.batch).sort()).toEqual([0, 1, 2]);
    expect(sameSet(await scheduledBatches(handle))).toEqual([0, 1, 2]);
  });
  // Every started batch ended (its calls in flight done) before the run's outcome was recorded.
  const finishAt = run.log.indexOf('finish:canceled');
  expect(finishAt).toBeGreaterThan(0);
  expect(run.log.slice(finishAt + 1)).toEqual([]);
  expect(run.log.filter((e) => e.startsWith('end:')).length).toBe(3);
  expect(run.memory.runs.get(run.runId)).toMatchObject({ status: 'canceled' });
}, 90000);

test('a batch failing for good cancels the others, which stop before the run is recorded failed', async () => {
  const run = gatedRun('fail', { batches: [ok(1), ok(1), ok(1), ok(1)], batchAfter: [-1, -1, -1, -1], batchesInFlight: 3 });
  await runWithWorker(env, workflowBundle, run.memory, async (taskQueue) => {
    const handle = await start(run, taskQueue);
    await eventually(() => run.started().length === 3, 'three batches started', 15000);
    run.open(0);
    await eventually(async () => (await handle.query(progressQuery)).batchesDone === 1, 'batch 0 recorded', 15000);
    await eventually(() => run.started().length === 4, 'batch 3 started', 15000);
    run.open(1, 'fail');
    await expect(handle.result()).rejects.toThrow();
    const events = await batchEvents(handle);
    expect(events.filter((e) => e.event !== 'scheduled').map((e) => `${e.event}:${e.batch}`).sort()).toEqual(['canceled:2', 'canceled:3', 'completed:0', 'failed:1']);
  });
  const finishAt = run.log.indexOf('finish:failed');
  expect(finishAt).toBeGreaterThan(0);
  expect(run.log.slice(finishAt + 1)).toEqual([]);
  expect(run.log.filter((e) => e.startsWith('end:')).length).toBe(4);
  expect(run.memory.runs.get(run.runId)).toMatchObject({ status: 'failed', error: 'batch 1: refused' });
}, 90000);

test('a plan without batchAfter (a retried plan step) applies one batch at a time', async () => {
  const run = gatedRun('nobatchafter', { batches: [ok(1), ok(1)], batchesInFlight: 3 });
  await runWithWorker(env, workflowBundle, run.memory, async (taskQueue) => {
    const handle = await start(run, taskQueue);
    await eventually(() => run.started().length === 1, 'batch 0', 15000);
    expect(await scheduledBatches(handle)).toEqual([0]);
    run.open(0);
    await eventually(() => run.started().length === 2, 'batch 1', 15000);
    run.open(1);
    expect(await handle.result()).toMatchObject({ status: 'succeeded', counters: ok(2) });
  });
}, 60000);
