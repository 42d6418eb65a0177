// Downstream throughput: a full initial sync of a synthetic hub into the WeCom fake at its real
// rate limit (10,000 calls/min per API), on the Temporal dev server with the real activities.
// Reports the run's wall time against the time the limit allows, and the run's history length.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { runInitialSync, seconds } from './downstream-run';
import { describeMachine, machineInfo, positiveInt, table } from './report';
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

export async function runDownstreamBenchmark(argv: readonly string[]): Promise<void> {
  const users = positiveInt(argv, 'users', 2000);
  const departments = positiveInt(argv, 'departments', Math.max(1, Math.round(users / 10)));
  const timeoutS = positiveInt(argv, 'timeout', 1800);
  // --postgres: a fresh database on the Postgres server (TEST_DATABASE_URL), dropped afterwards.
  const kind = argv.includes('--postgres') ? 'postgres' : 'pglite';
  console.log(`# downstream benchmark: ${users} users, ${departments} departments into the WeCom fake at ${wecomCallsPerMinute}/min per API\n${describeMachine(machineInfo())}\n`);

  const corpId = 'wwbench0000000001';
  const corpSecret = randomBytes(16).toString('hex');
  let fake: FakeProcess | undefined;
  const peer = async () => {
    fake = await startFakeProcess(corpId, corpSecret);
    return { connector: { kind: 'wecom', settings: { baseUrl: fake.baseUrl, corpId }, secrets: { corpSecret } }, stop: () => fake!.stop() };
  };
  await runInitialSync({ name: 'hub to WeCom', users, departments, database: kind, timeoutS, peer }, async ({ result, runMs, phases, historyEvents }) => {
    const events = await historyEvents();
    const counts = await fake!.counts();
    const state = (await (await fetch(`${fake!.url}/__fake/state`)).json()) as { department: unknown[]; userlist: unknown[] };
    const busiest = Object.entries(counts.calls).sort((a, b) => b[1] - a[1])[0] ?? ['none', 0];
    const limitMs = (busiest[1] / wecomCallsPerMinute) * 60_000;
    // Plan order runs each API's calls in its own phase, so the sum over APIs is the ordered bound.
    const totalCalls = Object.values(counts.calls).reduce((a, b) => a + b, 0);
    const orderedLimitMs = (totalCalls / wecomCallsPerMinute) * 60_000;
    const applyMs = phases.apply !== undefined ? (phases.finishing ?? phases.staging ?? runMs) - phases.apply : undefined;

    console.log(`\nrun ${result.runId}: status ${result.status}, items ${JSON.stringify(result.counters)}, plan ${JSON.stringify(result.plan)}`);
    console.log(`fake afterwards: ${state.userlist.length} users, ${state.department.length} departments (root included)`);
    console.log(`calls per API: ${JSON.stringify(counts.calls)}; rate-limit refusals: ${counts.rateLimited}`);
    console.log(`phases first seen at (s): ${Object.entries(phases).map(([p, ms]) => `${p} ${seconds(ms)}`).join(', ')}`);
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
  });
}
