/**
 * Killing the worker in the middle of a run: the first worker dies right after WeCom accepted a
 * create and before the outcome was recorded; a new worker finishes the run with no duplicate
 * account and no lost change. On the Temporal dev server with PGlite.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { runWorkflowId } from '../../workflows/definitions';
import { syncRunWorkflow } from '../../workflows/sync-run';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { E2eStack, quietTemporalLogs, untilActivityCancelled, wecomDirectory } from './harness';

jest.setTimeout(90_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let database: Database;
let wecom: RunningWecomFake;
let stack: E2eStack;

beforeAll(async () => {
  quietTemporalLogs();
  [env, bundle, database, wecom] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase('pglite'), E2eStack.startWecom()]);
  stack = new E2eStack(env, bundle, database);
  const hub = createHubDirectory(database.db);
  const rd = await hub.createDepartment({ id: 'rd', name: 'R&D' }, 'seed');
  const platform = await hub.createDepartment({ id: 'platform', name: 'Platform', parentId: rd.id }, 'seed');
  await hub.createUser({ id: 'h1', username: 'lead', name: 'Lead', email: 'lead@corp.test', employeeNumber: 'N1', departmentIds: [rd.id] }, 'seed');
  for (let i = 2; i <= 8; i++) {
    await hub.createUser(
      { id: `h${i}`, username: `dev${i}`, name: `Dev ${i}`, email: `dev${i}@corp.test`, employeeNumber: `N${i}`, departmentIds: [platform.id], managerId: 'h1' },
      'seed',
    );
  }
}, 120_000);

afterAll(async () => {
  await wecom?.close();
  await database?.close();
  await env?.teardown();
});

test('a worker killed mid-run after a create reached WeCom: a new worker finishes with no duplicate and nothing lost', async () => {
  const taskId = await stack.insertTask(stack.wecomTask(wecom));
  const taskQueue = stack.newTaskQueue();
  let creates = 0;
  let crashed!: () => void;
  const crashPoint = new Promise<void>((resolve) => (crashed = resolve));
  // The third user reaches WeCom, then the worker "dies" before the outcome is written.
  stack.hooks.afterApply = async (op) => {
    if (op.action !== 'CreateUser' || ++creates !== 3) return;
    crashed();
    await untilActivityCancelled();
  };

  const first = await stack.startWorker(taskQueue, { shutdownGraceTimeMs: 100 });
  const firstRunning = first.run();
  const runId = randomUUID();
  const handle = await env.client.workflow.start(syncRunWorkflow, { taskQueue, workflowId: runWorkflowId(taskId, runId), args: [{ taskId, runId }] });
  await crashPoint;
  first.shutdown();
  await firstRunning;
  stack.hooks.afterApply = undefined;
  // Creates in flight beside the stuck one (apply runs items concurrently) finished and were
  // recorded; the stuck one reached WeCom with no outcome: the one create in doubt.
  const createdBeforeCrash = (await wecomDirectory(wecom)).userlist.length;
  expect(createdBeforeCrash).toBeGreaterThanOrEqual(3);
  const inDoubt = (await stack.items(runId)).filter((i) => i.status === 'planned' && i.attemptedAt !== null);
  expect(inDoubt).toHaveLength(1);

  const second = await stack.startWorker(taskQueue);
  const result = await second.runUntil(handle.result());
  expect(result).toMatchObject({ status: 'succeeded', counters: { failed: 0, skipped: 0 } });

  const state = await wecomDirectory(wecom);
  const userids = state.userlist.map((u) => u.userid).sort();
  expect(userids).toEqual(['dev2', 'dev3', 'dev4', 'dev5', 'dev6', 'dev7', 'dev8', 'lead']);
  expect(state.department.filter((d) => d.name === 'Platform')).toHaveLength(1);
  expect(state.userlist.find((u) => u.userid === 'dev8')).toMatchObject({ direct_leader: ['lead'] });

  const items = await stack.items(runId);
  expect(items.every((i) => i.status === 'succeeded')).toBe(true);
  // The create that was in flight was found at WeCom and adopted, not sent twice.
  expect(items.filter((i) => i.reason === 'created by an earlier attempt; adopted')).toHaveLength(1);

  const again = await stack.run(taskId);
  expect(again.plan.actions).toBe(0);
});
