// Where run events are announced (robot webhooks, a signed JSON webhook, email) and what was sent.
import { boolean, index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

export const notificationChannels = pgTable(
  'notification_channels',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** null: every task (a global channel) */
    taskId: text('task_id'),
    kind: text('kind').notNull(),
    /** the events it wants (run_failed, …) */
    events: text('events').array().notNull(),
    /** non-secret settings: SMTP host, recipients, the credentials-failing threshold */
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
    /** webhook URLs (they carry the robot's key) and signing secrets, sealed like connector secrets */
    secretsSealed: text('secrets_sealed').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('notification_channels_task_idx').on(t.taskId)],
);

/** One row per message sent: a retried activity or a replayed run sends each (run, event, channel) once. */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    runId: text('run_id').notNull(),
    event: text('event').notNull(),
    channelId: text('channel_id').notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.event, t.channelId] })],
);
