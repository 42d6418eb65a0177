// Downstream throughput: a full initial sync of a synthetic hub into the WeCom fake at its real
// rate limit (10,000 calls/min per API), on the Temporal dev server with the real activities.
// Reports the run's wall time against the time the limit allows, and the run's history length.
// With --postgres the workers are separate processes (--workers N, default 1) on one task queue,
// sharing the tenant's vendor budget in Postgres as production workers do; on PGlite (in memory,
// one process) the worker runs in this process with its in-process limiter, as before.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createSyncTasks } from '../db/repos/sync-tasks';
import { createSecretBox } from '../db/secret-box';
import { openTestDatabase, openTestPostgres } from '../test/support/databases';
import { startLocalTemporal } from '../test/support/temporal';
import { progressQuery, type RunPhase } from '../workflows/definitions';
import type { syncRunWorkflow } from '../workflows/sync-run';
import { bundleSyncWorkflows } from '../workflows/testing/workers';
import { describeMachine, machineInfo, option, positiveInt, table } from './report';
import { seedHub } from './seed-hub';
import { generateDirectory } from './synthetic-directory';
import { connectorCatalog } from '../connectors/definitions';
import type { FakeProcessCounts, FakeProcessReady } from './wecom-fake-process';
import type { WorkerProcessReady, WorkerProcessStopped } from './worker-process';

/** WeCom's documented limit, which the fake enforces per API. */
const wecomCallsPerMinute = 10_000;

interface FakeProcess {
  baseUrl: string;
  url: string;
  counts(): Promise<FakeProcessCounts>;
  stop(): Promise<void>;
}

async function startFakeProcess(corpId: string, corpSecret: string, perMinute: number): Promise<FakeProcess> {
  const child: ChildProcess = fork(path.join(__dirname, 'wecom-fake-process.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_WECOM_CORP_ID: corpId, BENCH_WECOM_CORP_SECRET: corpSecret, BENCH_WECOM_RATE_PER_MINUTE: String(perMinute) },
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
  /** ends the polling; settles once no query is in flight (so none outlives the worker or the connection) */
  stop(): Promise<void>;
}

/** Polls the run's progress query (queries add no history events) to time the apply phase. */
export function watchPhases(query: () => Promise<{ phase: RunPhase }>, started: number): PhaseClock {
  const seen: PhaseClock['seen'] = {};
  let stopped = false;
  let wake: (() => void) | undefined;
  const tick = async (): Promise<void> => {
    while (!stopped) {
      try {
        const { phase } = await query();
        seen[phase] ??= performance.now() - started;
      } catch {
        // the workflow may not have its first task done yet, or has just closed
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  const loop = tick();
  return {
    seen,
    stop: () => {
      stopped = true;
      wake?.();
      return loop;
    },
  };
}

const seconds = (ms: number | undefined): string => (ms === undefined ? 'n/a' : (ms / 1000).toFixed(1));

interface WorkerProcess {
  pid: number;
  /** shuts the worker down (in-flight tasks finish) and answers its peak RSS */
  stop(): Promise<WorkerProcessStopped>;
  exited: Promise<number | null>;
}

async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const child: ChildProcess = fork(path.join(__dirname, 'worker-process.ts'), [], {
    execArgv: ['--import', 'tsx'],
    // The activities log every completion at info; only problems belong in benchmark output.
    env: { SYNC_CENTER_LOG_LEVEL: 'warn', ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<WorkerProcessReady>((resolve, reject) => {
    child.once('message', (m) => resolve(m as WorkerProcessReady));
    void exited.then((code) => reject(new Error(`a worker process exited (${code}) before it was ready`)));
  });
  let stopping: Promise<WorkerProcessStopped> | undefined;
  return {
    pid: ready.pid,
    exited,
    stop: () =>
      (stopping ??= new Promise<WorkerProcessStopped>((resolve, reject) => {
        if (child.exitCode !== null) return reject(new Error(`worker process ${ready.pid} had already exited (${child.exitCode})`));
        child.once('message', (m) => resolve(m as WorkerProcessStopped));
        void exited.then((code) => reject(new Error(`worker process ${ready.pid} exited (${code}) without reporting`)));
        child.send('stop');
      }).then(async (stopped) => {
        await exited;
        return stopped;
      })),
  };
}

let runtimeInstalled = false;
/** The SDK logs every worker state change at INFO; only problems belong in benchmark output. Once per process (`scale` runs several configs). */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

export interface DownstreamResult {
  users: number;
  departments: number;
  database: 'pglite' | 'postgres';
  workers: number;
  /** the fake's limit per API per minute, and the client's */
  fakePerMinute: number;
  clientPerMinute: number | 'default';
  status: string;
  runMs: number;
  applyMs?: number;
  seedMs: number;
  limitMs: number;
  orderedLimitMs: number;
  /** the limit time of the busiest API over the run's wall time */
  fraction: number;
  totalCalls: number;
  callsPerEntity: number;
  refusals: number;
  historyEvents: number;
  /** per worker process, MB; for the in-process worker, the whole benchmark process */
  peakRssMb: number[];
  load: [number, number, number];
}

export async function runDownstreamBenchmark(argv: readonly string[]): Promise<void> {
  await downstreamBenchmark(argv);
}

export async function downstreamBenchmark(argv: readonly string[]): Promise<DownstreamResult> {
  const users = positiveInt(argv, 'users', 2000);
  const departments = positiveInt(argv, 'departments', Math.max(1, Math.round(users / 10)));
  const timeoutS = positiveInt(argv, 'timeout', 1800);
  const fakePerMinute = positiveInt(argv, 'rate', wecomCallsPerMinute);
  // --postgres: a fresh database on the Postgres server (TEST_DATABASE_URL), dropped afterwards.
  const kind = argv.includes('--postgres') ? 'postgres' : 'pglite';
  const workers = positiveInt(argv, 'workers', 1);
  // --dry-run: snapshot and plan only (no vendor writes), to measure the memory of those steps at size.
  const dryRun = argv.includes('--dry-run');
  if (workers > 1 && kind !== 'postgres') throw new Error('--workers: several worker processes need --postgres (PGlite in memory lives in one process)');
  // Separate worker processes share the tenant's budget in Postgres, which keeps its own margin
  // under the limit (connectors/shared/shared-rate-limiter.ts): the client is set to the vendor's
  // limit. In process (PGlite) the client keeps its default (9,000/min, a margin under 10,000).
  const clientRateOption = option(argv, 'client-rate');
  const clientPerMinute: number | 'default' = clientRateOption !== undefined ? positiveInt(argv, 'client-rate', 1) : kind === 'postgres' ? fakePerMinute : 'default';
  const sharing = (dryRun ? 'DRY RUN (snapshot and plan only); ' : '') + (kind === 'postgres' ? `${workers} worker process${workers > 1 ? 'es' : ''}, shared vendor budget in Postgres` : 'worker in this process, in-process limiter');
  console.log(
    `# downstream benchmark: ${users} users, ${departments} departments into the WeCom fake at ${fakePerMinute}/min per API (client ${clientPerMinute === 'default' ? 'default 9000' : clientPerMinute}/min); ${sharing}\n${describeMachine(machineInfo())}\n`,
  );

  installQuietRuntime();
  const corpId = 'wwbench0000000001';
  const corpSecret = randomBytes(16).toString('hex');
  const secretKey = randomBytes(32);
  const secretBox = createSecretBox(secretKey);
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const fake = await startFakeProcess(corpId, corpSecret, fakePerMinute);
    cleanups.push(() => fake.stop());
    const database = kind === 'postgres' ? await openTestPostgres() : await openTestDatabase(kind);
    cleanups.push(() => database.close());

    let t = performance.now();
    await seedHub(database.db, generateDirectory({ users, departments }));
    const seedMs = performance.now() - t;
    console.log(`hub seeded in ${seconds(seedMs)} s (${database.kind})`);

    const task = await createSyncTasks(database.db, { secretBox, kinds: connectorCatalog }).create(
      {
        name: 'Benchmark: hub to WeCom',
        direction: 'downstream',
        connector: { kind: 'wecom', settings: { baseUrl: fake.baseUrl, corpId, ...(clientPerMinute === 'default' ? {} : { rateLimitPerMinute: clientPerMinute }) }, secrets: { corpSecret } },
        triggers: { manual: true },
        enabled: true,
      },
      'bench',
      // The benchmark owns its database and keeps the default protection.
      { authorizeProtectionChange: () => undefined },
    );

    t = performance.now();
    const env: TestWorkflowEnvironment = await startLocalTemporal();
    // Last to go: every worker, query and client call has ended before the connections close.
    cleanups.push(() => env.teardown());
    const workflowBundle = await bundleSyncWorkflows();
    console.log(`Temporal dev server up and workflows bundled in ${seconds(performance.now() - t)} s`);

    const taskQueue = `bench-downstream-${process.pid}`;
    const workflowId = `bench-downstream-${Date.now()}`;
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the run did not finish in ${timeoutS} s`)), timeoutS * 1000).unref());
    let started = 0;
    let phases: PhaseClock | undefined;
    const startRun = async () => {
      started = performance.now();
      const handle = await env.client.workflow.start<typeof syncRunWorkflow>('syncRunWorkflow', { taskQueue, workflowId, args: [{ taskId: task.id, ...(dryRun ? { dryRun: true } : {}) }] });
      phases = watchPhases(() => handle.query(progressQuery), started);
      return handle;
    };
    /** The run's result; the phase watcher is stopped (no query in flight) while a worker still answers. */
    const finish = async (handle: Awaited<ReturnType<typeof startRun>>) => {
      try {
        return await Promise.race([handle.result(), timeout]);
      } finally {
        await phases?.stop();
      }
    };

    let result: Awaited<ReturnType<typeof finish>>;
    let runMs: number;
    let handle: Awaited<ReturnType<typeof startRun>>;
    let peakRssMb: number[];
    if (kind === 'pglite') {
      const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: createActivities({ database, secretBox }) });
      handle = await startRun();
      result = await worker.runUntil(finish(handle));
      runMs = performance.now() - started;
      peakRssMb = [Math.round(process.resourceUsage().maxRSS / 1024)];
    } else {
      const bundleDir = await mkdtemp(path.join(os.tmpdir(), 'bench-downstream-'));
      cleanups.push(() => rm(bundleDir, { recursive: true, force: true }));
      const codePath = path.join(bundleDir, 'workflows.js');
      await writeFile(codePath, workflowBundle.code);
      const url = (database as Awaited<ReturnType<typeof openTestPostgres>>).url;
      const processes: WorkerProcess[] = [];
      // Registered before the Temporal teardown runs (cleanups run in reverse): workers stop first.
      cleanups.push(() => Promise.all(processes.map((p) => p.stop().catch(() => p.exited))));
      t = performance.now();
      processes.push(
        ...(await Promise.all(
          Array.from({ length: workers }, () =>
            startWorkerProcess({ BENCH_DATABASE_URL: url, BENCH_TEMPORAL_ADDRESS: env.address, BENCH_TASK_QUEUE: taskQueue, BENCH_WORKFLOW_BUNDLE: codePath, BENCH_SECRET_KEY: secretKey.toString('base64') }),
          ),
        )),
      );
      console.log(`${workers} worker process${workers > 1 ? 'es' : ''} (pids ${processes.map((p) => p.pid).join(', ')}) up in ${seconds(performance.now() - t)} s`);
      handle = await startRun();
      result = await finish(handle);
      runMs = performance.now() - started;
      const stopped = await Promise.all(processes.map((p) => p.stop()));
      peakRssMb = stopped.map((s) => s.peakRssMb);
      for (const s of stopped) {
        const steps = Object.entries(s.byActivity).sort((a, b) => b[1].peakRssMb - a[1].peakRssMb);
        console.log(`worker ${s.pid}: peak RSS ${s.peakRssMb} MB; by activity (peak MB × runs): ${steps.map(([type, e]) => `${type} ${e.peakRssMb} × ${e.runs}`).join(', ') || 'none ran here'}`);
      }
    }
    const history = await handle.fetchHistory();
    const events = history.events?.length ?? 0;
    const seen = phases?.seen ?? {};

    const counts = await fake.counts();
    const state = (await (await fetch(`${fake.url}/__fake/state`)).json()) as { department: unknown[]; userlist: unknown[] };
    const busiest = Object.entries(counts.calls).sort((a, b) => b[1] - a[1])[0] ?? ['none', 0];
    const limitMs = (busiest[1] / fakePerMinute) * 60_000;
    // Plan order runs each API's calls in its own phase, so the sum over APIs is the ordered bound.
    const totalCalls = Object.values(counts.calls).reduce((a, b) => a + b, 0);
    const orderedLimitMs = (totalCalls / fakePerMinute) * 60_000;
    const applyMs = seen.apply !== undefined ? (seen.finishing ?? seen.staging ?? runMs) - seen.apply : undefined;
    const callsPerEntity = totalCalls / (users + departments);
    const load = machineInfo().loadAverage;

    console.log(`\nrun ${result.runId}: status ${result.status}, items ${JSON.stringify(result.counters)}, plan ${JSON.stringify(result.plan)}`);
    console.log(`fake afterwards: ${state.userlist.length} users, ${state.department.length} departments (root included)`);
    console.log(`calls per API: ${JSON.stringify(counts.calls)}; rate-limit refusals: ${counts.rateLimited}`);
    console.log(`phases first seen at (s): ${Object.entries(seen).map(([p, ms]) => `${p} ${seconds(ms)}`).join(', ')}`);
    console.log(`peak RSS per worker process (MB): ${peakRssMb.join(', ')}${kind === 'pglite' ? ' (in process: the whole benchmark process, PGlite included)' : ''}`);
    console.log(`load average at the end: ${load.join(' / ')}\n`);
    console.log(
      table(
        ['users', 'workers', 'run wall s', 'apply phase s', 'busiest API (calls)', 'limit time, busiest API s', 'limit time, all calls in order s', 'fraction (whole run, busiest API)', 'fraction (whole run, all calls)', 'calls per entity', 'refusals', 'peak RSS per worker MB', 'history events'],
        [
          [
            users,
            kind === 'postgres' ? workers : 'in process',
            seconds(runMs),
            seconds(applyMs),
            `${busiest[0]} (${busiest[1]})`,
            seconds(limitMs),
            seconds(orderedLimitMs),
            (limitMs / runMs).toFixed(2),
            (orderedLimitMs / runMs).toFixed(2),
            callsPerEntity.toFixed(3),
            counts.rateLimited,
            peakRssMb.join(' / '),
            events,
          ],
        ],
      ),
    );
    return {
      users,
      departments,
      database: kind,
      workers,
      fakePerMinute,
      clientPerMinute,
      status: result.status,
      runMs,
      applyMs,
      seedMs,
      limitMs,
      orderedLimitMs,
      fraction: limitMs / runMs,
      totalCalls,
      callsPerEntity,
      refusals: counts.rateLimited,
      historyEvents: events,
      peakRssMb,
      load,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
  }
}
