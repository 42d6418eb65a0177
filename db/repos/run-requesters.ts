// Who asked for the run each staged item belongs to, and whether its task wants a second approver:
// what separation of duties needs to know about a decision (api/second-approver.ts).
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../client';
import { pendingDeletions, syncRuns, syncTasks } from '../schema';

export interface ItemRequesters {
  id: string;
  /** the run's requesters; empty for runs from before they were recorded */
  requestedBy: string[];
  requireSecondApprover: boolean;
}

export async function requestersOfPendingDeletions(db: Db, ids: readonly string[]): Promise<ItemRequesters[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ id: pendingDeletions.id, requestedBy: syncRuns.requestedBy, config: syncTasks.config })
    .from(pendingDeletions)
    .innerJoin(syncRuns, eq(syncRuns.id, pendingDeletions.runId))
    // A deleted task's open items keep its rule (the row stays, soft-deleted).
    .innerJoin(syncTasks, eq(syncTasks.id, pendingDeletions.taskId))
    .where(inArray(pendingDeletions.id, [...ids]));
  return rows.map((row) => ({ id: row.id, requestedBy: row.requestedBy ?? [], requireSecondApprover: row.config.requireSecondApprover === true }));
}
