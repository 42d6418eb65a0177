// SCIM push through /scim/v2 on the Postgres server (issue 19 part 4): a concurrent client (16 in
// flight) POSTs N users, PATCHes every title, then looks up users with `filter=userName eq`;
// requests/s and p95 per phase, peak RSS of the API's process and of the client's, the hub's
// consistency afterwards, and 16 concurrent identical creates. The client runs in a process of its
// own (bench/scim-push-client.ts), as a real IdP does.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { buildApi } from '../api/server';
import { createScimPushTask } from '../api/scim/testing';
import { selectRows } from '../db/repos/sql';
import { openTestPostgres } from '../test/support/databases';
import { median, positiveInt, table } from './report';
import type { ClientSetup, PhaseName, PhaseResult } from './scim-push-client';

function rss(): { peakMB: () => number; stop: () => void } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  return { peakMB: () => Math.round((Math.max(peak, process.memoryUsage.rss()) / 1048576) * 10) / 10, stop: () => clearInterval(timer) };
}

/** CPU time (user + system, ms) of the Postgres backends serving this database, from /proc (Linux; 0 elsewhere). */
async function backendCpuMs(database: Awaited<ReturnType<typeof openTestPostgres>>): Promise<number> {
  const rows = await selectRows<{ pid: number }>(database.db, sql`select pid from pg_stat_activity where datname = current_database()`);
  const tick = 1000 / 100; // USER_HZ
  let total = 0;
  for (const { pid } of rows) {
    try {
      // fields 14 and 15 (utime, stime) after the command name in parentheses
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      // not on this machine's /proc (a remote server) or gone
    }
  }
  return total;
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];

/** The client process, ready for its setup; `run` answers one phase. */
async function startClient(): Promise<{ run: (phase: PhaseName) => Promise<PhaseResult>; setup: (setup: ClientSetup) => void; stop: () => Promise<void> }> {
  const child: ChildProcess = fork(path.join(__dirname, 'scim-push-client.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const failed = exited.then((code) => Promise.reject(new Error(`the benchmark client exited (${code}) before it answered`)));
  failed.catch(() => undefined);
  const next = <T>() => Promise.race([new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T))), failed]);
  await next<{ type: 'ready' }>();
  return {
    setup: (setup) => void child.send(setup),
    run: (phase) => {
      const answer = next<PhaseResult>();
      child.send({ type: 'run', phase });
      return answer;
    },
    stop: async () => {
      if (child.exitCode === null && child.connected) child.send({ type: 'exit' });
      await exited;
    },
  };
}

export async function runScimPushBenchmark(argv: readonly string[]): Promise<void> {
  const users = positiveInt(argv, 'users', 10_000);
  const lookups = positiveInt(argv, 'lookups', 1_000);
  const concurrency = positiveInt(argv, 'concurrency', 16);
  // --count-statements: every statement sent to the server counted through postgres.js's debug hook,
  // which captures a stack per query (it cost 2-16 % of throughput, BENCHMARKS §8f): off by default.
  const counting = argv.includes('--count-statements');
  const memory = rss();
  let queries = 0;
  const database = await openTestPostgres(counting ? { onQuery: () => void queries++ } : {});
  const app = await buildApi({ database, checkTemporal: async () => undefined, rateLimits: { enabled: false, perToken: 0, perAnonymousIp: 0, perWebhookTask: 0, authFailuresPerIp: 0 } });
  const client = await startClient();
  try {
    const { token } = await createScimPushTask(database, 'bench-scim');
    const base = `${await app.listen({ host: '127.0.0.1', port: 0 })}/scim/v2`;
    client.setup({ type: 'setup', base, token, users, lookups, concurrency });
    const rows: (string | number)[][] = [];
    let clientRssMb = 0;
    const measure = async (label: string, phase: PhaseName): Promise<PhaseResult> => {
      const before = queries;
      const apiCpu = process.cpuUsage();
      const backendBefore = await backendCpuMs(database);
      const result = await client.run(phase);
      const apiUsed = process.cpuUsage(apiCpu);
      const backendMs = (await backendCpuMs(database)) - backendBefore;
      clientRssMb = Math.max(clientRssMb, result.peakRssMb);
      const n = result.latencies.length;
      const perRequest = counting ? Math.round(((queries - before) / n) * 10) / 10 : '-';
      rows.push([label, n, Math.round((n / result.wallMs) * 1000), Math.round(median(result.latencies) * 10) / 10, Math.round(percentile(result.latencies, 0.95) * 10) / 10, Math.round(percentile(result.latencies, 0.99)), Math.round(Math.max(...result.latencies)), Math.round((result.latencies.reduce((a, b) => a + b, 0) / n) * 10) / 10, perRequest, ...[(apiUsed.user + apiUsed.system) / 1000, backendMs, result.cpuMs].map((ms) => Math.round((ms / n) * 100) / 100), result.statuses.map(([s, c]) => `${s}×${c}`).join(' ')]);
      return result;
    };
    await measure('POST /Users', 'post');
    await measure('PATCH /Users/{id} title', 'patch');
    const { wrong } = await measure('GET /Users?filter=userName eq', 'lookup');
    const racers = await client.run('racers');
    const codes = racers.statuses.flatMap(([status, n]) => Array<number>(n).fill(status));
    const [counts] = (await database.db.execute(sql`select count(*)::int as n, count(distinct lower(username))::int as names, count(*) filter (where title like 'Title %')::int as titled from hub_users`)) as unknown as { n: number; names: number; titled: number }[];
    console.log(`SCIM push: ${users} users, concurrency ${concurrency}, Postgres server (fresh database), client in its own process${counting ? ', statements counted' : ''}`);
    console.log(table(['phase', 'requests', 'req/s', 'median ms', 'p95 ms', 'p99 ms', 'max ms', 'mean ms', 'statements/request', 'CPU ms/request: API', 'Postgres', 'client', 'answers'], rows));
    console.log(`16 concurrent identical creates: ${codes.filter((c) => c === 201).length}×201, ${codes.filter((c) => c === 409).length}×409`);
    console.log(`afterwards: ${counts.n} hub users (${users} + the racer expected), ${counts.names} distinct userNames, ${counts.titled} with the patched title, ${wrong} wrong look-ups; peak RSS ${memory.peakMB()} MB (API), ${clientRssMb} MB (client)`);
  } finally {
    memory.stop();
    await client.stop();
    await app.close();
    await database.close();
  }
}
