// The hub-change outbox (db/schema/outbox.ts): rows are written inside the hub write's transaction,
// claimed by drainers with a lease (FOR UPDATE SKIP LOCKED, so two drainers never take the same
// row), and deleted once delivered. A drainer that dies mid-send leaves its rows to the lease's end.
import { inArray, sql } from 'drizzle-orm';
import type { ChangeEvent } from '../../engine/model';
import type { Db } from '../client';
import { hubChangeOutbox } from '../schema';
import { selectRows } from './sql';

export interface OutboxRow {
  id: number;
  entity: 'department' | 'user';
  hubId: string;
  kind: 'created' | 'updated' | 'deleted';
  actor: string;
  attempts: number;
}

/** Inside the hub write's transaction: one row per change; returns their ids in event order. */
export async function recordHubChanges(tx: Db, events: readonly Omit<ChangeEvent, 'eventId'>[], actor: string): Promise<number[]> {
  if (events.length === 0) return [];
  const rows = await tx
    .insert(hubChangeOutbox)
    .values(events.map((e) => ({ entity: e.entity, hubId: e.id, kind: e.kind, actor })))
    .returning({ id: hubChangeOutbox.id });
  return rows.map((r) => r.id);
}

/**
 * Claims up to `limit` due rows older than `graceMs` (the fast path's turn), hiding them from other
 * drainers for `leaseMs`. Each claim counts as an attempt.
 */
export async function claimDueHubChanges(db: Db, options: { limit: number; graceMs: number; leaseMs: number }): Promise<OutboxRow[]> {
  const rows = await selectRows<{ id: string | number; entity: OutboxRow['entity']; hub_id: string; kind: OutboxRow['kind']; actor: string; attempts: number }>(
    db,
    sql`update hub_change_outbox set attempts = attempts + 1, next_attempt_at = now() + ${Math.round(options.leaseMs)}::int * interval '1 millisecond'
        where id in (
          select id from hub_change_outbox
          where next_attempt_at <= now() and created_at <= now() - ${Math.round(options.graceMs)}::int * interval '1 millisecond'
          order by id limit ${Math.round(options.limit)}::int
          for update skip locked)
        returning id, entity, hub_id, kind, actor, attempts`,
  );
  return rows.map((r) => ({ id: Number(r.id), entity: r.entity, hubId: r.hub_id, kind: r.kind, actor: r.actor, attempts: Number(r.attempts) })).sort((a, b) => a.id - b.id);
}

/** Delivered: forget them. */
export async function deleteHubChanges(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.delete(hubChangeOutbox).where(inArray(hubChangeOutbox.id, [...ids]));
}

/** Not delivered: due again after an exponential back-off from `initialMs`, capped at `maxMs`. */
export async function deferHubChanges(db: Db, ids: readonly number[], error: string, backoff: { initialMs: number; maxMs: number }): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(hubChangeOutbox)
    .set({
      lastError: error.slice(0, 1000),
      nextAttemptAt: sql`now() + least(${backoff.maxMs}::float8, ${backoff.initialMs}::float8 * power(2, greatest(${hubChangeOutbox.attempts} - 1, 0))) * interval '1 millisecond'`,
    })
    .where(inArray(hubChangeOutbox.id, [...ids]));
}
