// Downstream throughput: a full initial sync of a synthetic hub into the WeCom fake at its real
// rate limit (10,000 calls/min per API), on the Temporal dev server with the real activities.
// Reports the run's wall time against the time the limit allows, and the run's history length.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createSyncTasks } from '../db/repos/sync-tasks';
import { createSecretBox } from '../db/secret-box';
import { openTestDatabase } from '../test/support/databases';
import { startLocalTemporal } from '../test/support/temporal';
import { progressQuery, type RunPhase } from '../workflows/definitions';
import type { syncRunWorkflow } from '../workflows/sync-run';
import { bundleSyncWorkflows } from '../workflows/testing/workers';
import { describeMachine, machineInfo, positiveInt, table } from './report';
import { seedHub } from './seed-hub';
import { generateDirectory } from './synthetic-directory';
import { connectorCatalog } from '../connectors/definitions';
import type { FakeProcessCounts, FakeProcessReady } from './wecom-fake-process';

/** WeCom's documented limit, which the fake enforces per API. */
const wecomCallsPerMinute = 10_000;

interface FakeProcess {
  baseUrl: string;
  url: string;
  counts(): Promise<FakeProcessCounts>;
  stop(): Promise<void>;
}

async function startFakeProcess(corpId: string, corpSecret: string): Promise<FakeProcess> {
  const child: ChildProcess = fork(path.join(__dirname, 'wecom-fake-process.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_WECOM_CORP_ID: corpId, BENCH_WECOM_CORP_SECRET: corpSecret },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<FakeProcessReady>((resolve, reject) => {
    child.once('message', (m) => resolve(m as FakeProcessReady));
    child.once('exit', (code) => reject(new Error(`the WeCom fake process exited (${code}) before it was ready`)));
  });
  return {
    baseUrl: ready.baseUrl,
    url: ready.url,
    counts: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as FakeProcessCounts));
        child.send('counts');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

interface PhaseClock {
  /** ms since the run started at which each phase was first seen */
  seen: Partial<Record<RunPhase, number>>;
  stop(): void;
}

/** Polls the run's progress query (queries add no history events) to time the apply phase. */
export function watchPhases(query: () => Promise<{ phase: RunPhase }>, started: number): PhaseClock {
  const seen: PhaseClock['seen'] = {};
  let stopped = false;
  const tick = async (): Promise<void> => {
    while (!stopped) {
      try {
        const { phase } = await query();
        seen[phase] ??= performance.now() - started;
      } catch {
        // the workflow may not have its first task done yet, or has just closed
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  void tick();
  return { seen, stop: () => (stopped = true) };
}

const seconds = (ms: number | undefined): string => (ms === undefined ? 'n/a' : (ms / 1000).toFixed(1));

export async function runDownstreamBenchmark(argv: readonly string[]): Promise<void> {
  const users = positiveInt(argv, 'users', 2000);
  const departments = positiveInt(argv, 'departments', Math.max(1, Math.round(users / 10)));
  const timeoutS = positiveInt(argv, 'timeout', 1800);
  // --postgres: a fresh database on the Postgres server (TEST_DATABASE_URL), dropped afterwards.
  const kind = argv.includes('--postgres') ? 'postgres' : 'pglite';
  console.log(`# downstream benchmark: ${users} users, ${departments} departments into the WeCom fake at ${wecomCallsPerMinute}/min per API\n${describeMachine(machineInfo())}\n`);

  // The SDK logs every worker state change at INFO; only problems belong in benchmark output.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const corpId = 'wwbench0000000001';
  const corpSecret = randomBytes(16).toString('hex');
  const secretBox = createSecretBox(randomBytes(32));
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const fake = await startFakeProcess(corpId, corpSecret);
    cleanups.push(() => fake.stop());
    const database = await openTestDatabase(kind);
    cleanups.push(() => database.close());

    let t = performance.now();
    await seedHub(database.db, generateDirectory({ users, departments }));
    console.log(`hub seeded in ${seconds(performance.now() - t)} s (${database.kind})`);

    const task = await createSyncTasks(database.db, { secretBox, kinds: connectorCatalog }).create(
      {
        name: 'Benchmark: hub to WeCom',
        direction: 'downstream',
        connector: { kind: 'wecom', settings: { baseUrl: fake.baseUrl, corpId }, secrets: { corpSecret } },
        triggers: { manual: true },
        enabled: true,
      },
      'bench',
      // The benchmark owns its database and keeps the default protection.
      { authorizeProtectionChange: () => undefined },
    );

    t = performance.now();
    const env: TestWorkflowEnvironment = await startLocalTemporal();
    cleanups.push(() => env.teardown());
    const workflowBundle = await bundleSyncWorkflows();
    console.log(`Temporal dev server up and workflows bundled in ${seconds(performance.now() - t)} s`);

    const taskQueue = `bench-downstream-${process.pid}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle,
      activities: createActivities({ database, secretBox }),
    });
    const workflowId = `bench-downstream-${Date.now()}`;
    const started = performance.now();
    const handle = await env.client.workflow.start<typeof syncRunWorkflow>('syncRunWorkflow', { taskQueue, workflowId, args: [{ taskId: task.id }] });
    const phases = watchPhases(() => handle.query(progressQuery), started);
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the run did not finish in ${timeoutS} s`)), timeoutS * 1000).unref());
    const result = await worker.runUntil(Promise.race([handle.result(), timeout]));
    const runMs = performance.now() - started;
    phases.stop();
    const history = await handle.fetchHistory();
    const events = history.events?.length ?? 0;

    const counts = await fake.counts();
    const state = (await (await fetch(`${fake.url}/__fake/state`)).json()) as { department: unknown[]; userlist: unknown[] };
    const busiest = Object.entries(counts.calls).sort((a, b) => b[1] - a[1])[0] ?? ['none', 0];
    const limitMs = (busiest[1] / wecomCallsPerMinute) * 60_000;
    // Plan order runs each API's calls in its own phase, so the sum over APIs is the ordered bound.
    const totalCalls = Object.values(counts.calls).reduce((a, b) => a + b, 0);
    const orderedLimitMs = (totalCalls / wecomCallsPerMinute) * 60_000;
    const applyMs = phases.seen.apply !== undefined ? (phases.seen.finishing ?? phases.seen.staging ?? runMs) - phases.seen.apply : undefined;

    console.log(`\nrun ${result.runId}: status ${result.status}, items ${JSON.stringify(result.counters)}, plan ${JSON.stringify(result.plan)}`);
    console.log(`fake afterwards: ${state.userlist.length} users, ${state.department.length} departments (root included)`);
    console.log(`calls per API: ${JSON.stringify(counts.calls)}; rate-limit refusals: ${counts.rateLimited}`);
    console.log(`phases first seen at (s): ${Object.entries(phases.seen).map(([p, ms]) => `${p} ${seconds(ms)}`).join(', ')}`);
    console.log(`load average at the end: ${machineInfo().loadAverage.join(' / ')}\n`);
    console.log(
      table(
        ['users', 'run wall s', 'apply phase s', 'busiest API (calls)', 'limit time, busiest API s', 'limit time, all calls in order s', 'fraction (whole run, busiest API)', 'fraction (whole run, all calls)', 'history events'],
        [
          [
            users,
            seconds(runMs),
            seconds(applyMs),
            `${busiest[0]} (${busiest[1]})`,
            seconds(limitMs),
            seconds(orderedLimitMs),
            (limitMs / runMs).toFixed(2),
            (orderedLimitMs / runMs).toFixed(2),
            events,
          ],
        ],
      ),
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
  }
}
