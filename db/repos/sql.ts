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
export async function lockHubWritesShared(tx: Db, { lockTimeoutMs, also }: { lockTimeoutMs: number; also?: SQL }): Promise<void> {
  const locks = also ? sql`pg_advisory_xact_lock_shared(${hubWriteLockKey}), ${also}` : sql`pg_advisory_xact_lock_shared(${hubWriteLockKey})`;
  await tx.execute(sql`with locked as materialized (select ${locks}) select set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true) from locked`);
}

// A task's write lock (advisory, two-key form: apart from the hub lock's one-key space). A SCIM
// push's writes take it shared before their guard; a disable, a PATCH or delete of the task, or a
// delete of its token takes it exclusively first. A waiting exclusive request queues every later
// shared one behind it, which the guard's row locks alone do not do: a new FOR SHARE overtakes a
// waiting UPDATE, so with groups side by side a disable waited up to 1.3 s while 1,600 more writes
// landed (review).
const taskWriteLockClass = 0x5c4b02;

/** The shared task write lock, as an expression for a lock statement (`lockHubWritesShared`'s `also`). */
export function taskWriteLockShared(taskId: string): SQL {
  return sql`pg_advisory_xact_lock_shared(${sql.raw(String(taskWriteLockClass))}, hashtext(${taskId}))`;
}

/** The exclusive task write lock: the writes past their guard commit first, later ones wait and then see the change. */
export async function lockTaskWrites(tx: Db, taskId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${sql.raw(String(taskWriteLockClass))}, hashtext(${taskId}))`);
}
