// Which upstream task a hub person belongs to, and how many active accounts a task manages.
// A person belongs to the upstream task that created or adopted them; only that task offboards
// them. People created through the API belong to no source and no upstream run offboards them.
import { and, count, eq, inArray, isNull, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { hubUsers, taskLinks } from '../schema';

/** ids per statement: keeps parameter lists well under Postgres' 65,535 */
const CHUNK = 1000;

/** The hub people an upstream task owns. */
export async function ownedHubUserIds(db: Db, taskId: string): Promise<Set<string>> {
  const rows = await db.select({ id: hubUsers.id }).from(hubUsers).where(eq(hubUsers.sourceTaskId, taskId));
  return new Set(rows.map((r) => r.id));
}

/** An upstream task adopts the people it linked by its match rules, unless they already belong to a source. */
export async function adoptHubUsers(db: Db, taskId: string, hubUserIds: readonly string[]): Promise<void> {
  const ids = [...new Set(hubUserIds)];
  for (let i = 0; i < ids.length; i += CHUNK) {
    await db
      .update(hubUsers)
      .set({ sourceTaskId: taskId })
      .where(and(inArray(hubUsers.id, ids.slice(i, i + CHUNK)), isNull(hubUsers.sourceTaskId)));
  }
}

/**
 * The task's linked accounts whose hub person is active, leaving out `excludingTargetIds` (the
 * accounts the run takes out, which the caller counts itself). A real-time run reads only what
 * changed, so this is its measure of the accounts the task manages. For a downstream task the
 * hub person stands for the account (the task keeps them in step); upstream the account is the hub row.
 */
export async function countActiveLinkedAccounts(
  db: Db,
  task: { id: string; direction: 'upstream' | 'downstream' },
  excludingTargetIds: readonly string[],
): Promise<number> {
  const hubSide = task.direction === 'downstream' ? taskLinks.sourceId : taskLinks.targetId;
  const excluded = [...new Set(excludingTargetIds)];
  const [row] = await db
    .select({ n: count() })
    .from(taskLinks)
    .innerJoin(hubUsers, eq(hubUsers.id, hubSide))
    .where(
      and(
        eq(taskLinks.taskId, task.id),
        eq(taskLinks.entity, 'user'),
        eq(hubUsers.status, 'active'),
        excluded.length > 0 ? notInArray(taskLinks.targetId, excluded) : sql`true`,
      ),
    );
  return Number(row?.n ?? 0);
}
