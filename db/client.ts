// One factory for both databases: PGlite (embedded, real Postgres in WASM) by default,
// postgres.js when DATABASE_URL is set. Migrations are applied on open.
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { installQueryErrorScrubbing } from './query-errors';
import * as schema from './schema';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** a cheap round trip, for /healthz */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const migrationsFolder = path.join(__dirname, 'migrations');

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent PGlite is used */
  url?: string;
  /** PGlite data directory; when absent (and no url) PGlite runs in memory */
  dataDir?: string;
  /** default true */
  migrate?: boolean;
  /** Postgres server only: called with each statement's text as it is sent (benchmarks count round trips with it) */
  onQuery?: (text: string) => void;
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const database = options.url ? await openPostgres(options.url, options.onQuery) : await openPglite(options.dataDir);
  if (options.migrate !== false) await database.migrate();
  return { db: database.db, kind: database.kind, close: database.close, ping: () => database.db.execute(sql`select 1`).then(() => undefined) };
}

async function openPostgres(url: string, onQuery?: (text: string) => void) {
  const { default: postgres } = await import('postgres');
  const { drizzle, PostgresJsPreparedQuery } = await import('drizzle-orm/postgres-js');
  const { migrate } = await import('drizzle-orm/postgres-js/migrator');
  // Failed queries never carry their parameter values (PII) into logs, API answers or Temporal.
  installQueryErrorScrubbing(PostgresJsPreparedQuery);
  const client = postgres(url, { max: 10, onnotice: () => undefined, ...(onQuery ? { debug: (_connection: number, text: string) => onQuery(text) } : {}) });
  const db = drizzle(client, { schema });
  return {
    kind: 'postgres' as const,
    db: db as unknown as Db,
    migrate: () => migrate(db, { migrationsFolder }),
    close: () => client.end({ timeout: 5 }),
  };
}

async function openPglite(dataDir?: string) {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle, PglitePreparedQuery } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  installQueryErrorScrubbing(PglitePreparedQuery);
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  const db = drizzle(client, { schema });
  return {
    kind: 'pglite' as const,
    db: db as unknown as Db,
    migrate: () => migrate(db, { migrationsFolder }),
    close: () => client.close(),
  };
}
