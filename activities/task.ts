// Loading a task for a step: its public configuration from sync_tasks and, only when a step talks
// to a vendor, its connectors with the secrets opened right there (never returned or logged).
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../db/client';
import { findLiveTask, type StoredTask } from '../db/repos/task-rows';
import { ConnectorSettingsError, openTaskEndpoints, type TaskEndpoints } from '../connectors/registry';
import type { ActivityDeps } from './deps';

/** A live task as a step sees it: the stored task without its timestamps. */
export type TaskRecord = Omit<StoredTask, 'createdAt' | 'updatedAt'>;

/** The task row, or a non-retryable TaskNotFound failure (a deleted task stays deleted). */
export async function loadTaskRecord(db: Db, taskId: string): Promise<TaskRecord> {
  const task = await findLiveTask(db, taskId);
  if (!task) throw ApplicationFailure.create({ type: 'TaskNotFound', message: `taskId: no sync task ${taskId}`, nonRetryable: true });
  const { id, name, direction, connectorKind, enabled, config, secretsSealed } = task;
  return { id, name, direction, connectorKind, enabled, config, secretsSealed };
}

/** Opens the task's source and target connectors; bad settings fail the step for good, naming the field. */
export function openEndpoints(deps: ActivityDeps, task: TaskRecord, actor: string): TaskEndpoints {
  let secrets: Record<string, string>;
  try {
    secrets = deps.secretBox.open<Record<string, string>>(task.secretsSealed) ?? {};
  } catch {
    // The reason (wrong key, corrupt value) is enough; the sealed value itself is never echoed.
    throw ApplicationFailure.create({ type: 'InvalidConfig', message: `connector.secrets: cannot be opened (wrong SYNC_CENTER_SECRET_KEY?)`, nonRetryable: true });
  }
  try {
    return openTaskEndpoints(
      { id: task.id, direction: task.direction, connector: { kind: task.connectorKind, settings: task.config.connector?.settings ?? {} } },
      secrets,
      { database: deps.database, actor, onHubChange: deps.onHubChange, rateBudgets: deps.rateBudgets },
      deps.connectorFactory,
    );
  } catch (error) {
    if (error instanceof ConnectorSettingsError) throw ApplicationFailure.create({ type: 'InvalidConfig', message: error.message, nonRetryable: true });
    throw error;
  }
}

/** The hub actor of a run's writes, for the audit log. */
export const runActor = (taskId: string): string => `sync:${taskId}`;

export async function closeEndpoints(endpoints: TaskEndpoints): Promise<void> {
  await Promise.all([endpoints.source.close?.(), endpoints.target.close?.()]);
}
