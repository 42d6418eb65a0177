// `sync-center worker`: only the Temporal worker, for the production shape (DATABASE_URL + TEMPORAL_ADDRESS).
import { openDatabase } from '../../db/client';
import { parseFlags } from '../args';
import { ConfigError, exportImportDir, loadConfig } from '../config';
import { resolveSecrets } from '../data-dir-secrets';
import { Lifecycle } from '../lifecycle';
import { startMetricsServer } from '../../telemetry/metrics-server';
import { metricsTokenFromEnv } from '../../telemetry/metrics-access';
import { startSyncWorker } from '../worker';
import type { Command } from './command';
import { connectToCluster, requireServers, watchWorker } from './shared';

const log = (line: string) => process.stderr.write(`${line}\n`);

export const workerCommand: Command = {
  name: 'worker',
  summary: 'run only the worker (needs DATABASE_URL and TEMPORAL_ADDRESS)',
  usage: `sync-center worker

  Polls the task queue (TEMPORAL_TASK_QUEUE, default sync-center) on the cluster at
  TEMPORAL_ADDRESS, with activities on the Postgres at DATABASE_URL. Needs SYNC_CENTER_SECRET_KEY
  (the same key as every other worker and the API). Run as many as you like.
  SYNC_CENTER_WORKER_METRICS_PORT serves its Prometheus metrics at /metrics (on HOST, default
  0.0.0.0): with SYNC_CENTER_METRICS_TOKEN as a bearer token, or to this host only without one.
  SYNC_CENTER_TEMPORAL_METRICS_ADDRESS (host:port) serves the Temporal SDK's runtime metrics.`,
  async run(argv) {
    parseFlags('worker', argv, {});
    const config = loadConfig();
    requireServers('worker', { databaseUrl: config.database.url, temporalAddress: config.temporal.address });
    const { secretKey } = resolveSecrets(config, { generate: false });
    if (!secretKey) throw new ConfigError('needs SYNC_CENTER_SECRET_KEY (32 bytes, base64) to open connector credentials');
    exportImportDir(config);

    const lifecycle = new Lifecycle(log);
    try {
      const address = config.temporal.address!;
      await connectToCluster(address, config.temporal.namespace, log);
      const database = await openDatabase({ url: config.database.url });
      await lifecycle.add('database', () => database.close());
      const worker = await startSyncWorker({ address, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, database, secretKey, snapshotRetentionDays: config.snapshotRetentionDays, vendorRateLimits: config.vendorRateLimits });
      await lifecycle.add('worker', () => worker.stop());
      watchWorker(worker, lifecycle);
      const metricsPort = process.env.SYNC_CENTER_WORKER_METRICS_PORT?.trim();
      if (metricsPort) {
        if (!/^\d+$/.test(metricsPort) || Number(metricsPort) > 65535) throw new ConfigError(`SYNC_CENTER_WORKER_METRICS_PORT must be a port number (got "${metricsPort}")`);
        const metrics = await startMetricsServer({ host: process.env.HOST?.trim() || '0.0.0.0', port: Number(metricsPort), token: metricsTokenFromEnv() });
        await lifecycle.add('metrics', () => metrics.close());
        log(`[sync-center] worker metrics at ${metrics.url}`);
      }
      log(`[sync-center] worker polling task queue ${config.temporal.taskQueue} on ${address} (namespace ${config.temporal.namespace}); Ctrl-C stops it`);
    } catch (err) {
      return lifecycle.abortStartup(err);
    }
    return lifecycle.untilStopped();
  },
};
