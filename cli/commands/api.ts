// `sync-center api`: only the REST API, for the production shape (DATABASE_URL + TEMPORAL_ADDRESS).
import { openDatabase } from '../../db/client';
import { startApiServer } from '../api-server';
import { parseFlags } from '../args';
import { ConfigError, exportImportDir, loadConfig } from '../config';
import { resolveSecrets } from '../data-dir-secrets';
import { Lifecycle } from '../lifecycle';
import type { Command } from './command';
import { requireServers } from './shared';

const log = (line: string) => process.stderr.write(`${line}\n`);

export const apiCommand: Command = {
  name: 'api',
  summary: 'run only the REST API (needs DATABASE_URL and TEMPORAL_ADDRESS)',
  usage: `sync-center api

  Serves /api/v1 and /docs on HOST:PORT against the Postgres at DATABASE_URL and drives task
  workflows on the Temporal cluster at TEMPORAL_ADDRESS (/healthz checks both). Needs
  SYNC_CENTER_SECRET_KEY (shared with the workers); SYNC_CENTER_ADMIN_TOKEN bootstraps an admin.`,
  async run(argv) {
    parseFlags('api', argv, {});
    const config = loadConfig();
    requireServers('api', { databaseUrl: config.database.url, temporalAddress: config.temporal.address });
    const { adminToken, secretKey } = resolveSecrets(config, { generate: false });
    // The API seals connector credentials that workers open: without the shared key it cannot take sync tasks.
    if (!secretKey) throw new ConfigError('needs SYNC_CENTER_SECRET_KEY (32 bytes, base64), the same key as the workers');
    if (!adminToken) log('[sync-center] no SYNC_CENTER_ADMIN_TOKEN: only existing API tokens can sign in');
    exportImportDir(config);

    const lifecycle = new Lifecycle(log);
    try {
      const database = await openDatabase({ url: config.database.url });
      await lifecycle.add('database', () => database.close());
      const api = await startApiServer({
        database,
        adminToken,
        secretKey,
        temporalAddress: config.temporal.address!,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        ...config.api,
        logger: { level: 'info' }, // a production API logs its requests; start keeps the console to warnings
      });
      await lifecycle.add('API', () => api.close());
      log(`[sync-center] API on ${api.url}/api/v1 (docs ${api.docsUrl}, health ${api.healthUrl}); Ctrl-C stops it`);
    } catch (err) {
      return lifecycle.abortStartup(err);
    }
    return lifecycle.untilStopped();
  },
};
