/** The first (signal-based) deletionApprovalWorkflow type, kept for open executions: real dev server, in-memory activities. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startLocalTemporal } from '../test/support/temporal';
import { approvalWorkflowId, cancelSignal, executeSignal, itemsQuery } from './definitions';
import { deletionApprovalWorkflow } from './deletion-approval-v1';
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

/** Seeds pending deletions the way stageDeletions would have. */
function seed(memory: InMemoryActivities, runId: string, ids: string[]): void {
  for (const id of ids) memory.pendingDeletions.set(id, { runId, status: 'PENDING', executions: 0 });
}

test('executed items succeed, cancelled ones stay cancelled, undecided ones stay pending until decided', async () => {
  const runId = `run-approval-${Date.now()}`;
  const ids = ['d0', 'd1', 'd2', 'd3', 'd4'];
  const memory = createInMemoryActivities({ tasks: {} });
  seed(memory, runId, ids);
  await withWorker(memory, async (taskQueue) => {
    const handle = await env.client.workflow.start(deletionApprovalWorkflow, {
      taskQueue,
      workflowId: approvalWorkflowId(runId),
      args: [{ runId, taskId: 'task-a', pendingDeletionIds: ids }],
    });
    // Clicked in reverse order: still executed in plan order (users before their departments).
    await handle.signal(executeSignal, { ids: ['d1', 'd0', 'not-ours'], actor: 'alice' });
    await handle.signal(cancelSignal, { ids: ['d2', 'd3'], actor: 'bob' });
    await handle.signal(executeSignal, { ids: ['d2'], actor: 'carol' });
    await handle.signal(cancelSignal, { ids: ['d0'], actor: 'dave' });

    const statusOf = async () => Object.fromEntries((await handle.query(itemsQuery)).items.map((item) => [item.id, item.status]));
    await eventually(async () => (await statusOf()).d1 === 'SUCCEEDED', 'the executions');
    expect(await statusOf()).toEqual({ d0: 'SUCCEEDED', d1: 'SUCCEEDED', d2: 'CANCELED', d3: 'CANCELED', d4: 'PENDING' });
    const state = await handle.query(itemsQuery);
    expect(state.ignored).toEqual([
      { id: 'not-ours', action: 'execute', reason: 'unknown' },
      { id: 'd2', action: 'execute', reason: 'canceled' },
      { id: 'd0', action: 'cancel', reason: 'already_decided' },
    ]);
    expect((await handle.describe()).status.name).toBe('RUNNING'); // d4 is undecided

    await handle.signal(executeSignal, { ids: ['d4', 'd3'], actor: 'erin' });
    expect(await handle.result()).toEqual({ runId, succeeded: 3, failed: 0, canceled: 2 });
  });

  const executed = memory.calls.filter((call) => call.name === 'executePendingDeletion').map((call) => call.input);
  expect(executed).toEqual([
    { pendingDeletionId: 'd0', actor: 'alice' },
    { pendingDeletionId: 'd1', actor: 'alice' },
    { pendingDeletionId: 'd4', actor: 'erin' },
  ]);
  expect(Object.fromEntries([...memory.pendingDeletions].map(([id, item]) => [id, [item.status, item.executions]]))).toEqual({
    d0: ['SUCCEEDED', 1],
    d1: ['SUCCEEDED', 1],
    d2: ['CANCELED', 0],
    d3: ['CANCELED', 0],
    d4: ['SUCCEEDED', 1],
  });
  const marks = memory.calls.filter((call) => call.name === 'markPendingDeletions').map((call) => call.input);
  expect(marks).toEqual(
    expect.arrayContaining([
      { ids: ['d1', 'd0'], status: 'EXECUTING', actor: 'alice' },
      { ids: ['d2', 'd3'], status: 'CANCELED', actor: 'bob' },
    ]),
  );
});

test('an item whose deletion fails for good is FAILED and the others still run', async () => {
  const runId = `run-approval-fail-${Date.now()}`;
  const memory = createInMemoryActivities({
    tasks: {},
    overrides: {
      async executePendingDeletion({ pendingDeletionId }) {
        return pendingDeletionId === 'x0' ? { status: 'FAILED', error: 'wecom 60111: userid not found' } : { status: 'SUCCEEDED' };
      },
    },
  });
  const result = await withWorker(memory, async (taskQueue) => {
    const handle = await env.client.workflow.start(deletionApprovalWorkflow, {
      taskQueue,
      workflowId: approvalWorkflowId(runId),
      args: [{ runId, taskId: 'task-b', pendingDeletionIds: ['x0', 'x1'] }],
    });
    await handle.signal(executeSignal, { ids: ['x0', 'x1'], actor: 'alice' });
    const outcome = await handle.result();
    expect((await handle.query(itemsQuery)).items).toEqual([
      { id: 'x0', status: 'FAILED', actor: 'alice', error: 'wecom 60111: userid not found' },
      { id: 'x1', status: 'SUCCEEDED', actor: 'alice' },
    ]);
    return outcome;
  });
  expect(result).toEqual({ runId, succeeded: 1, failed: 1, canceled: 0 });
});
