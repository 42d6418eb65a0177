// The sync tasks webhooks and hub fan-out act for, read straight from sync_tasks (live rows only).
import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { syncTasks } from '../../db/schema';
import type { RealtimeTask } from './realtime-signal';

export interface WebhookTask extends RealtimeTask {
  enabled: boolean;
  /** triggers.realtime of the task's configuration */
  realtime: boolean;
  settings: Record<string, unknown>;
  secretsSealed: string;
}

type Row = typeof syncTasks.$inferSelect;

function toWebhookTask(row: Row): WebhookTask {
  const config = row.config as { triggers?: { realtime?: unknown }; connector?: { settings?: Record<string, unknown> } };
  return {
    id: row.id,
    direction: row.direction,
    connectorKind: row.connectorKind,
    enabled: row.enabled,
    realtime: config.triggers?.realtime === true,
    settings: config.connector?.settings ?? {},
    secretsSealed: row.secretsSealed,
  };
}

/** The task, unless it does not exist or is deleted. */
export async function loadWebhookTask(db: Db, taskId: string): Promise<WebhookTask | undefined> {
  const [row] = await db.select().from(syncTasks).where(and(eq(syncTasks.id, taskId), isNull(syncTasks.deletedAt)));
  return row && toWebhookTask(row);
}

export async function loadLiveTasks(db: Db, taskIds: readonly string[]): Promise<WebhookTask[]> {
  if (taskIds.length === 0) return [];
  const rows = await db
    .select()
    .from(syncTasks)
    .where(and(inArray(syncTasks.id, [...taskIds]), isNull(syncTasks.deletedAt)));
  return rows.map(toWebhookTask);
}

/** Enabled downstream tasks with real-time on: the ones a hub change must reach. */
export async function loadRealtimeDownstreamTasks(db: Db): Promise<WebhookTask[]> {
  const rows = await db
    .select()
    .from(syncTasks)
    .where(and(eq(syncTasks.direction, 'downstream'), eq(syncTasks.enabled, true), isNull(syncTasks.deletedAt)));
  return rows.map(toWebhookTask).filter((task) => task.realtime);
}
