// The fence between overlapping attempts of one apply batch. After a heartbeat timeout Temporal
// starts a new attempt while the old one may still run (a frozen or cut-off worker): the attempt
// Temporal scheduled last owns the batch, and a write of any other attempt is refused.
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { applyLeases } from '../schema';
import { rowsOf } from './sql';

/** Which attempt this is: Temporal's schedule time of the attempt, then its number (later wins). */
export interface ApplyLease {
  runId: string;
  batch: number;
  scheduledAtMs: number;
  attempt: number;
}

/** A newer attempt owns the batch: this one must stop before it touches the vendor again. */
export class SupersededAttemptError extends Error {
  override readonly name = 'SupersededAttemptError';
  constructor(lease: ApplyLease) {
    super(`apply attempt ${lease.attempt} of run ${lease.runId} batch ${lease.batch} is superseded by a newer attempt; it stops`);
  }
}

/** Claims the batch for this attempt unless a later-scheduled one already holds it; throws SupersededAttemptError then. */
export async function claimApplyLease(db: Db, lease: ApplyLease): Promise<void> {
  const rows = rowsOf<{ run_id: string }>(
    await db.execute(sql`
      insert into apply_leases (run_id, batch, scheduled_at_ms, attempt)
      values (${lease.runId}, ${lease.batch}, ${lease.scheduledAtMs}, ${lease.attempt})
      on conflict (run_id, batch) do update
        set scheduled_at_ms = excluded.scheduled_at_ms, attempt = excluded.attempt, claimed_at = now()
        where (apply_leases.scheduled_at_ms, apply_leases.attempt) < (excluded.scheduled_at_ms, excluded.attempt)
      returning run_id`),
  );
  if (rows.length === 0) throw new SupersededAttemptError(lease);
}

/**
 * Throws SupersededAttemptError unless this attempt still holds the batch. Inside a transaction the
 * row is locked FOR SHARE: a newer claim waits until the transaction's writes are committed, so a
 * write is either before the claim (and seen by the newer attempt) or refused.
 */
export async function assertApplyLease(db: Db, lease: ApplyLease): Promise<void> {
  const [row] = await db
    .select({ scheduledAtMs: applyLeases.scheduledAtMs, attempt: applyLeases.attempt })
    .from(applyLeases)
    .where(and(eq(applyLeases.runId, lease.runId), eq(applyLeases.batch, lease.batch)))
    .for('share');
  if (!row || Number(row.scheduledAtMs) !== lease.scheduledAtMs || row.attempt !== lease.attempt) throw new SupersededAttemptError(lease);
}
