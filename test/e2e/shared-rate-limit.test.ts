/**
 * Issue 17: three `sync-center worker` processes on one task queue sync one WeCom tenant (three
 * tasks into one corp, 630 members) against the WeCom fake limited to 600 calls/min per API, the
 * clients set to the same 600. With the budget shared in Postgres the fake refuses nothing and every
 * run succeeds; with SYNC_CENTER_VENDOR_RATE_LIMITS=process each worker (each task's client, even)
 * allows the whole budget and the fake refuses. On the Temporal dev server and the Postgres server.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { projectRoot } from '../../cli/temporal-binaries';
import { startWecomFake, type RunningWecomFake } from '../../connectors/wecom/fake';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { runWorkflowId, type SyncRunResult } from '../../workflows/definitions';
import { syncRunWorkflow } from '../../workflows/sync-run';
import { cleanEnv, CliProcess } from '../support/cli-process';
import { openTestPostgres } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { corpId, corpSecret, E2eStack, quietTemporalLogs, wecomDirectory } from './harness';

jest.setTimeout(600_000);

const perMinute = 600;
const departments = ['north', 'south', 'west'];
const usersPerDepartment = 210;

let env: TestWorkflowEnvironment;
let database: Database & { url: string };
let stack: E2eStack;
const secretKey = randomBytes(32);
const workers: CliProcess[] = [];
const fakes: RunningWecomFake[] = [];

beforeAll(async () => {
  quietTemporalLogs();
  [env, database] = await Promise.all([startLocalTemporal(), openTestPostgres()]);
  // Tasks are only inserted: no workflow runs in this process.
  stack = new E2eStack(env, undefined as never, database, secretKey);
  const hub = createHubDirectory(database.db);
  for (const name of departments) {
    const department = await hub.createDepartment({ id: name, name: `Dept ${name}` }, 'seed');
    for (let i = 0; i < usersPerDepartment; i++) {
      await hub.createUser({ id: `${name}-${i}`, username: `${name}${i}`, name: `${name} ${i}`, email: `${name}${i}@corp.test`, departmentIds: [department.id] }, 'seed');
    }
  }
}, 300_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => stopWorker(worker)));
  await Promise.all(fakes.map((fake) => fake.close()));
  await database?.close();
  await env?.teardown();
});

async function stopWorker(worker: CliProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  const killed = setTimeout(() => worker.child.kill('SIGKILL'), 15_000);
  await worker.exited;
  clearTimeout(killed);
}

/** Three worker processes on `taskQueue`, each polling before this returns. */
async function startWorkers(taskQueue: string, vendorRateLimits: 'shared' | 'process'): Promise<CliProcess[]> {
  const started = Array.from({ length: 3 }, (_, i) => {
    const child = spawn(process.execPath, [path.join(projectRoot, 'cli', 'bin.js'), 'worker'], {
      cwd: projectRoot,
      env: cleanEnv({
        DATABASE_URL: database.url,
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        SYNC_CENTER_SECRET_KEY: secretKey.toString('base64'),
        SYNC_CENTER_ALLOW_ANY_HOST: '1',
        SYNC_CENTER_VENDOR_RATE_LIMITS: vendorRateLimits,
        SYNC_CENTER_LOG_LEVEL: 'warn',
      }),
    });
    const worker = new CliProcess(child, `worker ${i + 1} (${vendorRateLimits})`);
    workers.push(worker);
    return worker;
  });
  await Promise.all(started.map((worker) => worker.waitFor(/worker polling task queue/, 240_000)));
  return started;
}

/** One downstream task per department, all into the one corp of `fake`, each run started now. */
async function startRuns(fake: RunningWecomFake, taskQueue: string): Promise<Array<WorkflowHandle<typeof syncRunWorkflow>>> {
  const handles = [];
  for (const department of departments) {
    const task = stack.downstreamTask('WeCom', {
      kind: 'wecom',
      settings: { baseUrl: fake.baseUrl, corpId, rateLimitPerMinute: perMinute, rateLimitBackoffMs: 5_000 },
      secrets: { corpSecret },
    }, { scope: { departmentIds: [department], userIds: [], includeNewUsers: true }, offboarding: 'disable' });
    const taskId = await stack.insertTask(task);
    const runId = randomUUID();
    handles.push(await env.client.workflow.start(syncRunWorkflow, { taskQueue, workflowId: runWorkflowId(taskId, runId), args: [{ taskId, runId }] }));
  }
  return handles;
}

async function fakeCounts(fake: RunningWecomFake): Promise<{ calls: Record<string, number>; refused: number }> {
  const body = (await (await fetch(`${fake.url}/__fake/calls`)).json()) as { calls: Record<string, number>; rateLimited: Record<string, number> };
  return { calls: body.calls, refused: Object.values(body.rateLimited).reduce((a, b) => a + b, 0) };
}

/** The worker identities (pid@host) that ran each run's activities, from the runs' histories. */
async function activityWorkers(handles: Array<WorkflowHandle<typeof syncRunWorkflow>>): Promise<Set<string>> {
  const identities = new Set<string>();
  for (const handle of handles) {
    const history = await handle.fetchHistory();
    for (const event of history.events ?? []) {
      const identity = event.activityTaskStartedEventAttributes?.identity;
      if (identity) identities.add(identity);
    }
  }
  return identities;
}

test('three worker processes share the tenant\'s budget: zero refusals from the fake, every run succeeds', async () => {
  const fake = await startWecomFake({ corpId, corpSecret, rateLimitPerMinute: perMinute });
  fakes.push(fake);
  const taskQueue = `shared-rate-${process.pid}-${Date.now()}`;
  await startWorkers(taskQueue, 'shared');
  const started = Date.now();
  const handles = await startRuns(fake, taskQueue);
  const results: SyncRunResult[] = await Promise.all(handles.map((handle) => handle.result()));
  const seconds = (Date.now() - started) / 1000;

  for (const result of results) expect(result).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  const { calls, refused } = await fakeCounts(fake);
  console.log(`shared: ${seconds.toFixed(1)} s for the three runs; calls ${JSON.stringify(calls)}; refused ${refused}`);
  expect(refused).toBe(0);
  expect(calls['POST /user/create']).toBe(departments.length * usersPerDepartment);
  expect((await wecomDirectory(fake)).userlist).toHaveLength(departments.length * usersPerDepartment);
  // Which processes did the work is Temporal's dispatch: usually all three, but one CI run put every
  // activity on one (eager dispatch to the worker completing the workflow task), so it is logged,
  // not asserted. The next test shows the same three processes over the limit when not sharing.
  const identities = await activityWorkers(handles);
  console.log(`shared: activities ran on ${identities.size} worker processes`);
  // 630 creates at 600/min cannot be faster than the limit allows.
  expect(seconds).toBeGreaterThan(55);
});

test('the same setup with per-process limits (SYNC_CENTER_VENDOR_RATE_LIMITS=process) gets refusals', async () => {
  const fake = await startWecomFake({ corpId, corpSecret, rateLimitPerMinute: perMinute });
  fakes.push(fake);
  const taskQueue = `process-rate-${process.pid}-${Date.now()}`;
  const own = await startWorkers(taskQueue, 'process');
  const handles = await startRuns(fake, taskQueue);
  const deadline = Date.now() + 120_000;
  let refused = 0;
  while (refused === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    refused = (await fakeCounts(fake)).refused;
  }
  console.log(`process: refused ${refused}; calls ${JSON.stringify((await fakeCounts(fake)).calls)}`);
  expect(refused).toBeGreaterThan(0);
  // Nothing more to see: the runs would go on retrying after each refusal's back-off.
  await Promise.all(handles.map((handle) => handle.terminate('the refusals were what this test wanted').catch(() => undefined)));
  await Promise.all(own.map((worker) => stopWorker(worker)));
});
