// What ties a task to the tenant it points at: its links and its open staged deletions (ids of that
// tenant), and runs in flight that may still write them. Re-pointing the task either refuses while any
// exist or, asked to, cancels the open items and drops the links in the caller's transaction. FAILED
// items count as open: an approver may execute them again, which would then hit the new tenant. An
// item being executed is never cancelled under its activity: it read the row and loads the task's
// connector afterwards, which would then be the new tenant's (so the re-point waits for it).
import { and, count, eq, inArray } from 'drizzle-orm';
import { activeRunStatuses, openPendingDeletionStatuses, type PendingDeletionStatus } from '../../engine/statuses';
import type { Db } from '../client';
import { auditLog, pendingDeletions, syncRuns, taskLinks } from '../schema';
import { recordAudit } from './audit-log';
import { ConflictError } from './errors';

/** open for a re-point: what someone may still act on, and FAILED items an approver may execute again */
const openStatuses = [...openPendingDeletionStatuses, 'FAILED'] as const satisfies readonly PendingDeletionStatus[];
/** the open statuses a reset cancels (EXECUTING refuses the reset instead) */
const cancelableStatuses = ['PENDING', 'FAILED'] as const satisfies readonly PendingDeletionStatus[];
/** audit rows per insert: keeps the parameter list well under Postgres' 65,535 */
const AUDIT_CHUNK = 1000;

export interface TaskTies {
  links: number;
  openPendingDeletions: number;
  /** of the open ones, those an activity is executing right now */
  executingPendingDeletions: number;
  runsInFlight: number;
}

export interface RepointingOutcome extends TaskTies {
  /** runs whose items the reset cancelled: their approval workflows should recount */
  canceledRunIds: string[];
}

/**
 * Counts inside the caller's transaction. The open items are counted FOR UPDATE: a decision marking
 * one EXECUTING has either committed (and is counted as executing) or waits for this transaction
 * (and then finds the item CANCELED), never slipping in between the count and the reset.
 */
export async function taskTies(tx: Db, taskId: string): Promise<TaskTies> {
  // One after the other: a transaction runs on one connection.
  const [links] = await tx.select({ n: count() }).from(taskLinks).where(eq(taskLinks.taskId, taskId));
  const locked = tx
    .select({ status: pendingDeletions.status })
    .from(pendingDeletions)
    .where(and(eq(pendingDeletions.taskId, taskId), inArray(pendingDeletions.status, [...openStatuses])))
    .for('update')
    .as('locked');
  const open = await tx.select({ status: locked.status, n: count() }).from(locked).groupBy(locked.status);
  const [inFlight] = await tx
    .select({ n: count() })
    .from(syncRuns)
    .where(and(eq(syncRuns.taskId, taskId), inArray(syncRuns.status, [...activeRunStatuses])));
  const executing = Number(open.find((row) => row.status === 'EXECUTING')?.n ?? 0);
  const openCount = open.reduce((sum, row) => sum + Number(row.n), 0);
  return { links: Number(links.n), openPendingDeletions: openCount, executingPendingDeletions: executing, runsInFlight: Number(inFlight.n) };
}

/**
 * Lets a re-pointed task start clean: refuses (ConflictError) while it has links or open items unless
 * `reset`, and always while a run is in flight (it would write links of the old tenant afterwards) or
 * an item is EXECUTING (see above). With `reset`: PENDING and FAILED items become CANCELED (decided by
 * `actor`, one audit row each, reason 're-pointed') and the links go, with one summarising audit row.
 * Call it inside the task's update.
 */
export async function clearTiesForRepointing(tx: Db, input: { taskId: string; actor: string; reset: boolean; repointed: readonly string[] }): Promise<RepointingOutcome> {
  const ties = await taskTies(tx, input.taskId);
  const what = input.repointed.join(', ');
  if (ties.runsInFlight > 0) {
    throw new ConflictError(`${what} re-points the task while a run is in flight; wait for it to finish (or cancel it), then repeat the request`, input.repointed[0]);
  }
  if (ties.links === 0 && ties.openPendingDeletions === 0) return { ...ties, canceledRunIds: [] };
  if (!input.reset) {
    throw new ConflictError(
      `${what} re-points the task to another tenant, but it still has ${ties.links} links and ${ties.openPendingDeletions} open pending deletions of the old one; ` +
        'send "resetLinks": true to cancel those items and drop the links',
      input.repointed[0],
    );
  }
  if (ties.executingPendingDeletions > 0) {
    const n = ties.executingPendingDeletions;
    throw new ConflictError(
      `${what} re-points the task while ${n} pending deletion${n === 1 ? ' is' : 's are'} executing against the old tenant; wait for ${n === 1 ? 'it' : 'them'} to finish, then repeat the request`,
      input.repointed[0],
    );
  }
  let canceledCount = 0;
  const runs = new Set<string>();
  // One update per status, so each audit row can say what the item was before.
  for (const before of cancelableStatuses) {
    const canceled = await tx
      .update(pendingDeletions)
      .set({ status: 'CANCELED', decidedBy: input.actor, decidedAt: new Date() })
      .where(and(eq(pendingDeletions.taskId, input.taskId), eq(pendingDeletions.status, before)))
      .returning({ id: pendingDeletions.id, action: pendingDeletions.action, entity: pendingDeletions.entity, targetId: pendingDeletions.targetId, runId: pendingDeletions.runId });
    canceledCount += canceled.length;
    for (const item of canceled) runs.add(item.runId);
    for (let i = 0; i < canceled.length; i += AUDIT_CHUNK) {
      await tx.insert(auditLog).values(
        canceled.slice(i, i + AUDIT_CHUNK).map((item) => ({
          actor: input.actor,
          action: 'pending_deletion.cancel',
          entityType: 'pending_deletion',
          entityId: item.id,
          before: { status: before },
          after: { status: 'CANCELED', reason: 're-pointed', action: item.action, entity: item.entity, targetId: item.targetId, runId: item.runId },
        })),
      );
    }
  }
  await tx.delete(taskLinks).where(eq(taskLinks.taskId, input.taskId));
  await recordAudit(tx, {
    actor: input.actor,
    action: 'sync_task.links_reset',
    entityType: 'sync_task',
    entityId: input.taskId,
    before: { links: ties.links, openPendingDeletions: canceledCount },
    after: { links: 0, openPendingDeletions: 0, reason: 're-pointed', repointed: input.repointed },
  });
  return { ...ties, canceledRunIds: [...runs] };
}
