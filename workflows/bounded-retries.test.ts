/**
 * A snapshot that fails the same retryable way on every attempt (issue 11: a hostile expression
 * starved the worker, the heartbeat timed out, and the attempt moved to the next worker forever)
 * ends the run as failed after a bounded number of attempts. Every activity has bounded retries
 * (issue 18), and a programming error fails at its first attempt, while vendor 5xx and rate limits
 * keep retrying within the bound. Time-skipping server: the back-off passes at once.
 */
import { z } from 'zod';
import { ConnectorSettingsError } from '../connectors/registry';
import { VendorError } from '../connectors/errors';
import type { SyncActivities } from '../activities/types';
import { transientFailure } from '../activities/vendor-failure';
import { activityOptions, localActivityOptions } from './activity-proxies';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startTimeSkippingTemporal } from '../test/support/temporal';
import { syncRunWorkflow } from './sync-run';
import { syncTaskWorkflow } from './sync-task';
import { stateQuery, taskWorkflowId, triggerSignal } from './definitions';
import { createInMemoryActivities } from './testing/in-memory-activities';
import { bundleSyncWorkflows, registerSearchAttributes, withWorker } from './testing/workers';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([startTimeSkippingTemporal(), bundleSyncWorkflows()]);
  await registerSearchAttributes(env);
}, 120000);

afterAll(async () => {
  await env?.teardown();
});

test('a snapshot failing the same retryable way every time fails the run after 20 attempts', async () => {
  const taskId = `task-bounded-${Date.now()}`;
  let attempts = 0;
  const memory = createInMemoryActivities({
    tasks: { [taskId]: {} },
    overrides: {
      snapshot: async () => {
        attempts++;
        throw ApplicationFailure.retryable('activity heartbeat timed out', 'Starved');
      },
    },
  });
  const outcome = await withWorker(env, workflowBundle, memory, (taskQueue) =>
    env.client.workflow.execute(syncRunWorkflow, { taskQueue, workflowId: `run-${taskId}`, args: [{ taskId, runId: `r-${taskId}` }] }).catch((error: unknown) => error),
  );
  expect(outcome).toBeInstanceOf(WorkflowFailedError);
  expect(attempts).toBe(20);
  expect(memory.runs.get(`r-${taskId}`)).toMatchObject({ status: 'failed' });
}, 120000);

const runOnce = async (overrides: Partial<SyncActivities>, plan?: { batches: { succeeded: number; failed: number; skipped: number }[] }) => {
  const taskId = `task-bounded-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: {} }, overrides, ...(plan ? { plans: { [taskId]: plan } } : {}) });
  const outcome = await withWorker(env, workflowBundle, memory, (taskQueue) =>
    env.client.workflow.execute(syncRunWorkflow, { taskQueue, workflowId: `run-${taskId}`, args: [{ taskId, runId: `r-${taskId}` }] }).catch((error: unknown) => error),
  );
  return { outcome, run: memory.runs.get(`r-${taskId}`) };
};

const programmingErrors: [string, () => never][] = [
  ['TypeError', () => (undefined as unknown as { id: string }).id as never],
  ['ReferenceError', () => { throw new ReferenceError('snapshotRef is not defined'); }],
  ['ZodError (our own stored data failed its schema)', () => z.object({ id: z.string() }).parse({ id: 7 }) as never],
  ['an unknown connector kind', () => { throw new ConnectorSettingsError('connector.kind', 'unknown connector kind "wecomm"'); }],
];

test.each(programmingErrors)('a programming error (%s) fails the run at its first attempt, the reason in the run row', async (_label, fault) => {
  let attempts = 0;
  const { outcome, run } = await runOnce({
    plan: async () => {
      attempts++;
      return fault();
    },
  });
  expect(outcome).toBeInstanceOf(WorkflowFailedError);
  expect(attempts).toBe(1);
  expect(run).toMatchObject({ status: 'failed', error: expect.any(String) });
  expect(run!.error!.length).toBeGreaterThan(0);
}, 60000);

test('vendor 5xx and rate limits retry within the bound, and the run succeeds once the vendor answers', async () => {
  let attempts = 0;
  const { outcome, run } = await runOnce(
    {
      applyBatch: async () => {
        attempts++;
        if (attempts === 1) throw transientFailure(new VendorError('transient', 'http_503', 'Service Unavailable'));
        if (attempts === 2) throw transientFailure(new VendorError('transient', '45009', 'api freq out of limit', 2000));
        if (attempts === 3) throw new VendorError('transient', 'ECONNRESET', 'socket hang up'); // a network error escaping as is
        return { succeeded: 1, failed: 0, skipped: 0 };
      },
    },
    { batches: [{ succeeded: 1, failed: 0, skipped: 0 }] },
  );
  expect(outcome).toMatchObject({ status: 'succeeded' });
  expect(attempts).toBe(4);
  expect(run).toMatchObject({ status: 'succeeded' });
}, 60000);

test('an apply step whose vendor never recovers gives up within the bound: the run ends failed with the reason, not running', async () => {
  let attempts = 0;
  const { outcome, run } = await runOnce(
    {
      applyBatch: async () => {
        attempts++;
        throw transientFailure(new VendorError('transient', 'http_502', 'Bad Gateway'));
      },
    },
    { batches: [{ succeeded: 1, failed: 0, skipped: 0 }] },
  );
  expect(outcome).toBeInstanceOf(WorkflowFailedError);
  expect(attempts).toBe(activityOptions.writing.retry!.maximumAttempts);
  expect(run).toMatchObject({ status: 'failed', error: expect.stringContaining('Bad Gateway') });
}, 120000);

test('every activity proxy has bounded retries and refuses to retry programming errors', () => {
  for (const [name, options] of [...Object.entries(activityOptions), ...Object.entries(localActivityOptions).map(([n, o]) => [`local ${n}`, o] as const)]) {
    expect([name, options.retry?.maximumAttempts]).toEqual([name, expect.any(Number)]);
    expect(options.retry!.maximumAttempts!).toBeLessThanOrEqual(50);
    expect(options.scheduleToCloseTimeout).toBeDefined();
    expect(options.retry!.nonRetryableErrorTypes).toEqual(expect.arrayContaining(['TypeError', 'ReferenceError', 'ZodError', 'ConnectorSettingsError']));
  }
});

test('a task workflow whose settings load gives up (database away past the bound) waits and tries again instead of dying', async () => {
  const taskId = `task-bounded-entity-${Date.now()}`;
  let loads = 0;
  const memory = createInMemoryActivities({
    tasks: { [taskId]: {} },
    overrides: {
      loadTaskForRun: async ({ taskId: id }) => {
        loads++;
        if (loads <= activityOptions.bookkeeping.retry!.maximumAttempts! + 5) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        return { taskId: id, direction: 'downstream', connectorKind: 'wecom', enabled: true, realtimeDebounceMs: 0 };
      },
    },
  });
  await withWorker(env, workflowBundle, memory, async (taskQueue) => {
    const handle = await env.client.workflow.signalWithStart(syncTaskWorkflow, {
      taskQueue,
      workflowId: taskWorkflowId(taskId),
      args: [{ taskId }],
      signal: triggerSignal,
      signalArgs: [{ trigger: 'manual' }],
    });
    for (let i = 0; i < 20 && memory.runsOf(taskId).every((r) => r.status === undefined); i++) await env.sleep('10m');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(loads).toBeGreaterThan(activityOptions.bookkeeping.retry!.maximumAttempts!);
    await handle.query(stateQuery);
    await handle.terminate('test over');
  });
  expect(memory.runsOf(taskId)).toEqual([expect.objectContaining({ status: 'succeeded' })]);
}, 120000);
