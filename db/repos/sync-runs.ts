// Write side of runs: the sync_runs row, stored snapshots, the stored plan (run_items) and each
// item's outcome. The API reads the same tables (see H10's read-side queries).
import { and, asc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { DirectorySnapshot, EntityKind } from '../../engine/model';
import type { Link } from '../../engine/plan-types';
import type { FailedItemClassCount, RunFailureClass } from '../../engine/failure-class';
import type { Db } from '../client';
import type { RunRow } from './run-queries';
import { runItems, runSnapshotChunks, syncRuns, syncTasks, type RunRead } from '../schema';
import { assertApplyLease, type ApplyLease } from './apply-leases';
import { rowsOf } from './sql';
import { deleteTaskLinkByTarget, upsertTaskLinks } from './task-links';

export const RUN_ITEM_BATCH_SIZE = 200;
/** entities per stored snapshot chunk: keeps each jsonb value small */
export const SNAPSHOT_CHUNK_SIZE = 1000;

export type { ItemStatus as RunItemStatus } from '../../engine/statuses';
import { activeRunStatuses, type FinishedRunStatus, type ItemStatus as RunItemStatus } from '../../engine/statuses';
export type SnapshotSide = 'source' | 'target';

export interface StartRunRow {
  runId: string;
  taskId: string;
  trigger: 'manual' | 'schedule' | 'realtime';
  dryRun: boolean;
  workflowId: string;
  changedIds?: string[];
  /** who asked for the run (see sync_runs.requested_by) */
  requestedBy?: string[];
}

/**
 * Creates the run row (status running); a retried call leaves the existing row alone. It shares the
 * task row's lock: a PATCH re-pointing the task holds it FOR UPDATE while it checks for runs in
 * flight, so a run either shows up in that check or starts after the PATCH committed, never between.
 */
export async function startRun(db: Db, input: StartRunRow): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.select({ id: syncTasks.id }).from(syncTasks).where(eq(syncTasks.id, input.taskId)).for('share');
    await tx
      .insert(syncRuns)
      .values({
        id: input.runId,
        taskId: input.taskId,
        trigger: input.trigger,
        dryRun: input.dryRun,
        workflowId: input.workflowId,
        requestedBy: input.requestedBy ?? null,
        status: 'running',
        phase: 'starting',
        // ids of a real-time trigger do not say their entity: both kinds are re-read
        changedIds: input.changedIds ? { departmentIds: input.changedIds, userIds: input.changedIds } : null,
      })
      .onConflictDoNothing();
  });
}

/** What the run activities read of a run (RunRow is the whole row). */
export type RunHeader = Pick<RunRow, 'id' | 'taskId' | 'trigger' | 'dryRun' | 'status' | 'changedIds' | 'mappingFailures' | 'read' | 'startedAt'>;

export async function getRun(db: Db, runId: string): Promise<RunHeader | undefined> {
  const [row] = await db
    .select({
      id: syncRuns.id,
      taskId: syncRuns.taskId,
      trigger: syncRuns.trigger,
      dryRun: syncRuns.dryRun,
      status: syncRuns.status,
      changedIds: syncRuns.changedIds,
      mappingFailures: syncRuns.mappingFailures,
      read: syncRuns.read,
      startedAt: syncRuns.startedAt,
    })
    .from(syncRuns)
    .where(eq(syncRuns.id, runId));
  return row;
}

/**
 * Records how the snapshot step read the source. An incremental read also stores the ids it listed
 * as the run's changed ids, so the plan and the staging step treat the run as partial (as a real-time one).
 */
export async function setRunRead(db: Db, runId: string, read: RunRead, changedIds: string[] | { departmentIds: string[]; userIds: string[] } | null | undefined): Promise<void> {
  // null: a full read (after a retried attempt that read incrementally); undefined: the trigger's ids stay.
  // A plain list names each id as both a department and a person; a split one keeps them apart.
  const split = Array.isArray(changedIds) ? { departmentIds: changedIds, userIds: changedIds } : changedIds;
  const changed = changedIds === undefined ? {} : { changedIds: split ?? null };
  await db
    .update(syncRuns)
    .set({ read, ...changed })
    .where(eq(syncRuns.id, runId));
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
  input: {
    runId: string;
    taskId: string;
    items: Iterable<NewRunItem>;
    executable: number;
    newLinks: readonly Link[];
    /** called after each chunk is written: the plan step's chance to collect what that chunk left */
    afterChunk?: () => void;
  },
): Promise<{ batches: number; alreadyStored: boolean }> {
  const batches = Math.ceil(input.executable / RUN_ITEM_BATCH_SIZE);
  return db.transaction(async (tx) => {
    const [{ stored }] = await tx.select({ stored: sql<number>`count(*)::int` }).from(runItems).where(eq(runItems.runId, input.runId));
    if (stored > 0) return { batches, alreadyStored: true };
    await upsertTaskLinks(tx, input.taskId, input.newLinks);
    const finishedAt = new Date().toISOString();
    // Items are taken (a generator: computed) and rows built a chunk at a time: a 110k-item plan as
    // one array of items or rows is another copy of it in memory.
    const row = (item: NewRunItem, seq: number) => ({
      seq,
      batch: Math.floor(seq / RUN_ITEM_BATCH_SIZE),
      key: item.key,
      action: item.action,
      entity: item.entity,
      source_id: item.sourceId,
      target_id: item.targetId,
      display_name: item.displayName,
      status: item.status,
      payload: item.payload,
      // An action's before/after are its payload's own: sent once and taken from the payload in SQL (a third less JSON).
      ...(item.before !== undefined && item.before === item.payload.before && item.after === item.payload.after
        ? { from_payload: true }
        : { before: item.before ?? null, after: item.after ?? null }),
      reason: item.reason ?? null,
      finished_at: item.status === 'planned' || item.status === 'staged' ? null : finishedAt,
    });
    let chunk: ReturnType<typeof row>[] = [];
    let seq = 0;
    for (const item of input.items) {
      chunk.push(row(item, seq++));
      if (chunk.length === PLAN_CHUNK) {
        await insertPlanRows(tx, input.runId, chunk);
        chunk = [];
        input.afterChunk?.();
      }
    }
    if (chunk.length > 0) await insertPlanRows(tx, input.runId, chunk);
    await tx.update(syncRuns).set({ phase: 'planned' }).where(eq(syncRuns.id, input.runId));
    return { batches, alreadyStored: false };
  });
}

/** plan rows per insert: one JSON parameter each, so building the statement costs nothing per column */
const PLAN_CHUNK = 2000;

/** One insert from a JSON array: a 100k-item plan as thousands of bound parameters is seconds of query building. */
async function insertPlanRows(tx: Db, runId: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  await tx.execute(sql`
    insert into run_items (run_id, seq, batch, key, action, entity, source_id, target_id, display_name, status, payload, before, after, reason, finished_at)
    select ${runId}, x.seq, x.batch, x.key, x.action, x.entity, x.source_id, x.target_id, x.display_name, x.status,
           x.payload,
           case when x.from_payload then nullif(x.payload->'before', 'null'::jsonb) else nullif(x.before, 'null'::jsonb) end,
           case when x.from_payload then nullif(x.payload->'after', 'null'::jsonb) else nullif(x.after, 'null'::jsonb) end,
           x.reason, x.finished_at
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
      seq int, batch int, key text, action text, entity text, source_id text, target_id text, display_name text, status text,
      payload jsonb, before jsonb, after jsonb, from_payload boolean, reason text, finished_at timestamptz)`);
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

/** Per status and action: how many items and the last seq, without loading them (a plan of 100k items is large). */
export async function planItemCounts(db: Db, runId: string, statuses: readonly RunItemStatus[]): Promise<{ status: RunItemStatus; action: string; count: number; lastSeq: number }[]> {
  return db
    .select({ status: runItems.status, action: runItems.action, count: sql<number>`count(*)::int`, lastSeq: sql<number>`max(${runItems.seq})::int` })
    .from(runItems)
    .where(and(eq(runItems.runId, runId), inArray(runItems.status, [...statuses])))
    .groupBy(runItems.status, runItems.action);
}

export async function getRunItem(db: Db, itemId: number): Promise<StoredRunItem | undefined> {
  const [row] = await db.select(itemColumns).from(runItems).where(eq(runItems.id, itemId));
  return row;
}

/** Marks an item as sent before the vendor call, so a crash leaves a trace the retry can check. */
export async function markItemAttempted(db: Db, itemId: number): Promise<void> {
  await markItemsAttempted(db, [itemId]);
}

/** Marks several items about to be sent in one statement; marking one that is then not sent only costs the retry a look-up. */
export async function markItemsAttempted(db: Db, itemIds: readonly number[], lease?: ApplyLease): Promise<void> {
  if (itemIds.length === 0) return;
  const mark = (tx: Db) => tx.update(runItems).set({ attemptedAt: new Date() }).where(and(inArray(runItems.id, [...itemIds]), isNull(runItems.attemptedAt)));
  if (!lease) {
    await mark(db);
    return;
  }
  // A superseded attempt learns it here, before the creates it marks are sent.
  await db.transaction(async (tx) => {
    await assertApplyLease(tx, lease);
    await mark(tx);
  });
}

export interface ItemOutcome {
  status: Exclude<RunItemStatus, 'planned' | 'staged'>;
  targetId?: string | null;
  before?: unknown;
  after?: unknown;
  errorCode?: string | null;
  errorMessage?: string | null;
  /** a failed item's class, from the vendor's typed error (engine/failure-class.ts) */
  failureClass?: RunFailureClass | null;
  reason?: string | null;
}

export interface ItemOutcomeRecord {
  itemId: number;
  outcome: ItemOutcome;
  link?: Link;
  forgetLinkOf?: { entity: EntityKind; targetId: string };
}

/**
 * Records one item's outcome; a create's link is written in the same transaction, so a crash
 * leaves either both (the retry skips the item) or neither (the retry checks the target first).
 * Only a still-planned item is updated: an outcome is recorded once.
 */
export async function recordItemOutcome(db: Db, input: ItemOutcomeRecord & { taskId: string }): Promise<void> {
  const { taskId, ...record } = input;
  await recordItemOutcomes(db, taskId, [record]);
}

/** rows per statement: ~12 parameters each stays well under Postgres' 65,535 */
const OUTCOME_CHUNK = 500;

/**
 * Records several outcomes in one transaction (one update per chunk, links batched), with the
 * guarantees of recordItemOutcome for each: links only of items that were still planned; with a
 * lease, nothing unless that apply attempt still owns the batch.
 */
export async function recordItemOutcomes(db: Db, taskId: string, records: readonly ItemOutcomeRecord[], lease?: ApplyLease): Promise<void> {
  if (records.length === 0) return;
  await db.transaction(async (tx) => {
    // With a lease, only the attempt that owns the batch writes (SupersededAttemptError otherwise).
    if (lease) await assertApplyLease(tx, lease);
    const updated = new Set<number>();
    for (let i = 0; i < records.length; i += OUTCOME_CHUNK) {
      for (const id of await updateOutcomes(tx, records.slice(i, i + OUTCOME_CHUNK))) updated.add(id);
    }
    const recorded = records.filter((r) => updated.has(r.itemId));
    // Plan order: a later item's link change wins over an earlier one's, as if written one by one.
    if (recorded.some((r) => r.forgetLinkOf)) {
      for (const r of recorded) {
        if (r.link) await upsertTaskLinks(tx, taskId, [r.link]);
        if (r.forgetLinkOf) await deleteTaskLinkByTarget(tx, taskId, r.forgetLinkOf.entity, r.forgetLinkOf.targetId);
      }
    } else {
      await upsertTaskLinks(tx, taskId, recorded.flatMap((r) => (r.link ? [r.link] : [])));
    }
  });
}

/** jsonb text of a value; undefined and null become SQL NULL, as drizzle writes them */
const jsonText = (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value));

async function updateOutcomes(tx: Db, records: readonly ItemOutcomeRecord[]): Promise<number[]> {
  const finishedAt = new Date().toISOString();
  // has_* flags tell "leave the column alone" (undefined) from "set it to null".
  const values = sql.join(
    records.map(({ itemId, outcome: o }) => sql`(
      ${itemId}::bigint, ${o.status}::text,
      ${o.targetId !== undefined}::boolean, ${o.targetId ?? null}::text,
      ${o.before !== undefined}::boolean, ${jsonText(o.before)}::jsonb,
      ${o.after !== undefined}::boolean, ${jsonText(o.after)}::jsonb,
      ${o.errorCode ?? null}::text, ${o.errorMessage ?? null}::text, ${o.failureClass ?? null}::text,
      ${o.reason !== undefined}::boolean, ${o.reason ?? null}::text)`),
    sql`, `,
  );
  const rows = rowsOf<{ id: number | string }>(
    await tx.execute(sql`
      update run_items as r set
        status = v.status,
        target_id = case when v.has_target then v.target_id else r.target_id end,
        before = case when v.has_before then v.before else r.before end,
        after = case when v.has_after then v.after else r.after end,
        error_code = v.error_code,
        error_message = v.error_message,
        failure_class = v.failure_class,
        reason = case when v.has_reason then v.reason else r.reason end,
        finished_at = ${finishedAt}::timestamptz
      from (values ${values}) as v(id, status, has_target, target_id, has_before, before, has_after, after, error_code, error_message, failure_class, has_reason, reason)
      where r.id = v.id and r.status = 'planned'
      returning r.id`),
  );
  return rows.map((row) => Number(row.id));
}

/** Item counts per action, entity and status: the raw material of a run's counters and status. */
export async function itemStatusCounts(db: Db, runId: string): Promise<{ action: string; entity: EntityKind; status: RunItemStatus; count: number }[]> {
  return db
    .select({ action: runItems.action, entity: runItems.entity, status: runItems.status, count: sql<number>`count(*)::int` })
    .from(runItems)
    .where(eq(runItems.runId, runId))
    .groupBy(runItems.action, runItems.entity, runItems.status);
}

/** A run's failed items counted by their failure class: one aggregate over the (run, status) index, no item loaded. */
export async function failedItemClassCounts(db: Db, runId: string): Promise<FailedItemClassCount[]> {
  return db
    .select({ failureClass: runItems.failureClass, count: sql<number>`count(*)::int` })
    .from(runItems)
    .where(and(eq(runItems.runId, runId), eq(runItems.status, 'failed')))
    .groupBy(runItems.failureClass);
}

/** The counters stored with a finished run (activities/runs.ts names them); the API's summary is RunSummary. */
export type RunCounters = RunRow['counters'];

/** Open (pending or running) runs started before `before`, oldest first: the reconciler checks their workflows. */
export async function listOpenRunsStartedBefore(db: Db, before: Date, limit: number): Promise<Pick<RunRow, 'id' | 'taskId' | 'workflowId'>[]> {
  return db
    .select({ id: syncRuns.id, taskId: syncRuns.taskId, workflowId: syncRuns.workflowId })
    .from(syncRuns)
    .where(and(inArray(syncRuns.status, ['pending', 'running']), lt(syncRuns.startedAt, before)))
    .orderBy(asc(syncRuns.startedAt))
    .limit(limit);
}

/** Stores the final status, counters and error; a run already finished keeps its first outcome. */
export async function finishRun(
  db: Db,
  input: { runId: string; status: FinishedRunStatus; counters: RunCounters; error?: string | null; failureClass?: RunFailureClass | null },
): Promise<string> {
  const [row] = await db
    .update(syncRuns)
    .set({ status: input.status, counters: input.counters, error: input.error ?? null, failureClass: input.failureClass ?? null, phase: 'done', finishedAt: new Date() })
    .where(and(eq(syncRuns.id, input.runId), inArray(syncRuns.status, [...activeRunStatuses])))
    .returning({ status: syncRuns.status });
  if (row) return row.status;
  const [existing] = await db.select({ status: syncRuns.status }).from(syncRuns).where(eq(syncRuns.id, input.runId));
  if (!existing) throw new Error(`run ${input.runId} does not exist`);
  return existing.status;
}
