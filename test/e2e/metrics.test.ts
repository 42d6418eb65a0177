/**
 * Prometheus metrics move as a run proceeds, on the real Temporal dev server and Postgres: a first
 * sync of the seeded hub into the WeCom fake, scraped at GET /metrics before, during (from inside
 * an apply) and after. The runs gauge shows the run running, then succeeded; items by action and
 * outcome, vendor calls by connector, API and result (with their latency histogram) and the
 * rate-limit waits after a 45009 burst count what the run did.
 */
import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { fakeControl } from '../../connectors/wecom/fake/test-helpers';
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { startTestApi } from '../../api/testing';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { E2eStack, hubCompany, quietTemporalLogs, seedHubCompany } from './harness';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let database: Database;
let wecom: RunningWecomFake;
let stack: E2eStack;
let app: FastifyInstance;

beforeAll(async () => {
  quietTemporalLogs();
  let bundle;
  [env, bundle, database, wecom] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase('postgres'), E2eStack.startWecom()]);
  stack = new E2eStack(env, bundle, database);
  app = (await startTestApi(database)).app;
  await seedHubCompany(createHubDirectory(database.db));
});

afterAll(async () => {
  await app?.close();
  await wecom?.close();
  await database?.close();
  await env?.teardown();
});

/** One sample of the scraped text: the value of `name` whose labels include all of `labels` (summed when several match). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(match[3]);
  }
  return total;
}

async function scrape(): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return res.body;
}

test('metrics move as a run proceeds', async () => {
  const taskId = await stack.insertTask(stack.wecomTask(wecom));
  const before = await scrape();
  expect(sample(before, 'sync_center_runs', { task: taskId })).toBe(0);

  // Two rate-limit answers (45009): each pauses every call of the client for its back-off (200 ms here).
  await fakeControl(wecom, 'faults', { rateLimitBurst: 2 });
  let during: string | undefined;
  stack.hooks.afterApply = async () => {
    during ??= await scrape();
  };
  const run = await stack.run(taskId);
  stack.hooks.afterApply = undefined;
  expect(run.status).toBe('succeeded');
  const after = await scrape();

  // The runs gauge (read from the database): running while it applied, succeeded after.
  expect(sample(during!, 'sync_center_runs', { task: taskId, status: 'running', trigger: 'manual' })).toBe(1);
  expect(sample(after, 'sync_center_runs', { task: taskId, status: 'running' })).toBe(0);
  expect(sample(after, 'sync_center_runs', { task: taskId, status: 'succeeded', trigger: 'manual' })).toBe(1);
  expect(sample(after, 'sync_center_runs_finished_total', { task: taskId, status: 'succeeded', trigger: 'manual' })).toBe(1);

  // Items by action and outcome: every hub user created, the departments too.
  const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
  expect(delta('sync_center_items_total', { action: 'CreateUser', outcome: 'succeeded' })).toBe(hubCompany.length);
  expect(delta('sync_center_items_total', { action: 'CreateDepartment', outcome: 'succeeded' })).toBeGreaterThanOrEqual(2);
  expect(sample(during!, 'sync_center_items_total', { action: 'CreateUser', outcome: 'succeeded' })).toBeLessThan(sample(after, 'sync_center_items_total', { action: 'CreateUser', outcome: 'succeeded' }));

  // Vendor calls by connector, API and result, with the latency histogram; the burst shows as rate-limit waits.
  expect(delta('sync_center_vendor_requests_total', { connector: 'wecom', api: '/cgi-bin/user/create', result: 'ok' })).toBeGreaterThanOrEqual(hubCompany.length);
  expect(delta('sync_center_vendor_requests_total', { connector: 'wecom', api: '/cgi-bin/gettoken', result: 'ok' })).toBeGreaterThanOrEqual(1);
  expect(delta('sync_center_vendor_request_duration_seconds_count', { connector: 'wecom', api: '/cgi-bin/user/create' })).toBeGreaterThanOrEqual(hubCompany.length);
  expect(delta('sync_center_rate_limit_waits_total', { connector: 'wecom', cause: 'vendor' })).toBe(2);
  expect(delta('sync_center_rate_limit_wait_seconds_total', { connector: 'wecom', cause: 'vendor' })).toBeCloseTo(0.4);

  // Nothing waits: no pending deletions for the task, an empty inbox.
  expect(sample(after, 'sync_center_pending_deletions', { task: taskId })).toBe(0);
  expect(after).toMatch(/^sync_center_webhook_inbox_backlog 0$/m);
});

test('/metrics needs the metrics token when SYNC_CENTER_METRICS_TOKEN is set', async () => {
  const guarded = (await startTestApi(database, { metricsToken: 'metrics-token-0123456789' })).app;
  try {
    expect((await guarded.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    const ok = await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('sync_center_runs');
  } finally {
    await guarded.close();
  }
});
