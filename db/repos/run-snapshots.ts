// Snapshot retention: the two directories a run reads (names, mobiles, e-mails of everyone) are
// needed only until its plan is stored, so they are deleted once the run finished longer ago
// than SYNC_CENTER_SNAPSHOT_RETENTION_DAYS. The run row, its items and the audit log stay.
import { and, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { runSnapshotChunks, syncRuns } from '../schema';

export const DEFAULT_SNAPSHOT_RETENTION_DAYS = 7;

export interface PruneRunSnapshotsOptions {
  retentionDays: number;
  now?: Date;
  /** runs whose chunks one statement deletes (default 100): each statement stays short */
  batchRuns?: number;
  /** runs one call handles at most (default 1,000); `more` says whether some were left */
  maxRuns?: number;
}

/**
 * Deletes the stored snapshots of runs finished before now - retentionDays. A run still running
 * (finishedAt null) keeps its snapshots, however old: its plan step may still read them.
 */
export async function pruneRunSnapshots(db: Db, options: PruneRunSnapshotsOptions): Promise<{ runs: number; more: boolean }> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - options.retentionDays * 24 * 60 * 60 * 1000);
  const batchRuns = options.batchRuns ?? 100;
  const maxRuns = options.maxRuns ?? 1000;
  let runs = 0;
  while (runs < maxRuns) {
    const limit = Math.min(batchRuns, maxRuns - runs);
    const expired = await db
      .select({ id: syncRuns.id })
      .from(syncRuns)
      .where(expiredWithSnapshots(cutoff))
      .limit(limit);
    if (expired.length === 0) return { runs, more: false };
    await db.delete(runSnapshotChunks).where(inArray(runSnapshotChunks.runId, expired.map((r) => r.id)));
    runs += expired.length;
    if (expired.length < limit) return { runs, more: false };
  }
  return { runs, more: await hasExpired(db, cutoff) };
}

/** Runs finished before the cutoff that still have snapshot chunks. */
const expiredWithSnapshots = (cutoff: Date) =>
  and(
    isNotNull(syncRuns.finishedAt),
    lt(syncRuns.finishedAt, cutoff),
    sql`exists (select 1 from ${runSnapshotChunks} where ${runSnapshotChunks.runId} = ${syncRuns.id})`,
  );

async function hasExpired(db: Db, cutoff: Date): Promise<boolean> {
  const [row] = await db
    .select({ id: syncRuns.id })
    .from(syncRuns)
    .where(expiredWithSnapshots(cutoff))
    .limit(1);
  return row !== undefined;
}
