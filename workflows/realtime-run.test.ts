/**
 * Small real-time runs in one activity (activities/realtime-run.ts, behind patched('realtime-run-one-activity')),
 * on the real Temporal dev server with in-memory activities. What is asserted is the run's history
 * (which activities and child workflows it scheduled) and its records, never timing.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startLocalTemporal } from '../test/support/temporal';
import { approvalWorkflowId, runWorkflowId } from './definitions';
import { REALTIME_ONE_ACTIVITY_MAX_IDS, syncRunWorkflow } from './sync-run';
import { createInMemoryActivities, type InMemoryActivities, type ScriptedPlan } from './testing/in-memory-activities';
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
const ok = (succeeded: number) => ({ succeeded, failed: 0, skipped: 0 });

/** What the run's history asked the server for: activity tasks and child workflows, in order. */
async function scheduled(handle: WorkflowHandle): Promise<{ activities: string[]; children: string[]; workflowTasks: number; history: temporal.api.history.v1.IHistory }> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  return {
    activities: events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : [])),
    children: events.flatMap((e) => (e.startChildWorkflowExecutionInitiatedEventAttributes ? [e.startChildWorkflowExecutionInitiatedEventAttributes.workflowType!.name!] : [])),
    workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
    history,
  };
}

async function runOnce(name: string, plan: ScriptedPlan, input: { trigger?: 'realtime' | 'manual'; changedIds?: string[]; dryRun?: boolean }, overrides?: Parameters<typeof createInMemoryActivities>[0]['overrides']) {
  const taskId = `task-rt1-${name}-${Date.now()}`;
  const runId = `r-${taskId}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: {} }, plans: { [taskId]: plan }, overrides });
  const workflowId = runWorkflowId(taskId, runId);
  const outcome = await withWorker(memory, async (taskQueue) => {
    const handle = await env.client.workflow.start(syncRunWorkflow, { taskQueue, workflowId, args: [{ taskId, runId, trigger: 'realtime', ...input }] });
    try {
      return { result: await handle.result(), error: undefined };
    } catch (error) {
      return { result: undefined, error };
    }
  });
  const handle = env.client.workflow.getHandle(workflowId);
  return { ...outcome, memory, run: memory.runs.get(runId)!, runId, taskId, handle, ...(await scheduled(handle)) };
}

test('a small real-time run takes one activity for snapshot, plan, apply and staging, with the same records', async () => {
  const fast = await runOnce('fast', { batches: [ok(2)] }, { changedIds: ['u1', 'u2'] });
  const slow = await runOnce('manual', { batches: [ok(2)] }, { trigger: 'manual' });
  expect(fast.activities).toEqual(['realtimeRun', 'notifyRun']);
  expect(fast.children).toEqual([]);
  expect(slow.activities).toEqual(['snapshot', 'plan', 'applyBatch', 'stageRunDeletions', 'notifyRun']);
  // Fewer workflow tasks: each activity of the normal path costs one.
  expect(fast.workflowTasks).toBeLessThan(slow.workflowTasks);
  // The same steps ran, in the same order, with the same run records and result.
  expect(fast.run.phases).toEqual(['start', 'snapshot', 'plan', 'apply:0', 'stage', 'finish']);
  expect(fast.run.phases).toEqual(slow.run.phases);
  expect(fast.run).toMatchObject({ trigger: 'realtime', changedIds: ['u1', 'u2'], status: 'succeeded', counters: ok(2) });
  expect(fast.result).toMatchObject({ status: 'succeeded', counters: ok(2), pendingDeletions: 0, plan: { actions: 2, batches: 1 } });
  expect(fast.memory.calls.find((c) => c.name === 'snapshot')?.input).toEqual({ runId: fast.runId, changedIds: ['u1', 'u2'] });
  // Its history replays on the same code.
  await Worker.runReplayHistory({ workflowBundle }, fast.history, fast.handle.workflowId);
}, 60_000);

test('a real-time run whose plan stages deletes is handed back after planning and goes the normal way to approval', async () => {
  const staged = await runOnce('staged', { batches: [ok(1)], stagedDeletes: 2 }, { changedIds: ['u1'] });
  expect(staged.activities).toEqual(['realtimeRun', 'applyBatch', 'stageRunDeletions', 'notifyRun']);
  expect(staged.children).toEqual(['pendingDeletionApprovalWorkflow']);
  expect(staged.result).toMatchObject({ status: 'succeeded', pendingDeletions: 2, approvalWorkflowId: approvalWorkflowId(staged.runId) });
  expect(staged.run.phases).toEqual(['start', 'snapshot', 'plan', 'apply:0', 'stage', 'finish']);
  expect([...staged.memory.pendingDeletions.values()].map((item) => item.status)).toEqual(['PENDING', 'PENDING']);
  const held = await runOnce('held', { batches: [ok(1)], heldDisables: 1 }, { changedIds: ['u1'] });
  expect(held.activities).toEqual(['realtimeRun', 'applyBatch', 'stageRunDeletions', 'notifyRun']);
  expect(held.children).toEqual(['pendingDeletionApprovalWorkflow']);
}, 60_000);

test('large plans, many ids, dry runs and other triggers keep the separate steps', async () => {
  const twoBatches = await runOnce('batches', { batches: [ok(1), ok(1)] }, { changedIds: ['u1'] });
  expect(twoBatches.activities).toEqual(['realtimeRun', 'applyBatch', 'applyBatch', 'stageRunDeletions', 'notifyRun']);
  expect(twoBatches.run.phases).toEqual(['start', 'snapshot', 'plan', 'apply:0', 'apply:1', 'stage', 'finish']);
  const manyIds = Array.from({ length: REALTIME_ONE_ACTIVITY_MAX_IDS + 1 }, (_, i) => `u${i}`);
  expect((await runOnce('many', { batches: [ok(1)] }, { changedIds: manyIds })).activities).toEqual(['snapshot', 'plan', 'applyBatch', 'stageRunDeletions', 'notifyRun']);
  expect((await runOnce('dry', { batches: [ok(1)] }, { changedIds: ['u1'], dryRun: true })).activities).toEqual(['snapshot', 'plan', 'notifyRun']);
  expect((await runOnce('full', { batches: [ok(1)] }, {})).activities).toEqual(['snapshot', 'plan', 'applyBatch', 'stageRunDeletions', 'notifyRun']);
}, 90_000);

test('a failing step is recorded as on the normal path: failed, with its error and failure class', async () => {
  const refuse = {
    async applyBatch(): Promise<never> {
      throw ApplicationFailure.create({ type: 'InvalidConfig', message: 'connector.secrets: cannot be opened', nonRetryable: true });
    },
  };
  const fast = await runOnce('fail-fast', { batches: [ok(1)] }, { changedIds: ['u1'] }, refuse);
  const slow = await runOnce('fail-slow', { batches: [ok(1)] }, { changedIds: Array.from({ length: REALTIME_ONE_ACTIVITY_MAX_IDS + 1 }, (_, i) => `u${i}`) }, refuse);
  expect(fast.activities).toEqual(['realtimeRun', 'notifyRun']);
  for (const outcome of [fast, slow]) {
    expect(outcome.error).toBeInstanceOf(WorkflowFailedError);
    expect(outcome.run).toMatchObject({ status: 'failed', error: 'connector.secrets: cannot be opened', failureClass: 'config' });
    expect(outcome.run.phases).toEqual(['start', 'snapshot', 'plan', 'finish']);
  }
}, 60_000);

test('a transient failure retries the one activity, which resumes on the stored plan without a second snapshot', async () => {
  let attempts = 0;
  const outcome = await runOnce('retry', { batches: [ok(1)] }, { changedIds: ['u1'] }, {
    async applyBatch() {
      if (++attempts < 2) throw ApplicationFailure.create({ type: 'VendorTransient', message: 'feishu 99991400: rate limited', nonRetryable: false, nextRetryDelay: '10ms' });
      return ok(1);
    },
  });
  expect(outcome.result).toMatchObject({ status: 'succeeded', counters: ok(1) });
  expect(outcome.activities).toEqual(['realtimeRun', 'notifyRun']);
  expect(outcome.memory.calls.filter((c) => c.name === 'realtimeRun')).toHaveLength(2);
  expect(outcome.run.phases).toEqual(['start', 'snapshot', 'plan', 'plan', 'stage', 'finish']);
}, 60_000);
