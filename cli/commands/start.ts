// `sync-center start`: everything in one process tree — the Temporal dev server (unless
// TEMPORAL_ADDRESS), the database, the worker and the API — stopped in reverse order on Ctrl-C.
import { openDatabase } from '../../db/client';
import { startApiServer, type RunningApiServer } from '../api-server';
import { exportImportDir, loadConfig, type SyncCenterConfig } from '../config';
import { lockDataDir } from '../data-dir-lock';
import { resolveSecrets, type ResolvedSecrets } from '../data-dir-secrets';
import { Lifecycle } from '../lifecycle';
import { startDevServer } from '../temporal-dev-server';
import { parseFlags } from '../args';
import { connectToCluster, watchWorker } from './shared';
import { startSyncWorker } from '../worker';
import type { Command } from './command';

const log = (line: string) => process.stderr.write(`${line}\n`);

function banner(config: SyncCenterConfig, api: RunningApiServer, temporalAddress: string, uiUrl: string | undefined, secrets: ResolvedSecrets): string {
  const source = secrets.adminTokenSource;
  const adminToken =
    source?.kind === 'env' ? 'from SYNC_CENTER_ADMIN_TOKEN' : source?.kind === 'file' ? `in ${source.path}${source.created ? ' (created now)' : ''}` : 'none';
  const database = config.database.url ? 'Postgres (DATABASE_URL)' : `PGlite in ${config.database.pgliteDir}`;
  const lines = [
    '',
    'Sync Center is running',
    `  Console      ${api.consoleUrl} (sign in with the admin token)`,
    `  API          ${api.url}/api/v1`,
    `  API docs     ${api.docsUrl}`,
    `  Health       ${api.healthUrl}`,
    `  Temporal UI  ${uiUrl ?? "(your cluster's own Web UI)"}`,
    `  Temporal     ${temporalAddress}, namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}`,
    `  Database     ${database}`,
    `  Admin token  ${adminToken}`,
    'Press Ctrl-C to stop.',
    '',
  ];
  return lines.join('\n');
}

export interface RunningStack {
  config: SyncCenterConfig;
  api: RunningApiServer;
  temporalAddress: string;
  /** the dev server's Web UI; undefined on an existing cluster */
  uiUrl: string | undefined;
  secrets: ResolvedSecrets;
  /** the "Sync Center is running" block `start` prints */
  banner: string;
}

/**
 * Brings up everything `start` runs, registering each part's stop step on the lifecycle (so a
 * Ctrl-C during start-up or afterwards stops what exists, in reverse order). Shared with `demo`.
 */
export async function startStack(config: SyncCenterConfig, lifecycle: Lifecycle): Promise<RunningStack> {
  const lock = lockDataDir(config.dataDir);
  await lifecycle.add('data directory lock', async () => lock.release());
  const secrets = resolveSecrets(config, { generate: true });
  exportImportDir(config);

  let temporalAddress = config.temporal.address;
  let uiUrl: string | undefined;
  if (!temporalAddress) {
    log(`[sync-center] starting the Temporal dev server on 127.0.0.1:${config.temporal.port}…`);
    const devServer = await startDevServer({ dataDir: config.dataDir, port: config.temporal.port, uiPort: config.temporal.uiPort, namespace: config.temporal.namespace, log });
    await lifecycle.add('Temporal dev server', () => devServer.stop());
    log(`[sync-center] Temporal dev server ready (pid ${devServer.pid})`);
    temporalAddress = devServer.address;
    uiUrl = devServer.uiUrl;
  } else {
    await connectToCluster(temporalAddress, config.temporal.namespace, log);
  }

  log(config.database.url ? '[sync-center] opening Postgres…' : `[sync-center] opening PGlite in ${config.database.pgliteDir}…`);
  const database = await openDatabase(config.database.url ? { url: config.database.url } : { dataDir: config.database.pgliteDir });
  await lifecycle.add('database', () => database.close());

  log('[sync-center] starting the worker (bundling workflows)…');
  const worker = await startSyncWorker({
    address: temporalAddress,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    database,
    secretKey: secrets.secretKey!, // generate: true always yields one
    snapshotRetentionDays: config.snapshotRetentionDays,
    vendorRateLimits: config.vendorRateLimits,
  });
  await lifecycle.add('worker', () => worker.stop());
  watchWorker(worker, lifecycle);

  const api = await startApiServer({
    database,
    adminToken: secrets.adminToken,
    secretKey: secrets.secretKey,
    temporalAddress,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...config.api,
  });
  await lifecycle.add('API', () => api.close());
  return { config, api, temporalAddress, uiUrl, secrets, banner: banner(config, api, temporalAddress, uiUrl, secrets) };
}

export const startCommand: Command = {
  name: 'start',
  summary: 'run everything: Temporal dev server, database, worker and API',
  usage: `sync-center start

  Brings up, in one process: the Temporal dev server (state in <data dir>/temporal.db, Web UI
  on TEMPORAL_UI_PORT) unless TEMPORAL_ADDRESS is set; PGlite in <data dir>/pglite unless
  DATABASE_URL is set; a worker on the task queue; the API on HOST:PORT. Creates an admin token
  and a secret key in the data directory on first run. Ctrl-C stops everything.`,
  async run(argv) {
    parseFlags('start', argv, {});
    const config = loadConfig();
    const lifecycle = new Lifecycle(log);
    try {
      const stack = await startStack(config, lifecycle);
      process.stdout.write(`${stack.banner}\n`);
    } catch (err) {
      return lifecycle.abortStartup(err);
    }
    const code = await lifecycle.untilStopped();
    log(`[sync-center] stopped${code === 0 ? '' : ` with errors (exit code ${code})`}`);
    return code;
  },
};
