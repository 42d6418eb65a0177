// deploy/prometheus.yml, the compose shape's Prometheus, run for real (Docker is not available where
// the tests run): promtool checks the file, then Debian's Prometheus runs its scrape jobs, as the
// file has them (job names, metrics paths, bearer-token settings), with only their targets moved to
// a test API, a test worker metrics port and a Temporal worker's SDK metrics on loopback, and the
// token file moved to a temporary one. Both app endpoints require the token here, as in compose.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { parse, stringify } from 'yaml';
import { startTestApi } from '../api/testing';
import { installWorkerRuntime } from '../cli/worker';
import type { Database } from '../db/client';
import { syncRuns } from '../db/schema';
import { itemsApplied } from '../telemetry/metrics';
import { startMetricsServer } from '../telemetry/metrics-server';
import { freePort } from './support/cli-process';
import { openTestDatabase } from './support/databases';
import { prometheusDir, promtoolCheckConfig, startPrometheus, type RunningPrometheus } from './support/prometheus';
import { startLocalTemporal } from './support/temporal';

jest.setTimeout(90_000);

const realConfigFile = path.join(__dirname, '..', 'deploy', 'prometheus.yml');
const token = `metrics-${process.pid}-0123456789abcdef`;

interface ScrapeJob {
  job_name: string;
  metrics_path?: string;
  authorization?: { type?: string; credentials_file?: string; credentials?: string };
  static_configs?: unknown;
  dns_sd_configs?: unknown;
  [key: string]: unknown;
}

/**
 * The real file with each job's service discovery replaced by the loopback target given for its
 * name, its token file by `tokenFile`, and a short scrape interval; everything else of each job kept.
 * A job the test has no target for fails the test (a new job needs a target here).
 */
function rewriteScrapeConfig(text: string, targets: Record<string, string>, tokenFile: string): { yaml: string; jobs: ScrapeJob[] } {
  const config = parse(text) as { global?: Record<string, unknown>; scrape_configs: ScrapeJob[] };
  const jobs = config.scrape_configs.map((job) => {
    const target = targets[job.job_name];
    if (!target) throw new Error(`deploy/prometheus.yml has a job "${job.job_name}" the scrape test has no target for`);
    const { static_configs: _static, dns_sd_configs: _dns, ...kept } = job;
    void _static;
    void _dns;
    const authorization = job.authorization?.credentials_file ? { ...job.authorization, credentials_file: tokenFile } : job.authorization;
    return { ...kept, ...(authorization ? { authorization } : {}), static_configs: [{ targets: [target] }] };
  });
  return { yaml: stringify({ ...config, global: { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' }, scrape_configs: jobs }), jobs };
}

let env: TestWorkflowEnvironment | undefined;
let database: Database | undefined;
let api: FastifyInstance | undefined;
let workerMetrics: { url: string; close(): Promise<void> } | undefined;
let prometheus: RunningPrometheus | undefined;

afterAll(async () => {
  await prometheus?.stop();
  await workerMetrics?.close();
  await api?.close();
  await database?.close();
  await env?.teardown();
});

test('promtool accepts deploy/prometheus.yml', () => {
  // Syntax only: the token file it names exists inside the compose container, not here (the
  // rewritten config below gets the full check, its token file included).
  expect(promtoolCheckConfig(realConfigFile, { syntaxOnly: true })).toMatch(/SUCCESS/);
});

test('a real Prometheus with the compose scrape jobs scrapes the API, the worker and its Temporal SDK metrics', async () => {
  const realText = readFileSync(realConfigFile, 'utf8');
  const real = parse(realText) as { scrape_configs: ScrapeJob[] };
  // The app's endpoints need the token in the compose shape; the test gives them one too.
  for (const name of ['sync-center-api', 'sync-center-worker']) {
    expect(real.scrape_configs.find((j) => j.job_name === name)?.authorization).toMatchObject({ type: 'Bearer', credentials_file: expect.any(String) });
  }

  const sdkPort = await freePort();
  process.env.SYNC_CENTER_TEMPORAL_METRICS_ADDRESS = `127.0.0.1:${sdkPort}`;
  installWorkerRuntime(); // before any connection: the runtime is installed once per process
  [env, database] = await Promise.all([startLocalTemporal(), openTestDatabase('pglite')]);
  api = (await startTestApi(database, { metricsToken: token })).app;
  await api.listen({ host: '127.0.0.1', port: 0 });
  const apiPort = (api.server.address() as { port: number }).port;
  workerMetrics = await startMetricsServer({ host: '127.0.0.1', port: 0, token });
  // Something for each sync metric to show: a run (the API's database gauge), an item (the worker's counter).
  await database.db.insert(syncRuns).values({ id: `run-${process.pid}`, taskId: 'task-prometheus', trigger: 'schedule', status: 'succeeded', finishedAt: new Date() });
  itemsApplied.inc({ action: 'CreateUser', outcome: 'succeeded' });

  const dir = prometheusDir();
  const tokenFile = path.join(dir, 'metrics-token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  const targets = { 'sync-center-api': `127.0.0.1:${apiPort}`, 'sync-center-worker': `127.0.0.1:${new URL(workerMetrics.url).port}`, 'temporal-sdk': `127.0.0.1:${sdkPort}` };
  const { yaml, jobs } = rewriteScrapeConfig(realText, targets, tokenFile);
  writeFileSync(path.join(dir, 'check.yml'), yaml);
  expect(promtoolCheckConfig(path.join(dir, 'check.yml'))).toMatch(/SUCCESS/);
  // Kept from the real file: job names, metrics paths, authorization (with the temporary token file).
  expect(jobs.map((j) => [j.job_name, j.metrics_path, j.authorization?.type])).toEqual(real.scrape_configs.map((j) => [j.job_name, j.metrics_path, j.authorization?.type]));

  const sdkWorker = await Worker.create({ connection: env.nativeConnection, taskQueue: `prometheus-scrape-${process.pid}`, activities: { noop: async () => undefined } });
  await sdkWorker.runUntil(async () => {
    prometheus = await startPrometheus(dir, yaml);
    const p = prometheus;
    type Target = { labels: { job: string }; health: string; lastError: string; scrapeUrl: string };
    let active: Target[] = [];
    for (let i = 0; ; i++) {
      active = (await p.api<{ activeTargets: Target[] }>('targets?state=active')).activeTargets;
      if (active.length === jobs.length && active.every((t) => t.health === 'up')) break;
      if (i > 200) throw new Error(`targets not all up: ${JSON.stringify(active)}\n${p.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(active.map((t) => t.labels.job).sort()).toEqual(Object.keys(targets).sort());

    const query = async (expr: string) => {
      for (let i = 0; ; i++) {
        const { result } = await p.api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`query?query=${encodeURIComponent(expr)}`);
        if (result.length > 0 || i > 100) return result;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    expect(await query('up')).toHaveLength(3);
    expect((await query('up')).every((s) => s.value[1] === '1')).toBe(true);
    // A sync metric from each app endpoint, and a Temporal SDK runtime metric.
    expect(await query('sync_center_runs{job="sync-center-api",task="task-prometheus",status="succeeded"}')).toEqual([expect.objectContaining({ value: [expect.any(Number), '1'] })]);
    expect(await query('sync_center_items_total{job="sync-center-worker",action="CreateUser",outcome="succeeded"}')).toHaveLength(1);
    expect(await query('temporal_num_pollers{job="temporal-sdk"}')).not.toHaveLength(0);
  });
});
