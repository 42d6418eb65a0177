// The sync tasks webhooks and hub fan-out act for (live rows only, read through db/repos/task-rows.ts).
import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { findLiveTask, liveTaskRows, toStoredTask, type StoredTask } from '../../db/repos/task-rows';
import { syncTasks } from '../../db/schema';
import type { RealtimeTask } from './realtime-signal';

export interface WebhookTask extends RealtimeTask {
  enabled: boolean;
  /** triggers.realtime of the task's configuration */
  realtime: boolean;
  settings: Record<string, unknown>;
  secretsSealed: string;
}

function toWebhookTask(task: StoredTask): WebhookTask {
  return {
    id: task.id,
    direction: task.direction,
    connectorKind: task.connectorKind,
    enabled: task.enabled,
    // Rows stored by an older version may lack either part.
    realtime: task.config.triggers?.realtime === true,
    settings: task.config.connector?.settings ?? {},
    secretsSealed: task.secretsSealed,
  };
}

/** The task, unless it does not exist or is deleted. */
export async function loadWebhookTask(db: Db, taskId: string): Promise<WebhookTask | undefined> {
  const task = await findLiveTask(db, taskId);
  return task && toWebhookTask(task);
}

export async function loadLiveTasks(db: Db, taskIds: readonly string[]): Promise<WebhookTask[]> {
  if (taskIds.length === 0) return [];
  const rows = await liveTaskRows(db, inArray(syncTasks.id, [...taskIds]));
  return rows.map((row) => toWebhookTask(toStoredTask(row)));
}

/** Enabled downstream tasks with real-time on: the ones a hub change must reach. */
export async function loadRealtimeDownstreamTasks(db: Db): Promise<WebhookTask[]> {
  const rows = await liveTaskRows(db, and(eq(syncTasks.direction, 'downstream'), eq(syncTasks.enabled, true)));
  return rows.map((row) => toWebhookTask(toStoredTask(row))).filter((task) => task.realtime);
}
