// The durable webhook inbox: every accepted vendor event is stored here before the task's workflow
// is signalled, so a crash between the two loses nothing (the inbox is drained on start).
import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** One canonical change, ids only: no names, mobiles or other personal data from the vendor payload. */
export interface InboxChange {
  entity: 'department' | 'user';
  id: string;
  kind: 'created' | 'updated' | 'deleted';
}

export const webhookInbox = pgTable(
  'webhook_inbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    taskId: text('task_id').notNull(),
    connectorKind: text('connector_kind').notNull(),
    /** the vendor's event id (Feishu event_id) or a hash of the decrypted payload (WeCom, DingTalk) */
    dedupKey: text('dedup_key').notNull(),
    eventType: text('event_type').notNull(),
    changes: jsonb('changes').$type<InboxChange[]>().notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    /** set once the task's workflow holds the trigger; null rows are what a drain re-sends */
    signalledAt: timestamp('signalled_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('webhook_inbox_dedup_uq').on(t.taskId, t.dedupKey),
    index('webhook_inbox_unsignalled_idx').on(t.receivedAt).where(sql`${t.signalledAt} is null`),
  ],
);
