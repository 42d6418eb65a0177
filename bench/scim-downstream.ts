// SCIM downstream throughput (issue 19 §4): a full initial sync of a synthetic hub into the
// third-party `scim2-server` (PyPI, in memory) with the generic profile, on the Temporal dev server
// with the real activities. The task's rate limit is set (--rate calls per second, a 1 s window, so
// a short run gets no first-window burst for free); the figure is the time that rate allows for the
// calls the run made, over the run's wall time.
import { and, eq } from 'drizzle-orm';
import { runItems } from '../db/schema';
import { startScimServer } from '../test/support/scim-server';
import { runInitialSync, seconds } from './downstream-run';
import { describeMachine, machineInfo, positiveInt, table } from './report';

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
  let server: Awaited<ReturnType<typeof startScimServer>> | undefined;
  let counter: ReturnType<typeof countRequests> | undefined;
  const peer = async () => {
    server = await startScimServer();
    return {
      connector: { kind: 'scim', settings: { profile: 'generic', baseUrl: server.baseUrl, rateLimit: { limit: perSecond, windowMs: 1_000 } }, secrets: { token: server.token } },
      stop: () => server!.close(),
    };
  };
  const beforeStart = () => {
    counter = countRequests(server!.baseUrl);
    return counter.restore;
  };
  await runInitialSync({ name: 'hub to SCIM', users, departments, database: kind, timeoutS, peer, beforeStart }, async ({ database, result, runMs, phases }) => {
    counter!.restore();
    const totalCalls = [...counter!.calls.values()].reduce((a, b) => a + b, 0);
    const limitMs = (totalCalls / perSecond) * 1_000;
    const listed = async (resource: string) =>
      ((await (await fetch(`${server!.baseUrl}/${resource}?count=1`, { headers: { authorization: `Bearer ${server!.token}` } })).json()) as { totalResults: number }).totalResults;
    console.log(`\nrun ${result.runId}: status ${result.status}, items ${JSON.stringify(result.counters)}, plan ${JSON.stringify(result.plan)}`);
    const failed = await database.db.select().from(runItems).where(and(eq(runItems.runId, result.runId), eq(runItems.status, 'failed'))).limit(5);
    for (const item of failed) console.log(`failed: ${item.action} ${item.displayName}: ${item.errorCode} ${item.errorMessage}`);
    console.log(`scim2-server afterwards: ${await listed('Users')} users, ${await listed('Groups')} groups`);
    console.log(`calls: ${JSON.stringify(Object.fromEntries(counter!.calls))}`);
    console.log(`phases first seen at (s): ${Object.entries(phases).map(([p, ms]) => `${p} ${seconds(ms)}`).join(', ')}`);
    console.log(`load average at the end: ${machineInfo().loadAverage.join(' / ')}\n`);
    console.log(
      table(
        ['users', 'departments', 'run wall s', 'calls', 'calls per entity', 'time the rate allows s', 'fraction'],
        [[users, departments, seconds(runMs), totalCalls, (totalCalls / (users + departments)).toFixed(2), seconds(limitMs), (limitMs / runMs).toFixed(2)]],
      ),
    );
  });
}
