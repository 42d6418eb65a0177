/** syncRunWorkflow on the real Temporal dev server, with in-memory activities. */
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import { VendorError } from '../connectors/errors';
import { toStepFailure, transientFailure } from '../activities/vendor-failure';
import { startLocalTemporal } from '../test/support/temporal';
import { approvalWorkflowId, progressQuery, runWorkflowId } from './definitions';
import { syncRunWorkflow } from './sync-run';
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

const ok = (succeeded: number) => ({ succeeded, failed: 0, skipped: 0 });

test('a run goes through every phase in order and reports its counters', async () => {
  const taskId = `task-phases-${Date.now()}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: {} }, plans: { [taskId]: { batches: [ok(2), ok(3), { succeeded: 1, failed: 0, skipped: 4 }] } } });
  const result = await withWorker(memory, (taskQueue) =>
    env.client.workflow.execute(syncRunWorkflow, { taskQueue, workflowId: `run-${taskId}`, args: [{ taskId, runId: `r-${taskId}` }] }),
  );
  expect(result).toMatchObject({ runId: `r-${taskId}`, status: 'succeeded', dryRun: false, counters: { succeeded: 6, failed: 0, skipped: 4 }, pendingDeletions: 0 });
  const run = memory.runs.get(`r-${taskId}`)!;
  // Staging runs even with nothing to stage: it re-validates the task's open items against this plan.
  expect(run.phases).toEqual(['start', 'snapshot', 'plan', 'apply:0', 'apply:1', 'apply:2', 'stage', 'finish']);
  expect(run).toMatchObject({ trigger: 'manual', dryRun: false, workflowId: `run-${taskId}`, status: 'succeeded' });
});

test('started from the Temporal UI with only {"taskId"}, a run gets a UUID and is found by its search attributes', async () => {
  const taskId = `task-ui-${Date.now()}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: { direction: 'upstream', connectorKind: 'csv' } } });
  const workflowId = `ui-${taskId}`;
  const result = await withWorker(memory, (taskQueue) => env.client.workflow.execute('syncRunWorkflow', { taskQueue, workflowId, args: [{ taskId }] }));
  expect(result.runId).toMatch(/^[0-9a-f-]{36}$/);
  const found = await eventually(async () => {
    const ids: string[] = [];
    for await (const execution of env.client.workflow.list({ query: `SyncTaskId="${taskId}" AND SyncDirection="upstream" AND ConnectorKind="csv"` })) ids.push(execution.workflowId);
    return ids.length > 0 ? ids : undefined;
  }, 'visibility of the run by search attributes');
  expect(found).toEqual([workflowId]);
});

test('a dry run stores a plan and applies nothing', async () => {
  const taskId = `task-dry-${Date.now()}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: {} }, plans: { [taskId]: { batches: [ok(5)], stagedDeletes: 2 } } });
  const result = await withWorker(memory, (taskQueue) =>
    env.client.workflow.execute(syncRunWorkflow, { taskQueue, workflowId: `run-${taskId}`, args: [{ taskId, dryRun: true }] }),
  );
  expect(result).toMatchObject({ dryRun: true, status: 'succeeded', plan: { actions: 5, stagedDeletes: 2, batches: 1 }, pendingDeletions: 0 });
  expect(memory.calls.map((call) => call.name)).toEqual(['loadTaskForRun', 'startRun', 'snapshot', 'plan', 'finishRun', 'notifyRun']);
});

test('a run whose items partly failed ends partially_failed', async () => {
  const taskId = `task-partial-${Date.now()}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: {} }, plans: { [taskId]: { batches: [ok(3), { succeeded: 1, failed: 2, skipped: 0 }] } } });
  const result = await withWorker(memory, (taskQueue) =>
    env.client.workflow.execute(syncRunWorkflow, { taskQueue, workflowId: `run-${taskId}`, args: [{ taskId }] }),
  );
  expect(result).toMatchObject({ status: 'partially_failed', counters: { succeeded: 4, failed: 2, skipped: 0 } });
});

test('a step failing for good records the run as failed with the error, then fails the workflow', async () => {
  const taskId = `task-fail-${Date.now()}`;
  const memory = createInMemoryActivities({
    tasks: { [taskId]: {} },
    overrides: {
      async snapshot() {
        throw ApplicationFailure.create({ type: 'CredentialsRefused', message: 'wecom 40001: invalid credential', nonRetryable: true });
      },
    },
  });
  const outcome = withWorker(memory, (taskQueue) =>
    env.client.workflow.execute(syncRunWorkflow, { taskQueue, workflowId: `run-${taskId}`, args: [{ taskId, runId: `r-${taskId}` }] }),
  );
  await expect(outcome).rejects.toBeInstanceOf(WorkflowFailedError);
  expect(memory.runs.get(`r-${taskId}`)).toMatchObject({ status: 'failed', error: 'wecom 40001: invalid credential' });
});

const lastAttempt = (f: ApplicationFailure) => ApplicationFailure.create({ type: f.type ?? undefined, message: f.message, details: [...(f.details ?? [])], nonRetryable: true });

test('a failed run records its failure class from the typed failure, never from the text', async () => {
  const cases: Array<{ name: string; fail: () => unknown; want: string }> = [
    // A credential refusal whose message names no credential, token or code a text match would know.
    { name: 'auth', fail: () => toStepFailure(new VendorError('permanent', 'E1234', 'computer says no', undefined, 'Acme /session failed: E1234 computer says no', 'auth_failed')), want: 'auth' },
    // A refusal whose text talks of tokens and credentials, but is not one.
    { name: 'vendor', fail: () => toStepFailure(new VendorError('permanent', '60111', 'userid not found (token and credential fine)', undefined, 'WeCom /user/get failed: 60111 invalid credential token?')), want: 'vendor' },
    // (permanent: a transient one would retry for minutes) an answer that is not JSON
    { name: 'network', fail: () => toStepFailure(new VendorError('permanent', 'invalid_response', 'response is not JSON', undefined, undefined, 'transport_error')), want: 'network' },
    // the last attempt of a rate-limited step (made final here so the test does not wait the retries out)
    { name: 'rate_limit', fail: () => lastAttempt(transientFailure(new VendorError('transient', '45009', 'api freq out of limit', 1000, undefined, 'rate_limited'))), want: 'rate_limit' },
    { name: 'config', fail: () => ApplicationFailure.create({ type: 'InvalidConfig', message: 'connector.secrets: cannot be opened', nonRetryable: true }), want: 'config' },
    { name: 'internal', fail: () => ApplicationFailure.create({ type: 'Bug', message: 'invalid token in the plan', nonRetryable: true }), want: 'internal' },
  ];
  for (const c of cases) {
    const taskId = `task-class-${c.name}-${Date.now()}`;
    const memory = createInMemoryActivities({
      tasks: { [taskId]: {} },
      overrides: {
        async snapshot() {
          throw c.fail();
        },
      },
    });
    const outcome = withWorker(memory, (taskQueue) => env.client.workflow.execute(syncRunWorkflow, { taskQueue, workflowId: `run-${taskId}`, args: [{ taskId, runId: `r-${taskId}` }] }));
    await expect(outcome).rejects.toBeInstanceOf(WorkflowFailedError);
    expect({ case: c.name, ...memory.runs.get(`r-${taskId}`) }).toMatchObject({ case: c.name, status: 'failed', failureClass: c.want });
  }
}, 60_000);

test('bad input fails at once, naming the field', async () => {
  const memory = createInMemoryActivities({ tasks: {} });
  const outcome = withWorker(memory, (taskQueue) =>
    env.client.workflow.execute('syncRunWorkflow', { taskQueue, workflowId: `run-bad-${Date.now()}`, args: [{ taskId: 't', trigger: 'hourly' }] }),
  );
  await expect(outcome).rejects.toMatchObject({ cause: { message: 'trigger: expected manual, schedule or realtime' } });
  expect(memory.calls).toEqual([]);
});

test('a transient failure is retried after the vendor wait hint, then succeeds', async () => {
  const taskId = `task-retry-${Date.now()}`;
  const attempts: number[] = [];
  const memory = createInMemoryActivities({
    tasks: { [taskId]: {} },
    plans: { [taskId]: { batches: [ok(1)] } },
    overrides: {
      async applyBatch() {
        attempts.push(Date.now());
        if (attempts.length < 3) {
          throw ApplicationFailure.create({ type: 'VendorTransient', message: 'wecom 45009: rate limited', nonRetryable: false, nextRetryDelay: '2500ms' });
        }
        return ok(1);
      },
    },
  });
  const result = await withWorker(memory, (taskQueue) =>
    env.client.workflow.execute(syncRunWorkflow, { taskQueue, workflowId: `run-${taskId}`, args: [{ taskId }] }),
  );
  expect(result).toMatchObject({ status: 'succeeded', counters: ok(1) });
  expect(attempts).toHaveLength(3);
  // The policy alone would wait 1 s, then 2 s: waiting 2.5 s both times shows the hint was honoured.
  expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(2400);
  expect(attempts[2] - attempts[1]).toBeGreaterThanOrEqual(2400);
}, 30000);

test('progress is live, and staged deletions go to an approval workflow the run does not wait for', async () => {
  const taskId = `task-progress-${Date.now()}`;
  const runId = `r-${taskId}`;
  const memory = createInMemoryActivities({ tasks: { [taskId]: {} }, plans: { [taskId]: { batches: [ok(1), ok(1)], stagedDeletes: 2, heldDisables: 1 } } });
  const release = memory.holdSnapshots();
  await withWorker(memory, async (taskQueue) => {
    const handle = await env.client.workflow.start(syncRunWorkflow, { taskQueue, workflowId: runWorkflowId(taskId, runId), args: [{ taskId, runId }] });
    await eventually(async () => (await handle.query(progressQuery)).phase === 'snapshot', 'the snapshot phase');
    release();
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'succeeded', pendingDeletions: 3, approvalWorkflowId: approvalWorkflowId(runId) });
    expect(await handle.query(progressQuery)).toMatchObject({ phase: 'done', batchesDone: 2, batchesTotal: 2, counters: ok(2) });
    const approval = await env.client.workflow.getHandle(approvalWorkflowId(runId)).describe();
    expect(approval.status.name).toBe('RUNNING');
  });
  expect(memory.runs.get(runId)!.phases).toEqual(['start', 'snapshot', 'plan', 'apply:0', 'apply:1', 'stage', 'finish']);
  expect([...memory.pendingDeletions.values()].map((item) => item.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
});
