// Write side of pending_deletions: deletes (and disables held by the mass-offboarding guard) staged
// by a run, and the approver's decisions on them. Decisions are final, and SQL enforces it:
// every status change names the statuses it may leave, so a CANCELED row never moves again.
import { and, asc, eq, inArray } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { EntityKind } from '../../engine/model';
import type { Db } from '../client';
import { pendingDeletions } from '../schema';
import { recordAudit } from './audit-log';

import type { PendingDeletionStatus } from '../../engine/statuses';
export type { PendingDeletionStatus };

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
      .set({ status: input.status, errorCode: input.errorCode ?? null, errorMessage: input.errorMessage ?? null, decidedBy: input.actor, decidedAt: new Date() })
      .where(and(eq(pendingDeletions.id, input.id), inArray(pendingDeletions.status, ['PENDING', 'EXECUTING'])))
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
