// SCIM push through /scim/v2 on the Postgres server (issue 19 part 4): a concurrent client (16 in
// flight) POSTs N users, PATCHes every title, then looks up users with `filter=userName eq`;
// requests/s and p95 per phase, peak RSS of the process (API and client), the hub's consistency
// afterwards, and 16 concurrent identical creates.
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { buildApi } from '../api/server';
import { createScimPushTask } from '../api/scim/testing';
import { openTestPostgres } from '../test/support/databases';
import { median, positiveInt, table } from './report';

const enterprise = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

function rss(): { peakMB: () => number; stop: () => void } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  return { peakMB: () => Math.round((Math.max(peak, process.memoryUsage.rss()) / 1048576) * 10) / 10, stop: () => clearInterval(timer) };
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

/** Runs `count` requests with `concurrency` in flight; their latencies in ms and the phase's wall time. */
async function phase(count: number, concurrency: number, request: (i: number) => Promise<number>, queries: () => number): Promise<{ latencies: number[]; wallMs: number; statuses: Map<number, number>; queries: number }> {
  const queriesBefore = queries();
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        const status = await request(i);
        latencies.push(performance.now() - t);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  return { latencies, wallMs: performance.now() - started, statuses, queries: queries() - queriesBefore };
}

export async function runScimPushBenchmark(argv: readonly string[]): Promise<void> {
  const users = positiveInt(argv, 'users', 10_000);
  const lookups = positiveInt(argv, 'lookups', 1_000);
  const concurrency = positiveInt(argv, 'concurrency', 16);
  const memory = rss();
  // Every statement sent to the server is counted (postgres.js debug hook): round trips per request.
  let queries = 0;
  const database = await openTestPostgres({ onQuery: () => void queries++ });
  const app = await buildApi({ database, checkTemporal: async () => undefined, rateLimits: { enabled: false, perToken: 0, perAnonymousIp: 0, perWebhookTask: 0, authFailuresPerIp: 0 } });
  try {
    const { token } = await createScimPushTask(database, 'bench-scim');
    const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}/scim/v2`;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };
    const call = async (method: string, path: string, body?: object): Promise<{ status: number; json: Record<string, unknown> }> => {
      const res = await fetch(`${base}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const counted = () => queries;
    const ids: string[] = new Array<string>(users);
    const userName = (i: number) => `bench.user.${i}@acme.test`;
    const rows: (string | number)[][] = [];
    const record = (label: string, result: Awaited<ReturnType<typeof phase>>) => {
      rows.push([label, result.latencies.length, Math.round((result.latencies.length / result.wallMs) * 1000), Math.round(median(result.latencies) * 10) / 10, Math.round(percentile(result.latencies, 0.95) * 10) / 10, Math.round(percentile(result.latencies, 0.99)), Math.round(Math.max(...result.latencies)), Math.round((result.latencies.reduce((a, b) => a + b, 0) / result.latencies.length) * 10) / 10, Math.round((result.queries / result.latencies.length) * 10) / 10, [...result.statuses].map(([s, c]) => `${s}×${c}`).join(' ')]);
    };

    record(`POST /Users`, await phase(users, concurrency, async (i) => {
      const res = await call('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', enterprise], userName: userName(i), displayName: `User ${i}`, active: true, title: 'Staff', emails: [{ value: userName(i), type: 'work', primary: true }], [enterprise]: { employeeNumber: `B${i}` } });
      ids[i] = res.json.id as string;
      return res.status;
    }, counted));
    record(`PATCH /Users/{id} title`, await phase(users, concurrency, async (i) => (await call('PATCH', `/Users/${ids[i]}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: `Title ${i}` }] })).status, counted));
    let wrong = 0;
    record(`GET /Users?filter=userName eq`, await phase(lookups, concurrency, async (i) => {
      const wanted = (i * 7919) % users;
      const res = await call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName(wanted).toUpperCase()}"`)}`);
      const found = res.json.Resources as { id: string; title: string }[];
      if (found.length !== 1 || found[0].id !== ids[wanted] || found[0].title !== `Title ${wanted}`) wrong++;
      return res.status;
    }, counted));
    const racers = await Promise.all(Array.from({ length: 16 }, () => call('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'bench.racer', active: true })));
    const codes = racers.map((r) => r.status).sort();
    const [counts] = (await database.db.execute(sql`select count(*)::int as n, count(distinct lower(username))::int as names, count(*) filter (where title like 'Title %')::int as titled from hub_users`)) as unknown as { n: number; names: number; titled: number }[];
    console.log(`SCIM push: ${users} users, concurrency ${concurrency}, Postgres server (fresh database)`);
    console.log(table(['phase', 'requests', 'req/s', 'median ms', 'p95 ms', 'p99 ms', 'max ms', 'mean ms', 'queries/request', 'answers'], rows));
    console.log(`16 concurrent identical creates: ${codes.filter((c) => c === 201).length}×201, ${codes.filter((c) => c === 409).length}×409`);
    console.log(`afterwards: ${counts.n} hub users (${users} + the racer expected), ${counts.names} distinct userNames, ${counts.titled} with the patched title, ${wrong} wrong look-ups; peak RSS ${memory.peakMB()} MB`);
  } finally {
    memory.stop();
    await app.close();
    await database.close();
  }
}
