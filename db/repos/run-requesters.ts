// Who asked for the run each staged item belongs to, and whether its task wants a second approver:
// what separation of duties needs to know about a decision (api/second-approver.ts).
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../client';
import { pendingDeletions, syncRuns, syncTasks } from '../schema';

export interface ItemRequesters {
  id: string;
  /** the run's requesters; null when unknown (no run row, or a run from before they were recorded) */
  requestedBy: string[] | null;
  /** true too when the task row is gone: its rule cannot be read, so the strict one applies */
  requireSecondApprover: boolean;
}

/** One entry per staged item found; left joins, so a missing run or task never hides an item from the check. */
export async function requestersOfPendingDeletions(db: Db, ids: readonly string[]): Promise<ItemRequesters[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ id: pendingDeletions.id, requestedBy: syncRuns.requestedBy, config: syncTasks.config })
    .from(pendingDeletions)
    .leftJoin(syncRuns, eq(syncRuns.id, pendingDeletions.runId))
    // A deleted task's open items keep its rule (the row stays, soft-deleted).
    .leftJoin(syncTasks, eq(syncTasks.id, pendingDeletions.taskId))
    .where(inArray(pendingDeletions.id, [...ids]));
  return rows.map((row) => ({
    id: row.id,
    requestedBy: row.requestedBy && row.requestedBy.length > 0 ? row.requestedBy : null,
    requireSecondApprover: row.config === null || row.config.requireSecondApprover === true,
  }));
}
