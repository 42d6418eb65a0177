// The webhook inbox: accepted vendor events, stored before their task's workflow is signalled and
// marked once it holds them. A (task, dedup key) pair is stored once, so a vendor's retry of an
// event already stored is recognised and never signalled twice.
import { and, asc, gt, inArray, isNotNull, isNull, lt } from 'drizzle-orm';
import type { Db } from '../client';
import { webhookInbox, type InboxChange } from '../schema';

export type { InboxChange } from '../schema';

export interface NewInboxEvent {
  taskId: string;
  connectorKind: string;
  /** vendor event id, or a hash of the decrypted payload */
  dedupKey: string;
  eventType: string;
  changes: InboxChange[];
}

export type InboxRow = typeof webhookInbox.$inferSelect;

function requireText(value: unknown, field: string): void {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${field}: expected a non-empty string`);
}

/** Stores the event; `undefined` when the same (task, dedup key) is already in the inbox. */
export async function storeInboxEvent(db: Db, event: NewInboxEvent): Promise<{ id: number } | undefined> {
  for (const field of ['taskId', 'connectorKind', 'dedupKey', 'eventType'] as const) requireText(event[field], field);
  const changes = event.changes.map(({ entity, id, kind }) => ({ entity, id, kind }));
  const [row] = await db
    .insert(webhookInbox)
    .values({ taskId: event.taskId, connectorKind: event.connectorKind, dedupKey: event.dedupKey, eventType: event.eventType, changes })
    .onConflictDoNothing({ target: [webhookInbox.taskId, webhookInbox.dedupKey] })
    .returning({ id: webhookInbox.id });
  return row;
}

export async function markInboxSignalled(db: Db, ids: readonly number[], at: Date = new Date()): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(webhookInbox)
    .set({ signalledAt: at })
    .where(and(inArray(webhookInbox.id, [...ids]), isNull(webhookInbox.signalledAt)));
}

/** The oldest rows no workflow has been told about yet, after row `afterId` (a cursor for paging). */
export async function listUnsignalledInbox(db: Db, limit = 500, afterId = 0): Promise<InboxRow[]> {
  return db
    .select()
    .from(webhookInbox)
    .where(and(isNull(webhookInbox.signalledAt), gt(webhookInbox.id, afterId)))
    .orderBy(asc(webhookInbox.id))
    .limit(limit);
}

/** Removes rows that can never be signalled (their task is gone). */
export async function deleteInboxRows(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.delete(webhookInbox).where(inArray(webhookInbox.id, [...ids]));
}

/**
 * Forgets signalled rows received before `before`. Keep them longer than the vendors retry
 * (Feishu's last retry comes after 6 h): a retry that finds its row gone would be stored again.
 */
export async function pruneSignalledInbox(db: Db, before: Date): Promise<number> {
  const removed = await db
    .delete(webhookInbox)
    .where(and(isNotNull(webhookInbox.signalledAt), lt(webhookInbox.receivedAt, before)))
    .returning({ id: webhookInbox.id });
  return removed.length;
}
