// Write side of runs: the sync_runs row, stored snapshots, the stored plan (run_items) and each
// item's outcome. The API reads the same tables (see H10's read-side queries).
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { DirectorySnapshot, EntityKind } from '../../engine/model';
import type { Link } from '../../engine/plan-types';
import type { Db } from '../client';
import { runItems, runSnapshotChunks, syncRuns } from '../schema';
import { deleteTaskLinkByTarget, upsertTaskLinks } from './task-links';

export const RUN_ITEM_BATCH_SIZE = 200;
/** entities per stored snapshot chunk: keeps each jsonb value small */
export const SNAPSHOT_CHUNK_SIZE = 1000;

export type RunItemStatus = 'planned' | 'succeeded' | 'failed' | 'skipped' | 'staged';
export type SnapshotSide = 'source' | 'target';

export interface StartRunRow {
  runId: string;
  taskId: string;
  trigger: 'manual' | 'schedule' | 'realtime';
  dryRun: boolean;
  workflowId: string;
  changedIds?: string[];
}

/** Creates the run row (status running); a retried call leaves the existing row alone. */
export async function startRun(db: Db, input: StartRunRow): Promise<void> {
  await db
    .insert(syncRuns)
    .values({
      id: input.runId,
      taskId: input.taskId,
      trigger: input.trigger,
      dryRun: input.dryRun,
      workflowId: input.workflowId,
      status: 'running',
      phase: 'starting',
      // ids of a real-time trigger do not say their entity: both kinds are re-read
      changedIds: input.changedIds ? { departmentIds: input.changedIds, userIds: input.changedIds } : null,
    })
    .onConflictDoNothing();
}

export interface RunRow {
  id: string;
  taskId: string;
  dryRun: boolean;
  status: string;
  changedIds: { departmentIds: string[]; userIds: string[] } | null;
  mappingFailures: unknown[] | null;
}

export async function getRun(db: Db, runId: string): Promise<RunRow | undefined> {
  const [row] = await db
    .select({
      id: syncRuns.id,
      taskId: syncRuns.taskId,
      dryRun: syncRuns.dryRun,
      status: syncRuns.status,
      changedIds: syncRuns.changedIds,
      mappingFailures: syncRuns.mappingFailures,
    })
    .from(syncRuns)
    .where(eq(syncRuns.id, runId));
  return row;
}

export async function setRunPhase(db: Db, runId: string, phase: string): Promise<void> {
  await db.update(syncRuns).set({ phase }).where(eq(syncRuns.id, runId));
}

/** Replaces one side's stored snapshot (a retried snapshot step rewrites it whole). */
export async function storeSnapshot(db: Db, runId: string, side: SnapshotSide, snapshot: DirectorySnapshot): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(runSnapshotChunks).where(and(eq(runSnapshotChunks.runId, runId), eq(runSnapshotChunks.side, side)));
    const chunks: { departments: unknown[]; users: unknown[] }[] = [];
    for (let i = 0; i < snapshot.departments.length; i += SNAPSHOT_CHUNK_SIZE) chunks.push({ departments: snapshot.departments.slice(i, i + SNAPSHOT_CHUNK_SIZE), users: [] });
    for (let i = 0; i < snapshot.users.length; i += SNAPSHOT_CHUNK_SIZE) chunks.push({ departments: [], users: snapshot.users.slice(i, i + SNAPSHOT_CHUNK_SIZE) });
    if (chunks.length === 0) chunks.push({ departments: [], users: [] });
    for (let seq = 0; seq < chunks.length; seq++) await tx.insert(runSnapshotChunks).values({ runId, side, seq, ...chunks[seq] });
  });
}

export async function loadSnapshot(db: Db, runId: string, side: SnapshotSide): Promise<DirectorySnapshot> {
  const rows = await db
    .select({ departments: runSnapshotChunks.departments, users: runSnapshotChunks.users })
    .from(runSnapshotChunks)
    .where(and(eq(runSnapshotChunks.runId, runId), eq(runSnapshotChunks.side, side)))
    .orderBy(asc(runSnapshotChunks.seq));
  if (rows.length === 0) throw new Error(`run ${runId} has no stored ${side} snapshot`);
  return {
    departments: rows.flatMap((r) => r.departments) as DirectorySnapshot['departments'],
    users: rows.flatMap((r) => r.users) as DirectorySnapshot['users'],
  };
}

export async function storeMappingFailures(db: Db, runId: string, failures: unknown[]): Promise<void> {
  await db.update(syncRuns).set({ mappingFailures: failures }).where(eq(syncRuns.id, runId));
}

export interface NewRunItem {
  key: string;
  action: string;
  entity: EntityKind;
  sourceId: string | null;
  targetId: string | null;
  displayName: string | null;
  status: RunItemStatus;
  payload: Record<string, unknown>;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
}

/**
 * Stores the plan in order with batch numbers, together with the links it adopted. A retried plan
 * step finds the plan stored and changes nothing (the run's plan is decided once). Returns the
 * number of batches applyBatch is called for.
 */
export async function storePlan(
  db: Db,
  input: { runId: string; taskId: string; items: readonly NewRunItem[]; executable: number; newLinks: readonly Link[] },
): Promise<{ batches: number; alreadyStored: boolean }> {
  const batches = Math.ceil(input.executable / RUN_ITEM_BATCH_SIZE);
  return db.transaction(async (tx) => {
    const [{ stored }] = await tx.select({ stored: sql<number>`count(*)::int` }).from(runItems).where(eq(runItems.runId, input.runId));
    if (stored > 0) return { batches, alreadyStored: true };
    await upsertTaskLinks(tx, input.taskId, input.newLinks);
    const rows = input.items.map((item, seq) => ({
      runId: input.runId,
      seq,
      batch: Math.floor(seq / RUN_ITEM_BATCH_SIZE),
      key: item.key,
      action: item.action,
      entity: item.entity,
      sourceId: item.sourceId,
      targetId: item.targetId,
      displayName: item.displayName,
      status: item.status,
      payload: item.payload,
      before: item.before ?? null,
      after: item.after ?? null,
      reason: item.reason ?? null,
      finishedAt: item.status === 'planned' || item.status === 'staged' ? null : new Date(),
    }));
    for (let i = 0; i < rows.length; i += 500) await tx.insert(runItems).values(rows.slice(i, i + 500));
    await tx.update(syncRuns).set({ phase: 'planned' }).where(eq(syncRuns.id, input.runId));
    return { batches, alreadyStored: false };
  });
}

export interface StoredRunItem {
  id: number;
  seq: number;
  key: string;
  action: string;
  entity: EntityKind;
  sourceId: string | null;
  targetId: string | null;
  displayName: string | null;
  status: RunItemStatus;
  payload: Record<string, unknown>;
  reason: string | null;
  attemptedAt: Date | null;
}

const itemColumns = {
  id: runItems.id,
  seq: runItems.seq,
  key: runItems.key,
  action: runItems.action,
  entity: runItems.entity,
  sourceId: runItems.sourceId,
  targetId: runItems.targetId,
  displayName: runItems.displayName,
  status: runItems.status,
  payload: runItems.payload,
  reason: runItems.reason,
  attemptedAt: runItems.attemptedAt,
};

export async function loadBatchItems(db: Db, runId: string, batch: number): Promise<StoredRunItem[]> {
  return db.select(itemColumns).from(runItems).where(and(eq(runItems.runId, runId), eq(runItems.batch, batch))).orderBy(asc(runItems.seq));
}

export async function loadItemsByStatus(db: Db, runId: string, status: RunItemStatus): Promise<StoredRunItem[]> {
  return db.select(itemColumns).from(runItems).where(and(eq(runItems.runId, runId), eq(runItems.status, status))).orderBy(asc(runItems.seq));
}

export async function getRunItem(db: Db, itemId: number): Promise<StoredRunItem | undefined> {
  const [row] = await db.select(itemColumns).from(runItems).where(eq(runItems.id, itemId));
  return row;
}

/** Marks an item as sent before the vendor call, so a crash leaves a trace the retry can check. */
export async function markItemAttempted(db: Db, itemId: number): Promise<void> {
  await db.update(runItems).set({ attemptedAt: new Date() }).where(and(eq(runItems.id, itemId), isNull(runItems.attemptedAt)));
}

export interface ItemOutcome {
  status: Exclude<RunItemStatus, 'planned' | 'staged'>;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  errorCode?: string | null;
  errorMessage?: string | null;
  reason?: string | null;
}

/**
 * Records one item's outcome; a create's link is written in the same transaction, so a crash
 * leaves either both (the retry skips the item) or neither (the retry checks the target first).
 * Only a still-planned item is updated: an outcome is recorded once.
 */
export async function recordItemOutcome(
  db: Db,
  input: { itemId: number; taskId: string; outcome: ItemOutcome; link?: Link; forgetLinkOf?: { entity: EntityKind; targetId: string } },
): Promise<void> {
  await db.transaction(async (tx) => {
    const { outcome } = input;
    const updated = await tx
      .update(runItems)
      .set({
        status: outcome.status,
        ...(outcome.targetId !== undefined ? { targetId: outcome.targetId } : {}),
        ...(outcome.before !== undefined ? { before: outcome.before } : {}),
        ...(outcome.after !== undefined ? { after: outcome.after } : {}),
        errorCode: outcome.errorCode ?? null,
        errorMessage: outcome.errorMessage ?? null,
        ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
        finishedAt: new Date(),
      })
      .where(and(eq(runItems.id, input.itemId), eq(runItems.status, 'planned')))
      .returning({ id: runItems.id });
    if (updated.length === 0) return;
    if (input.link) await upsertTaskLinks(tx, input.taskId, [input.link]);
    if (input.forgetLinkOf) await deleteTaskLinkByTarget(tx, input.taskId, input.forgetLinkOf.entity, input.forgetLinkOf.targetId);
  });
}

/** Item counts per action, entity and status: the raw material of a run's counters and status. */
export async function itemStatusCounts(db: Db, runId: string): Promise<{ action: string; entity: EntityKind; status: RunItemStatus; count: number }[]> {
  return db
    .select({ action: runItems.action, entity: runItems.entity, status: runItems.status, count: sql<number>`count(*)::int` })
    .from(runItems)
    .where(eq(runItems.runId, runId))
    .groupBy(runItems.action, runItems.entity, runItems.status);
}

export type RunCounters = Record<string, number>;

/** Stores the final status, counters and error; a run already finished keeps its first outcome. */
export async function finishRun(
  db: Db,
  input: { runId: string; status: 'succeeded' | 'partially_failed' | 'failed' | 'canceled'; counters: RunCounters; error?: string | null },
): Promise<string> {
  const [row] = await db
    .update(syncRuns)
    .set({ status: input.status, counters: input.counters, error: input.error ?? null, phase: 'done', finishedAt: new Date() })
    .where(and(eq(syncRuns.id, input.runId), inArray(syncRuns.status, ['pending', 'running'])))
    .returning({ status: syncRuns.status });
  if (row) return row.status;
  const [existing] = await db.select({ status: syncRuns.status }).from(syncRuns).where(eq(syncRuns.id, input.runId));
  if (!existing) throw new Error(`run ${input.runId} does not exist`);
  return existing.status;
}
