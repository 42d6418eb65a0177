// Notification channels (global or per task) with their secrets sealed, and the record of what was
// sent so each (run, event, channel) is announced once however often the activity retries.
import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, or } from 'drizzle-orm';
import { channelKinds, channelSecretsSchemas, channelSettingsSchemas, notificationEvents, type ChannelKind, type ChannelSettings, type NotificationEvent } from '../../engine/notifications';
import type { Db } from '../client';
import type { SecretBox } from '../secret-box';
import { notificationChannels, notificationDeliveries, syncTasks } from '../schema';
import { recordAudit } from './audit-log';
import { NotFoundError, ValidationError } from './errors';
import { smtpHostRefusal } from '../../connectors/shared/host-policy';

export interface ChannelInput {
  name: string;
  taskId?: string | null;
  kind: ChannelKind;
  events?: NotificationEvent[];
  settings?: Record<string, unknown>;
  secrets: Record<string, unknown>;
  enabled?: boolean;
}

/** What the API shows: never the secrets, only which of them are set. */
export interface ChannelSummary {
  id: string;
  name: string;
  taskId: string | null;
  kind: ChannelKind;
  events: NotificationEvent[];
  settings: ChannelSettings;
  secretsSet: string[];
  enabled: boolean;
  createdAt: Date;
}

export interface OpenChannel extends ChannelSummary {
  secrets: Record<string, string>;
}

type Row = typeof notificationChannels.$inferSelect;

function issuesOf(prefix: string, error: { issues: { path: PropertyKey[]; message: string }[] }): ValidationError {
  const issue = error.issues[0];
  const field = [prefix, ...issue.path.map(String)].join('.');
  return new ValidationError(field, `${field}: ${issue.message}`);
}

export function createNotificationChannels(db: Db, options: { secretBox: SecretBox }) {
  const { secretBox } = options;
  const summary = (row: Row): ChannelSummary => ({
    id: row.id,
    name: row.name,
    taskId: row.taskId,
    kind: row.kind as ChannelKind,
    events: row.events as NotificationEvent[],
    settings: row.settings as ChannelSettings,
    secretsSet: Object.keys(secretBox.open<Record<string, string>>(row.secretsSealed)).sort(),
    enabled: row.enabled,
    createdAt: row.createdAt,
  });

  return {
    async create(input: ChannelInput, actor: string): Promise<ChannelSummary> {
      if (!channelKinds.includes(input.kind)) throw new ValidationError('kind', `kind: expected one of ${channelKinds.join(', ')}`);
      const settings = channelSettingsSchemas[input.kind].safeParse(input.settings ?? {});
      if (!settings.success) throw issuesOf('settings', settings.error);
      if (input.kind === 'email') {
        // The SMTP server is an outbound host like a webhook's: the same allow-list (host-policy.ts).
        const { host, port } = settings.data as unknown as { host: string; port: number };
        const refused = smtpHostRefusal(host, port);
        if (refused) throw new ValidationError('settings.host', `settings.host: ${refused}`);
      }
      const secrets = channelSecretsSchemas[input.kind].safeParse(input.secrets);
      if (!secrets.success) throw issuesOf('secrets', secrets.error);
      const events = input.events ?? [...notificationEvents];
      const unknown = events.find((e) => !notificationEvents.includes(e));
      if (unknown) throw new ValidationError('events', `events: unknown event ${unknown}`);
      return db.transaction(async (tx) => {
        if (input.taskId) {
          const [task] = await tx.select({ id: syncTasks.id }).from(syncTasks).where(eq(syncTasks.id, input.taskId));
          if (!task) throw new ValidationError('taskId', `taskId: no sync task ${input.taskId}`);
        }
        const [row] = await tx
          .insert(notificationChannels)
          .values({ id: randomUUID(), name: input.name, taskId: input.taskId ?? null, kind: input.kind, events: [...new Set(events)], settings: settings.data, secretsSealed: secretBox.seal(secrets.data), enabled: input.enabled ?? true })
          .returning();
        const shown = summary(row);
        await recordAudit(tx, { actor, action: 'notification_channel.create', entityType: 'notification_channel', entityId: row.id, after: shown });
        return shown;
      });
    },

    async list(filter: { taskId?: string } = {}): Promise<ChannelSummary[]> {
      const rows = await db.select().from(notificationChannels).where(filter.taskId ? eq(notificationChannels.taskId, filter.taskId) : undefined).orderBy(asc(notificationChannels.createdAt), asc(notificationChannels.id));
      return rows.map(summary);
    },

    async remove(id: string, actor: string): Promise<void> {
      await db.transaction(async (tx) => {
        const [row] = await tx.delete(notificationChannels).where(eq(notificationChannels.id, id)).returning();
        if (!row) throw new NotFoundError('notification-channel', id);
        await recordAudit(tx, { actor, action: 'notification_channel.delete', entityType: 'notification_channel', entityId: id, before: summary(row) });
      });
    },

    /** The enabled channels a task's runs are announced on (its own and the global ones), secrets opened. */
    async forTask(taskId: string): Promise<OpenChannel[]> {
      const rows = await db
        .select()
        .from(notificationChannels)
        .where(and(eq(notificationChannels.enabled, true), or(isNull(notificationChannels.taskId), eq(notificationChannels.taskId, taskId))))
        .orderBy(asc(notificationChannels.createdAt), asc(notificationChannels.id));
      return rows.map((row) => ({ ...summary(row), secrets: secretBox.open<Record<string, string>>(row.secretsSealed) }));
    },
  };
}

export type NotificationChannels = ReturnType<typeof createNotificationChannels>;

export interface Delivery {
  runId: string;
  event: NotificationEvent;
  channelId: string;
}

export async function wasDelivered(db: Db, d: Delivery): Promise<boolean> {
  const rows = await db
    .select({ runId: notificationDeliveries.runId })
    .from(notificationDeliveries)
    .where(and(eq(notificationDeliveries.runId, d.runId), eq(notificationDeliveries.event, d.event), eq(notificationDeliveries.channelId, d.channelId)));
  return rows.length > 0;
}

export async function recordDelivery(db: Db, d: Delivery): Promise<void> {
  await db.insert(notificationDeliveries).values(d).onConflictDoNothing();
}
