// Run-time configuration from the environment, validated with zod; every error names its variable.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { rateLimitsFromEnv, type RateLimitSettings } from '../api/rate-limit';
import { DEFAULT_SNAPSHOT_RETENTION_DAYS } from '../db/repos/run-snapshots';
import { parseCountryCode } from '../engine/mobile';
import { projectRoot } from './temporal-binaries';

export const defaultTaskQueue = 'sync-center';

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const EnvSchema = z.object({
  SYNC_CENTER_DATA_DIR: optionalText,
  DATABASE_URL: optionalText.refine((value) => value === undefined || /^postgres(ql)?:\/\//.test(value), {
    message: 'must be a postgres:// or postgresql:// URL',
  }),
  TEMPORAL_ADDRESS: optionalText.refine((value) => value === undefined || /^(\[[0-9a-fA-F:]+\]|[^\s:/[\]]+):\d+$/.test(value), {
    message: 'must be host:port, e.g. temporal:7233',
  }),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1).default(defaultTaskQueue),
  PORT: port(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  TEMPORAL_PORT: port(7233),
  TEMPORAL_UI_PORT: port(8233),
  SYNC_CENTER_ADMIN_TOKEN: optionalText.refine((value) => value === undefined || value.length >= 16, {
    message: 'must be at least 16 characters',
  }),
  SYNC_CENTER_SECRET_KEY: optionalText,
  SYNC_CENTER_IMPORT_DIR: optionalText,
  SYNC_CENTER_SNAPSHOT_RETENTION_DAYS: optionalText.pipe(
    z.coerce
      .number<string | undefined>({ message: 'must be a whole number of days' })
      .int({ message: 'must be a whole number of days' })
      .min(1, { message: 'must be at least 1 (day)' })
      .max(3650, { message: 'must be at most 3650 (days)' })
      .default(DEFAULT_SNAPSHOT_RETENTION_DAYS),
  ),
  SYNC_CENTER_VENDOR_RATE_LIMITS: optionalText.pipe(z.enum(['shared', 'process'], { message: 'must be shared or process' }).default('shared')),
  // Read where mobiles are normalised (engine/mobile.ts); checked here so a bad value stops `start` at once.
  SYNC_CENTER_DEFAULT_COUNTRY_CODE: optionalText.refine((value) => value === undefined || parseCountryCode(value) !== null, {
    message: 'must be a country calling code such as 86 or +1',
  }),
});

export interface SyncCenterConfig {
  /** where PGlite, the Temporal dev server's state and generated secrets live */
  dataDir: string;
  /** the only place file sources (CSV) are read from: SYNC_CENTER_IMPORT_DIR, default <data dir>/imports */
  importDir: string;
  database: { url?: string; pgliteDir: string };
  temporal: {
    /** set: use that cluster; unset: spawn the dev server on 127.0.0.1:port */
    address?: string;
    namespace: string;
    taskQueue: string;
    port: number;
    uiPort: number;
  };
  /** rateLimits: SYNC_CENTER_RATE_LIMIT* (api/rate-limit.ts) */
  api: { host: string; port: number; rateLimits: RateLimitSettings };
  /** from the environment only; generated/persisted ones are resolved by data-dir-secrets.ts */
  adminToken?: string;
  secretKeyBase64?: string;
  /** SYNC_CENTER_SNAPSHOT_RETENTION_DAYS: finished runs' stored snapshots are deleted after this many days */
  snapshotRetentionDays: number;
  /** SYNC_CENTER_VENDOR_RATE_LIMITS: one vendor budget per tenant for every worker (in Postgres), or per process */
  vendorRateLimits: 'shared' | 'process';
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; values are never echoed back in errors (some are secrets). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SyncCenterConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SYNC_CENTER_DATA_DIR ?? path.join(projectRoot, '.data'));
  if (!e.TEMPORAL_ADDRESS && e.TEMPORAL_PORT === e.TEMPORAL_UI_PORT) {
    throw new ConfigError('invalid configuration:\n  TEMPORAL_UI_PORT: must differ from TEMPORAL_PORT');
  }
  let rateLimits: RateLimitSettings;
  try {
    rateLimits = rateLimitsFromEnv(env);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  ${(err as Error).message}`);
  }
  return {
    dataDir,
    importDir: path.resolve(e.SYNC_CENTER_IMPORT_DIR ?? path.join(dataDir, 'imports')),
    database: { url: e.DATABASE_URL, pgliteDir: path.join(dataDir, 'pglite') },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      port: e.TEMPORAL_PORT,
      uiPort: e.TEMPORAL_UI_PORT,
    },
    api: { host: e.HOST, port: e.PORT, rateLimits },
    adminToken: e.SYNC_CENTER_ADMIN_TOKEN,
    secretKeyBase64: e.SYNC_CENTER_SECRET_KEY,
    snapshotRetentionDays: e.SYNC_CENTER_SNAPSHOT_RETENTION_DAYS,
    vendorRateLimits: e.SYNC_CENTER_VENDOR_RATE_LIMITS,
  };
}

/**
 * Connectors read the import directory from the environment (connectors/csv/import-dir.ts), in the
 * worker that reads files and the API that checks paths on save: give them the one this config resolved.
 */
export function exportImportDir(config: SyncCenterConfig, env: NodeJS.ProcessEnv = process.env): void {
  fs.mkdirSync(config.importDir, { recursive: true });
  env.SYNC_CENTER_IMPORT_DIR = config.importDir;
}

/** The address the worker and API use: the configured cluster, or the dev server we spawn. */
export function temporalAddress(config: SyncCenterConfig): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
}
