// Write side of pending_deletions: deletes (and disables held by the mass-offboarding guard) staged
// by a run, and the approver's decisions on them. Decisions are final, and SQL enforces it:
// every status change names the statuses it may leave, so a CANCELED row never moves again.
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { EntityKind } from '../../engine/model';
import type { Db } from '../client';
import { pendingDeletions } from '../schema';
import { recordAudit } from './audit-log';
import { selectRows } from './sql';

import { openPendingDeletionStatuses, type PendingDeletionStatus } from '../../engine/statuses';
export type { PendingDeletionStatus };

export interface StageRunResult {
  /** rows of this run (new now, or from an earlier attempt of the same run) */
  staged: number;
  /** staged items whose target already waits in an open row of an earlier run: that row is kept, not duplicated */
  kept: number;
  /** open rows of earlier runs this run's plan no longer wants, now SUPERSEDED */
  superseded: number;
}

/**
 * Re-validates the task's open items against this run's plan and stages its held items, set-based
 * in one transaction (100k items in seconds, nothing travels back but counts):
 * - a PENDING row of an earlier run that this plan does not stage again is SUPERSEDED, audited
 *   (a real-time run judges only the rows of the ids it re-read);
 * - a staged item whose target already has an open row keeps that row (the open-row index);
 * - a retried or overlapping attempt adds nothing (one row per run item, and a per-task lock).
 */
export async function stageRunDeletions(db: Db, input: { taskId: string; runId: string; expiresAt?: Date | null }): Promise<StageRunResult> {
  const { taskId, runId } = input;
  const expiresAt = input.expiresAt ? input.expiresAt.toISOString() : null;
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('pending_deletions:' || ${taskId}))`);
    const [superseded] = await selectRows<{ n: number }>(
      tx,
      sql`with run as (select changed_ids from sync_runs where id = ${runId}),
        gone as (
          update pending_deletions pd
          set status = 'SUPERSEDED', superseded_by = ${runId}, decided_by = ${`sync:${taskId}`}, decided_at = now()
          where pd.task_id = ${taskId} and pd.status = 'PENDING' and pd.run_id <> ${runId}
            and not exists (
              select 1 from run_items ri
              where ri.run_id = ${runId} and ri.status = 'staged'
                and ri.entity = pd.entity and ri.target_id = pd.target_id and ri.action = pd.action)
            and (
              (select changed_ids from run) is null
              or (pd.entity = 'user' and (select changed_ids from run) -> 'userIds' ? pd.source_id)
              or (pd.entity = 'department' and (select changed_ids from run) -> 'departmentIds' ? pd.source_id))
          returning pd.id, pd.run_id, pd.action, pd.entity, pd.target_id, pd.display_name),
        audited as (
          insert into audit_log (actor, action, entity_type, entity_id, before, after)
          select ${`sync:${taskId}`}, 'pending_deletion.supersede', 'pending_deletion', id,
            jsonb_build_object('status', 'PENDING', 'runId', run_id),
            jsonb_build_object('status', 'SUPERSEDED', 'supersededBy', ${runId}::text, 'action', action, 'entity', entity, 'targetId', target_id, 'displayName', display_name,
              'reason', 'the latest plan no longer wants it')
          from gone returning 1)
        select count(*)::int as n from audited`,
    );
    await tx.execute(sql`
      insert into pending_deletions (id, task_id, run_id, run_item_id, action, entity, source_id, target_id, display_name, reason, status, expires_at)
      select gen_random_uuid()::text, ${taskId}, ${runId}, ri.id, ri.action, ri.entity, ri.source_id, ri.target_id, ri.display_name,
        coalesce(ri.reason, 'held for approval'), 'PENDING', ${expiresAt}::timestamptz
      from run_items ri
      where ri.run_id = ${runId} and ri.status = 'staged' and ri.target_id is not null
      order by ri.seq
      on conflict do nothing`);
    const [counts] = await selectRows<{ staged: number; wanted: number }>(
      tx,
      sql`select
        (select count(*)::int from pending_deletions where run_id = ${runId}) as staged,
        (select count(*)::int from run_items where run_id = ${runId} and status = 'staged' and target_id is not null) as wanted`,
    );
    return { staged: counts.staged, kept: Math.max(0, counts.wanted - counts.staged), superseded: superseded?.n ?? 0 };
  });
}

export interface StagedItem {
  runItemId: number;
  action: string;
  entity: EntityKind;
  sourceId: string | null;
  targetId: string;
  displayName: string | null;
  reason: string;
}

/**
 * Stages the run's items in the order given; a target already waiting for a decision (from an
 * earlier run) is not staged twice. Idempotent on runId: a retry returns the same ids.
 * Returns this run's pending deletion ids in the given order.
 */
export async function stagePendingDeletions(db: Db, input: { taskId: string; runId: string; items: readonly StagedItem[] }): Promise<string[]> {
  return db.transaction(async (tx) => {
    const existing = await tx
      .select({ id: pendingDeletions.id, runItemId: pendingDeletions.runItemId })
      .from(pendingDeletions)
      .where(eq(pendingDeletions.runId, input.runId));
    const byItem = new Map(existing.map((row) => [row.runItemId, row.id]));
    const ids: string[] = [];
    for (const item of input.items) {
      const known = byItem.get(item.runItemId);
      if (known) {
        ids.push(known);
        continue;
      }
      // The partial unique index on open rows turns "already staged elsewhere" into no row.
      const [row] = await tx
        .insert(pendingDeletions)
        .values({ id: randomUUID(), taskId: input.taskId, runId: input.runId, status: 'PENDING', ...item })
        .onConflictDoNothing()
        .returning({ id: pendingDeletions.id });
      if (row) ids.push(row.id);
    }
    return ids;
  });
}

export interface PendingDeletionRow {
  id: string;
  taskId: string;
  runId: string;
  runItemId: number;
  action: string;
  entity: EntityKind;
  sourceId: string | null;
  targetId: string;
  displayName: string | null;
  status: PendingDeletionStatus;
}

const pendingDeletionColumns = {
  id: pendingDeletions.id,
  taskId: pendingDeletions.taskId,
  runId: pendingDeletions.runId,
  runItemId: pendingDeletions.runItemId,
  action: pendingDeletions.action,
  entity: pendingDeletions.entity,
  sourceId: pendingDeletions.sourceId,
  targetId: pendingDeletions.targetId,
  displayName: pendingDeletions.displayName,
  status: pendingDeletions.status,
};

export async function getPendingDeletion(db: Db, id: string): Promise<PendingDeletionRow | undefined> {
  const [row] = await db
    .select(pendingDeletionColumns)
    .from(pendingDeletions)
    .where(eq(pendingDeletions.id, id));
  return row;
}

export async function listPendingDeletionsOfRun(db: Db, runId: string): Promise<PendingDeletionRow[]> {
  return db
    .select(pendingDeletionColumns)
    .from(pendingDeletions)
    .where(eq(pendingDeletions.runId, runId))
    .orderBy(asc(pendingDeletions.runItemId));
}

/** Which statuses each decision may leave: a final status (SUCCEEDED, FAILED, CANCELED) is never left. */
const allowedFrom: Record<'EXECUTING' | 'CANCELED' | 'FAILED', PendingDeletionStatus[]> = {
  EXECUTING: ['PENDING'],
  CANCELED: ['PENDING'],
  FAILED: ['PENDING', 'EXECUTING'],
};

/** Records a decision; rows not in an allowed status are left alone. Returns the ids that changed. */
export async function markPendingDeletions(
  db: Db,
  input: { ids: readonly string[]; status: 'EXECUTING' | 'CANCELED' | 'FAILED'; actor: string; error?: string },
): Promise<string[]> {
  if (input.ids.length === 0) return [];
  const rows = await db
    .update(pendingDeletions)
    .set({
      status: input.status,
      decidedBy: input.actor,
      decidedAt: new Date(),
      ...(input.status === 'FAILED' ? { errorCode: 'execution_failed', errorMessage: input.error ?? 'execution failed' } : {}),
    })
    .where(and(inArray(pendingDeletions.id, [...input.ids]), inArray(pendingDeletions.status, allowedFrom[input.status])))
    .returning({ id: pendingDeletions.id });
  return rows.map((r) => r.id);
}

/**
 * Records the outcome of an executed deletion with its audit row (the approver as actor), in one
 * transaction. Only an EXECUTING (or, for a direct call, PENDING) row gets an outcome.
 */
export async function recordPendingDeletionOutcome(
  db: Db,
  input: { id: string; status: 'SUCCEEDED' | 'FAILED'; actor: string; errorCode?: string; errorMessage?: string; detail?: Record<string, unknown> },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(pendingDeletions)
      // The approver stays the one who decided: the outcome never overwrites decided_by.
      .set({ status: input.status, errorCode: input.errorCode ?? null, errorMessage: input.errorMessage ?? null, decidedBy: sql`coalesce(${pendingDeletions.decidedBy}, ${input.actor})`, decidedAt: new Date() })
      .where(and(eq(pendingDeletions.id, input.id), inArray(pendingDeletions.status, [...openPendingDeletionStatuses])))
      .returning({ id: pendingDeletions.id, action: pendingDeletions.action, entity: pendingDeletions.entity, targetId: pendingDeletions.targetId });
    if (!row) return false;
    await recordAudit(tx, {
      actor: input.actor,
      action: `pending_deletion.${input.status === 'SUCCEEDED' ? 'execute' : 'fail'}`,
      entityType: 'pending_deletion',
      entityId: input.id,
      before: { status: 'EXECUTING' },
      after: { status: input.status, action: row.action, entity: row.entity, targetId: row.targetId, ...input.detail, ...(input.errorMessage ? { error: input.errorMessage } : {}) },
    });
    return true;
  });
}
