// Runs a suite against both databases: PGlite in memory and the Postgres server
// (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres). Each Postgres suite
// gets a database of its own, dropped afterwards, so suites never see each other's rows.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type Database } from '../../db/client';

export const postgresAdminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: 'pglite' | 'postgres';
  open(): Promise<Database>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh, migrated database. Call close() on what it returns; for Postgres that also drops it. */
export async function openTestDatabase(kind: 'pglite' | 'postgres'): Promise<Database> {
  return kind === 'pglite' ? openDatabase({}) : openTestPostgres();
}

/** A fresh, migrated database on the Postgres server, with its URL for other processes; close() drops it. */
export async function openTestPostgres(options: { onQuery?: (text: string) => void } = {}): Promise<Database & { url: string }> {
  const name = `sc_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(postgresAdminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(postgresAdminUrl, name);
  const database = await openDatabase({ url, onQuery: options.onQuery });
  return {
    ...database,
    url,
    async close() {
      await database.close();
      const dropper = postgres(postgresAdminUrl, { max: 1, onnotice: () => undefined });
      try {
        await dropper.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

export const testDatabases: TestDatabase[] = [
  { name: 'pglite', open: () => openTestDatabase('pglite') },
  { name: 'postgres', open: () => openTestDatabase('postgres') },
];

/** describe.each over both databases, with a migrated database per suite in `ctx.database`. */
export function describeOnBothDatabases(title: string, body: (ctx: { readonly database: Database }) => void): void {
  describe.each(testDatabases)(`${title} [$name]`, (testDb) => {
    const ctx = {} as { database: Database };
    beforeAll(async () => {
      ctx.database = await testDb.open();
    });
    afterAll(async () => {
      await ctx.database?.close();
    });
    body(ctx);
  });
}
