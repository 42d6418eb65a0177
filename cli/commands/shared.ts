// Start-up steps shared by start, worker and api.
import { ConfigError } from '../config';
import { ensureSearchAttributes } from '../register-search-attributes';
import { waitForTemporal } from '../temporal-health';
import type { Lifecycle } from '../lifecycle';
import type { RunningSyncWorker } from '../worker';

/** Waits for an existing cluster (it may still be starting, e.g. under docker compose) and registers our search attributes. */
export async function connectToCluster(address: string, namespace: string, log: (line: string) => void): Promise<void> {
  log(`[sync-center] connecting to Temporal at ${address}…`);
  const connection = await waitForTemporal({ address, namespace, timeoutMs: 120_000 });
  try {
    const added = await ensureSearchAttributes(connection, namespace);
    if (added.length > 0) log(`[sync-center] registered search attributes ${added.join(', ')} in namespace ${namespace}`);
  } finally {
    await connection.close();
  }
}

/** A worker that stops on its own (fatal error) takes the whole process down, non-zero. */
export function watchWorker(worker: RunningSyncWorker, lifecycle: Lifecycle): void {
  // While stopping, the worker's own stop step reports its errors.
  void worker.done.then(
    () => {
      if (!lifecycle.isStopping) lifecycle.fail('worker', new Error('stopped unexpectedly'));
    },
    (err: unknown) => {
      if (!lifecycle.isStopping) lifecycle.fail('worker', err);
    },
  );
}

/** The separate worker and api processes cannot share PGlite or spawn their own dev server. */
export function requireServers(command: string, env: { databaseUrl?: string; temporalAddress?: string }): void {
  const missing = [!env.databaseUrl && 'DATABASE_URL', !env.temporalAddress && 'TEMPORAL_ADDRESS'].filter(Boolean);
  if (missing.length > 0) {
    throw new ConfigError(
      `needs ${missing.join(' and ')}: PGlite lets only one process open its data directory, and a lone ` +
        `${command} spawns no Temporal dev server. Set them to a Postgres server and a Temporal cluster, or run \`sync-center start\` for everything in one process.`,
    );
  }
}
