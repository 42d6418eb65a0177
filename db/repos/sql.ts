// Small SQL helpers shared by the repositories.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';

/** Rows of a raw `execute`: postgres.js returns an array, PGlite an object with `rows`. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

export async function selectRows<T>(db: Db, query: SQL): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}

/** A jsonb array literal for containment tests such as `department_ids @> '["d1"]'`. */
export function jsonbArray(values: string[]): SQL {
  return sql`${JSON.stringify(values)}::jsonb`;
}

/** `%q%` for ILIKE with the user's own `%`, `_` and `\` taken literally. */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// Hub writes take one transaction-scoped advisory lock, so cycle, sibling-name and reference checks
// can never race each other. Writes that only add or change one person without touching what others
// check (a create, a field update, an offboarding) take it shared and run side by side: unique
// indexes decide their races. Department writes, deletes and manager changes take it exclusively.
export const hubWriteLockKey = 0x5c_4b_01;

export type HubLockMode = 'shared' | 'exclusive';

export async function lockHubWrites(tx: Db, mode: HubLockMode = 'exclusive'): Promise<void> {
  await tx.execute(mode === 'shared' ? sql`select pg_advisory_xact_lock_shared(${hubWriteLockKey})` : sql`select pg_advisory_xact_lock(${hubWriteLockKey})`);
}

/**
 * The shared hub lock, then `lock_timeout` for the rest of the transaction, in one round trip (a group
 * commit's first statement, hub-writer.ts): the materialized CTE takes the lock before set_config runs,
 * so the hub lock itself waits as long as any write's does.
 */
export async function lockHubWritesShared(tx: Db, { lockTimeoutMs }: { lockTimeoutMs: number }): Promise<void> {
  await tx.execute(sql`with locked as materialized (select pg_advisory_xact_lock_shared(${hubWriteLockKey})) select set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true) from locked`);
}
