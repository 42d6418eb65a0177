// The read side of runs for the API: run lists and detail, run items filtered and paged, and staged
// deletions. Writes belong to the activities (db/repos/sync-runs.ts, pending-deletions.ts).
import { and, asc, count, desc, eq, gt, inArray, isNotNull, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { pendingDeletions, runItems, syncRuns } from '../schema';
import type { ItemStatus } from '../../engine/statuses';
import { NotFoundError } from './errors';

/** A sync_runs row: the one run type (db/repos/sync-runs.ts reads parts of it). */
export type RunRow = typeof syncRuns.$inferSelect;
export type PendingDeletionRow = typeof pendingDeletions.$inferSelect;

import { pendingDeletionStatuses, runStatuses } from '../../engine/statuses';
export { itemStatuses, pendingDeletionStatuses, runStatuses } from '../../engine/statuses';

/** One run item as the API shows it: the action, its outcome and the field-level before/after. */
export interface RunItemView {
  id: number;
  seq: number;
  action: string;
  entity: 'department' | 'user';
  sourceId: string | null;
  targetId: string | null;
  displayName: string | null;
  status: ItemStatus;
  before: unknown;
  after: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  finishedAt: Date | null;
}

export interface SuccessOfTotal {
  succeeded: number;
  failed: number;
  total: number;
}

/**
 * The run-history counters of the reference product: creations ("departments", "users") apart from
 * every other change ("updates": update, move, department change, manager, leader, disable, enable, delete).
 */
export interface RunSummary {
  departments: SuccessOfTotal;
  departmentUpdates: SuccessOfTotal;
  users: SuccessOfTotal;
  userUpdates: SuccessOfTotal;
  byStatus: Record<string, number>;
}

export interface ItemFilter {
  entity?: 'department' | 'user';
  status?: ItemStatus;
  action?: string;
}

export interface Page {
  limit?: number;
  offset?: number;
}

const emptyCounts = (): SuccessOfTotal => ({ succeeded: 0, failed: 0, total: 0 });

const itemColumns = {
  id: runItems.id,
  seq: runItems.seq,
  action: runItems.action,
  entity: runItems.entity,
  sourceId: runItems.sourceId,
  targetId: runItems.targetId,
  displayName: runItems.displayName,
  status: runItems.status,
  before: runItems.before,
  after: runItems.after,
  errorCode: runItems.errorCode,
  errorMessage: runItems.errorMessage,
  finishedAt: runItems.finishedAt,
};

function itemConditions(runId: string, filter: ItemFilter): SQL {
  const conditions: SQL[] = [eq(runItems.runId, runId)];
  if (filter.entity) conditions.push(eq(runItems.entity, filter.entity));
  if (filter.status) conditions.push(eq(runItems.status, filter.status));
  if (filter.action) conditions.push(eq(runItems.action, filter.action));
  return and(...conditions)!;
}

export function createRunQueries(db: Db) {
  async function getRun(runId: string): Promise<RunRow> {
    const [run] = await db.select().from(syncRuns).where(eq(syncRuns.id, runId));
    if (!run) throw new NotFoundError('run', runId);
    return run;
  }

  return {
    getRun,

    /** Newest first. */
    async listRuns(taskId: string, query: Page & { status?: (typeof runStatuses)[number] } = {}) {
      const limit = query.limit ?? 50;
      const offset = query.offset ?? 0;
      const where = query.status ? and(eq(syncRuns.taskId, taskId), eq(syncRuns.status, query.status)) : eq(syncRuns.taskId, taskId);
      const [items, [{ total }]] = await Promise.all([
        db.select().from(syncRuns).where(where).orderBy(desc(syncRuns.startedAt), desc(syncRuns.id)).limit(limit).offset(offset),
        db.select({ total: count() }).from(syncRuns).where(where),
      ]);
      return { items, total: Number(total), limit, offset };
    },

    /** Counters computed from the run's items, so they always agree with the item list. */
    async countersOf(runId: string): Promise<RunSummary> {
      const rows = await db
        .select({ entity: runItems.entity, action: runItems.action, status: runItems.status, n: count() })
        .from(runItems)
        .where(eq(runItems.runId, runId))
        .groupBy(runItems.entity, runItems.action, runItems.status);
      const counters: RunSummary = { departments: emptyCounts(), departmentUpdates: emptyCounts(), users: emptyCounts(), userUpdates: emptyCounts(), byStatus: {} };
      for (const row of rows) {
        const n = Number(row.n);
        const creation = row.action.startsWith('Create');
        const bucket = row.entity === 'department' ? (creation ? counters.departments : counters.departmentUpdates) : creation ? counters.users : counters.userUpdates;
        bucket.total += n;
        if (row.status === 'succeeded') bucket.succeeded += n;
        if (row.status === 'failed') bucket.failed += n;
        counters.byStatus[row.status] = (counters.byStatus[row.status] ?? 0) + n;
      }
      return counters;
    },

    /** Plan order. */
    async listItems(runId: string, filter: ItemFilter & Page = {}): Promise<{ items: RunItemView[]; total: number; limit: number; offset: number }> {
      const limit = filter.limit ?? 100;
      const offset = filter.offset ?? 0;
      const where = itemConditions(runId, filter);
      const [items, [{ total }]] = await Promise.all([
        db.select(itemColumns).from(runItems).where(where).orderBy(asc(runItems.seq)).limit(limit).offset(offset),
        db.select({ total: count() }).from(runItems).where(where),
      ]);
      return { items, total: Number(total), limit, offset };
    },

    /** Every item of a run in plan order, a page at a time (keyset on seq), for exports of any size. */
    async *allItems(runId: string, filter: ItemFilter = {}, pageSize = 1000): AsyncGenerator<RunItemView[]> {
      let after = -1;
      for (;;) {
        const page = await db
          .select(itemColumns)
          .from(runItems)
          .where(and(itemConditions(runId, filter), gt(runItems.seq, after)))
          .orderBy(asc(runItems.seq))
          .limit(pageSize);
        if (page.length === 0) return;
        yield page;
        if (page.length < pageSize) return;
        after = page[page.length - 1].seq;
      }
    },

    /** Source ids of the run's failed items, distinct, in plan order: what a retry re-reads. */
    async failedSourceIds(runId: string): Promise<string[]> {
      const rows = await db
        .select({ sourceId: runItems.sourceId })
        .from(runItems)
        .where(and(eq(runItems.runId, runId), eq(runItems.status, 'failed'), isNotNull(runItems.sourceId)))
        .orderBy(asc(runItems.seq));
      return [...new Set(rows.map((r) => r.sourceId!))];
    },

    /** Newest first. */
    async listPendingDeletions(query: Page & { taskId?: string; runId?: string; status?: (typeof pendingDeletionStatuses)[number] } = {}) {
      const limit = query.limit ?? 50;
      const offset = query.offset ?? 0;
      const conditions: SQL[] = [];
      if (query.taskId) conditions.push(eq(pendingDeletions.taskId, query.taskId));
      if (query.runId) conditions.push(eq(pendingDeletions.runId, query.runId));
      if (query.status) conditions.push(eq(pendingDeletions.status, query.status));
      const where = conditions.length ? and(...conditions) : undefined;
      const [items, [{ total }]] = await Promise.all([
        db.select().from(pendingDeletions).where(where).orderBy(desc(pendingDeletions.createdAt), asc(pendingDeletions.id)).limit(limit).offset(offset),
        db.select({ total: count() }).from(pendingDeletions).where(where),
      ]);
      return { items, total: Number(total), limit, offset };
    },

    async pendingDeletionsByIds(ids: readonly string[]): Promise<PendingDeletionRow[]> {
      if (ids.length === 0) return [];
      return db.select().from(pendingDeletions).where(inArray(pendingDeletions.id, [...ids]));
    },
  };
}

export type RunQueries = ReturnType<typeof createRunQueries>;
