// SCIM downstream throughput (issue 19 §4): a full initial sync of a synthetic hub into the
// third-party `scim2-server` (PyPI, in memory) with the generic profile, on the Temporal dev server
// with the real activities. The task's rate limit is set (--rate calls per second, a 1 s window, so
// a short run gets no first-window burst for free); the figure is the time that rate allows for the
// calls the run made, over the run's wall time.
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { performance } from 'node:perf_hooks';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { connectorCatalog } from '../connectors/definitions';
import { createSyncTasks } from '../db/repos/sync-tasks';
import { runItems } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import { openTestDatabase } from '../test/support/databases';
import { startScimServer } from '../test/support/scim-server';
import { startLocalTemporal } from '../test/support/temporal';
import { progressQuery } from '../workflows/definitions';
import type { syncRunWorkflow } from '../workflows/sync-run';
import { bundleSyncWorkflows } from '../workflows/testing/workers';
import { watchPhases } from './downstream';
import { describeMachine, machineInfo, positiveInt, table } from './report';
import { seedHub } from './seed-hub';
import { generateDirectory } from './synthetic-directory';

const seconds = (ms: number | undefined): string => (ms === undefined ? 'n/a' : (ms / 1000).toFixed(1));

/** Counts the requests this process sends to `base` (the worker runs in this process). */
function countRequests(base: string): { calls: Map<string, number>; restore: () => void } {
  const calls = new Map<string, number>();
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(base)) {
      const resource = new URL(url).pathname.slice(new URL(base).pathname.length).split('/')[1] ?? '';
      const key = `${init?.method ?? 'GET'} /${resource}`;
      calls.set(key, (calls.get(key) ?? 0) + 1);
    }
    return original(input, init);
  };
  return { calls, restore: () => (globalThis.fetch = original) };
}

export async function runScimDownstreamBenchmark(argv: readonly string[]): Promise<void> {
  const users = positiveInt(argv, 'users', 10_000);
  const departments = positiveInt(argv, 'departments', Math.max(1, Math.round(users / 10)));
  const perSecond = positiveInt(argv, 'rate', 100);
  const timeoutS = positiveInt(argv, 'timeout', 3600);
  const kind = argv.includes('--postgres') ? 'postgres' : 'pglite';
  console.log(`# SCIM downstream benchmark: ${users} users, ${departments} departments into scim2-server at ${perSecond} calls/s\n${describeMachine(machineInfo())}\n`);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const secretBox = createSecretBox(randomBytes(32));
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const server = await startScimServer();
    cleanups.push(() => server.close());
    const database = await openTestDatabase(kind);
    cleanups.push(() => database.close());
    let t = performance.now();
    await seedHub(database.db, generateDirectory({ users, departments }));
    console.log(`hub seeded in ${seconds(performance.now() - t)} s (${database.kind})`);
    const task = await createSyncTasks(database.db, { secretBox, kinds: connectorCatalog }).create(
      {
        name: 'Benchmark: hub to SCIM',
        direction: 'downstream',
        connector: { kind: 'scim', settings: { profile: 'generic', baseUrl: server.baseUrl, rateLimit: { limit: perSecond, windowMs: 1_000 } }, secrets: { token: server.token } },
        triggers: { manual: true },
        enabled: true,
      },
      'bench',
      { authorizeProtectionChange: () => undefined },
    );
    t = performance.now();
    const env = await startLocalTemporal();
    cleanups.push(() => env.teardown());
    const workflowBundle = await bundleSyncWorkflows();
    console.log(`Temporal dev server up and workflows bundled in ${seconds(performance.now() - t)} s`);
    const taskQueue = `bench-scim-downstream-${process.pid}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: createActivities({ database, secretBox }) });
    const counter = countRequests(server.baseUrl);
    cleanups.push(async () => counter.restore());
    const started = performance.now();
    const handle = await env.client.workflow.start<typeof syncRunWorkflow>('syncRunWorkflow', { taskQueue, workflowId: `bench-scim-downstream-${Date.now()}`, args: [{ taskId: task.id }] });
    const phases = watchPhases(() => handle.query(progressQuery), started);
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the run did not finish in ${timeoutS} s`)), timeoutS * 1000).unref());
    // The progress watcher stops (no query in flight) while the worker still answers queries: a query
    // left waiting went into the client's retry back-off and threw "Channel has been shut down" at teardown.
    const result = await worker.runUntil(Promise.race([handle.result(), timeout]).finally(() => phases.stop()));
    const runMs = performance.now() - started;
    counter.restore();
    const totalCalls = [...counter.calls.values()].reduce((a, b) => a + b, 0);
    const limitMs = (totalCalls / perSecond) * 1_000;
    const listed = async (resource: string) =>
      ((await (await fetch(`${server.baseUrl}/${resource}?count=1`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as { totalResults: number }).totalResults;
    console.log(`\nrun ${result.runId}: status ${result.status}, items ${JSON.stringify(result.counters)}, plan ${JSON.stringify(result.plan)}`);
    const failed = await database.db.select().from(runItems).where(and(eq(runItems.runId, result.runId), eq(runItems.status, 'failed'))).limit(5);
    for (const item of failed) console.log(`failed: ${item.action} ${item.displayName}: ${item.errorCode} ${item.errorMessage}`);
    console.log(`scim2-server afterwards: ${await listed('Users')} users, ${await listed('Groups')} groups`);
    console.log(`calls: ${JSON.stringify(Object.fromEntries(counter.calls))}`);
    console.log(`phases first seen at (s): ${Object.entries(phases.seen).map(([p, ms]) => `${p} ${seconds(ms)}`).join(', ')}`);
    console.log(`load average at the end: ${machineInfo().loadAverage.join(' / ')}\n`);
    console.log(
      table(
        ['users', 'departments', 'run wall s', 'calls', 'calls per entity', 'time the rate allows s', 'fraction'],
        [[users, departments, seconds(runMs), totalCalls, (totalCalls / (users + departments)).toFixed(2), seconds(limitMs), (limitMs / runMs).toFixed(2)]],
      ),
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
  }
}
