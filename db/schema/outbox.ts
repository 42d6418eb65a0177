// The durable hub-change outbox: one row per changed hub id, written in the same transaction as
// the hub write, deleted once every downstream real-time task's workflow holds the change. A crash
// between commit and signal, or Temporal away, leaves the row for the drainer (api/hub-outbox-drain.ts).
import { bigserial, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const hubChangeOutbox = pgTable(
  'hub_change_outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    entity: text('entity', { enum: ['department', 'user'] }).notNull(),
    hubId: text('hub_id').notNull(),
    kind: text('kind', { enum: ['created', 'updated', 'deleted'] }).notNull(),
    /** the hub write's audit actor: the downstream run's requester (separation of duties) */
    actor: text('actor').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** drain attempts so far; the back-off grows with it */
    attempts: integer('attempts').notNull().default(0),
    /** not before: a drainer's claim (lease) or its back-off after a failed send */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    /** why the last send failed (task ids and Temporal's message, never a secret) */
    lastError: text('last_error'),
  },
  (t) => [index('hub_change_outbox_due_idx').on(t.nextAttemptAt, t.id)],
);
