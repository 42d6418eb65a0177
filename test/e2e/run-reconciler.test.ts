/**
 * Runs reconciled with their workflow's real state (issue 18): a terminated run workflow left its
 * sync_runs row `running`, so the task showed running forever. The reconciler describes the workflow
 * of every open row older than its grace period and closes the row with the reason. Dev server, PGlite.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { createSyncTasks } from '../../db/repos/sync-tasks';
import { syncRuns } from '../../db/schema';
import { connectorCatalog } from '../../connectors/definitions';
import { approvalReconcilerWorkflow } from '../../workflows/approval-reconciler';
import { runWorkflowId, stateQuery, taskWorkflowId } from '../../workflows/definitions';
import { syncTaskWorkflow } from '../../workflows/sync-task';
import { syncRunWorkflow } from '../../workflows/sync-run';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { eventually } from '../../workflows/testing/in-memory-activities';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { E2eStack, quietTemporalLogs } from './harness';

jest.setTimeout(90_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let database: Database;
let stack: E2eStack;

beforeAll(async () => {
  quietTemporalLogs();
  [env, bundle, database] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase('pglite')]);
  stack = new E2eStack(env, bundle, database);
}, 120_000);

afterAll(async () => {
  await database?.close();
  await env?.teardown();
});

const runRow = async (runId: string) => (await database.db.select().from(syncRuns).where(eq(syncRuns.id, runId)))[0];
const ageRun = (runId: string) => database.db.update(syncRuns).set({ startedAt: sql`now() - interval '2 hours'` }).where(eq(syncRuns.id, runId));
const taskStatus = async (taskId: string) => (await createSyncTasks(database.db, { secretBox: stack.secretBox, kinds: connectorCatalog }).get(taskId)).status;

test('a terminated run workflow: the reconciler marks its row failed with the reason, and the task no longer shows running', async () => {
  // WeCom unreachable: the snapshot retries, the run stays in flight until it is terminated.
  const taskId = await stack.insertTask(stack.downstreamTask('nowhere', { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:1/cgi-bin', corpId: 'ww-none' }, secrets: { corpSecret: 's' } }));
  const taskQueue = stack.newTaskQueue();
  const worker = await stack.startWorker(taskQueue);
  await worker.runUntil(async () => {
    const runId = randomUUID();
    const handle = await env.client.workflow.start(syncRunWorkflow, { taskQueue, workflowId: runWorkflowId(taskId, runId), args: [{ taskId, runId }] });
    await eventually(async () => (await runRow(runId))?.status === 'running' || undefined, 'the run row');
    await handle.terminate('operator stopped it');
    expect(await taskStatus(taskId)).toBe('running');

    // A young row is left alone (its workflow may just be starting); an old one is described.
    await env.client.workflow.execute(approvalReconcilerWorkflow, { taskQueue, workflowId: `reconciler-${randomUUID()}`, args: [{}] });
    expect((await runRow(runId)).status).toBe('running');

    await ageRun(runId);
    const result = await env.client.workflow.execute(approvalReconcilerWorkflow, { taskQueue, workflowId: `reconciler-${randomUUID()}`, args: [{}] });
    expect(result.runsClosed).toEqual([expect.objectContaining({ runId, status: 'failed' })]);
    const row = await runRow(runId);
    expect(row).toMatchObject({ status: 'failed', error: expect.stringContaining('terminated') });
    expect(row.error).toContain('operator stopped it');
    expect(row.finishedAt).not.toBeNull();
    expect(await taskStatus(taskId)).toBe('failed');
  });
});

test('a run terminated after a mid-run continue-as-new: the reconciler tells the task workflow, which stops waiting for it', async () => {
  const taskId = await stack.insertTask(stack.downstreamTask('outlived', { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:1/cgi-bin', corpId: 'ww-outlived' }, secrets: { corpSecret: 's' } }));
  const taskQueue = stack.newTaskQueue();
  const worker = await stack.startWorker(taskQueue);
  await worker.runUntil(async () => {
    const runId = randomUUID();
    const run = await env.client.workflow.start(syncRunWorkflow, { taskQueue, workflowId: runWorkflowId(taskId, runId), args: [{ taskId, runId, notifyTask: true }] });
    await eventually(async () => (await runRow(runId))?.status === 'running' || undefined, 'the run row');
    // The execution a mid-run continue-as-new starts: the run is not its child, only its signal ends the wait.
    const running = { runId, trigger: 'manual' as const, dryRun: false, full: true, changedIds: [], firstTriggerAt: 0, lastTriggerAt: 0 };
    const task = await env.client.workflow.start(syncTaskWorkflow, { taskQueue, workflowId: taskWorkflowId(taskId), args: [{ taskId, running }] });
    await run.terminate('operator stopped it');
    await ageRun(runId);
    await env.client.workflow.execute(approvalReconcilerWorkflow, { taskQueue, workflowId: `reconciler-${randomUUID()}`, args: [{}] });
    expect(await runRow(runId)).toMatchObject({ status: 'failed' });
    const state = await eventually(async () => {
      const current = await task.query(stateQuery);
      return current.running === undefined && current;
    }, 'the task workflow to stop waiting');
    expect(state).toMatchObject({ runsCompleted: 1, lastRun: { runId, status: 'failed', error: expect.stringContaining('operator stopped it') } });
    await task.terminate('test done');
  });
});

test('timed-out and vanished run workflows are closed with their reason; a live one is left running', async () => {
  const taskId = await stack.insertTask(stack.downstreamTask('rows', { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:1/cgi-bin', corpId: 'ww-rows' }, secrets: { corpSecret: 's' } }));
  const idle = `idle-${randomUUID()}`; // no worker polls it: its workflows stay as the test leaves them
  const open = async (label: string, start?: { executionTimeout?: '1s' }) => {
    const runId = `${label}-${randomUUID()}`;
    const workflowId = runWorkflowId(taskId, runId);
    if (start) {
      await env.client.workflow.start(syncRunWorkflow, { taskQueue: idle, workflowId, args: [{ taskId, runId }], workflowExecutionTimeout: start.executionTimeout });
    }
    await database.db.insert(syncRuns).values({ id: runId, taskId, trigger: 'manual', status: 'running', workflowId, startedAt: sql`now() - interval '2 hours'` });
    return { runId, workflowId };
  };
  const timedOut = await open('timed-out', { executionTimeout: '1s' });
  const live = await open('live', {});
  const vanished = await open('vanished');
  await eventually(async () => (await env.client.workflow.getHandle(timedOut.workflowId).describe()).status.name === 'TIMED_OUT' || undefined, 'the timeout');

  const taskQueue = stack.newTaskQueue();
  const worker = await stack.startWorker(taskQueue);
  const result = await worker.runUntil(env.client.workflow.execute(approvalReconcilerWorkflow, { taskQueue, workflowId: `reconciler-${randomUUID()}`, args: [{}] }));
  expect(result.runsClosed).toEqual(expect.arrayContaining([expect.objectContaining({ runId: timedOut.runId }), expect.objectContaining({ runId: vanished.runId })]));
  expect(await runRow(timedOut.runId)).toMatchObject({ status: 'failed', error: expect.stringContaining('timed out') });
  expect(await runRow(vanished.runId)).toMatchObject({ status: 'failed', error: expect.stringContaining('not found') });
  expect(await runRow(live.runId)).toMatchObject({ status: 'running' });
});
