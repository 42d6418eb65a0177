/**
 * An apply attempt that overruns its heartbeat timeout (its worker frozen or cut off: heartbeats
 * stop reaching Temporal, the attempt itself goes on) while Temporal runs the next attempt: the
 * stale attempt stops at its next write and never touches WeCom again, the run finishes with every
 * account once. The real syncRunWorkflow on the Temporal dev server, PGlite and the WeCom fake.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkerInterceptors, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { runWorkflowId } from '../../workflows/definitions';
import { syncRunWorkflow } from '../../workflows/sync-run';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { E2eStack, quietTemporalLogs, wecomDirectory } from './harness';

jest.setTimeout(150_000);

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
  for (let i = 1; i <= 8; i++) {
    await hub.createUser({ id: `h${i}`, username: `dev${i}`, name: `Dev ${i}`, email: `dev${i}@corp.test`, employeeNumber: `N${i}`, departmentIds: [rd.id] }, 'seed');
  }
}, 120_000);

afterAll(async () => {
  await wecom?.close();
  await database?.close();
  await env?.teardown();
});

test('an apply attempt past its heartbeat timeout stops at its next write; the next attempt finishes the run, nothing written twice', async () => {
  const taskId = await stack.insertTask(stack.wecomTask(wecom));
  const taskQueue = stack.newTaskQueue();
  stack.applyConcurrency = 1;
  const vendorCalls = new Map<number, number>();
  let releaseFirst!: () => void;
  const firstReleased = new Promise<void>((resolve) => (releaseFirst = resolve));
  let firstSettled!: (outcome: unknown) => void;
  const firstOutcome = new Promise<unknown>((resolve) => (firstSettled = resolve));

  stack.hooks.afterApply = async () => {
    const { attempt } = Context.current().info;
    const n = (vendorCalls.get(attempt) ?? 0) + 1;
    vendorCalls.set(attempt, n);
    // Attempt 1's first write reached WeCom; then its worker "freezes" until attempt 2 is under way.
    if (attempt === 1 && n === 1) await firstReleased;
    // Attempt 2's first write done: the frozen attempt wakes up and goes on as far as it is let.
    if (attempt === 2 && n === 1) {
      releaseFirst();
      await Promise.race([firstOutcome, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    }
  };
  const interceptors: WorkerInterceptors = {
    activity: [
      (ctx: Context) => {
        if (ctx.info.activityType !== 'applyBatch' || ctx.info.attempt !== 1) return {};
        // Its heartbeats never reach Temporal, as from a frozen or partitioned worker.
        Object.defineProperty(ctx, 'heartbeat', { value: () => undefined });
        return {
          inbound: {
            execute: async (input, next) => {
              try {
                const result = await next(input);
                firstSettled({ result });
                return result;
              } catch (error) {
                firstSettled({ error });
                throw error;
              }
            },
          },
        };
      },
    ],
  };

  const worker = await stack.startWorker(taskQueue, { interceptors });
  const runId = randomUUID();
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(syncRunWorkflow, { taskQueue, workflowId: runWorkflowId(taskId, runId), args: [{ taskId, runId }] });
    return handle.result();
  });
  stack.hooks.afterApply = undefined;

  expect(result).toMatchObject({ status: 'succeeded', counters: { failed: 0, skipped: 0 } });
  expect(await firstOutcome).toMatchObject({ error: { type: 'SupersededAttempt', nonRetryable: true } });
  // The stale attempt made its one call before the freeze and none after.
  expect(vendorCalls.get(1)).toBe(1);
  const state = await wecomDirectory(wecom);
  expect(state.userlist.map((u) => u.userid).sort()).toEqual(['dev1', 'dev2', 'dev3', 'dev4', 'dev5', 'dev6', 'dev7', 'dev8']);
  expect(state.department.filter((d) => d.name === 'R&D')).toHaveLength(1);
  const items = await stack.items(runId);
  expect(items.filter((i) => i.status !== 'succeeded')).toEqual([]);
  // The stale attempt's create was recorded once, by attempt 2, which found it at WeCom.
  expect(items.filter((i) => i.reason === 'created by an earlier attempt; adopted')).toHaveLength(1);
  await stack.expectNoOpRun(taskId);
});
