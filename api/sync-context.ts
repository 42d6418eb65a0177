// What the sync-task, run and approval routes share: their repositories, the Temporal control, and
// the rule that a Temporal or configuration gap answers 503 instead of failing obscurely.
import { connectorCatalog } from '../connectors/definitions';
import { DatabaseQueryError } from '../db/query-errors';
import { ConflictError, NotFoundError, ValidationError } from '../db/repos/errors';
import { createRunQueries, type RunQueries } from '../db/repos/run-queries';
import { createSyncTasks, type SyncTasks, type SyncTaskView } from '../db/repos/sync-tasks';
import type { TaskSchedule } from '../engine/schedule';
import { ApiError } from './errors';
import type { ApiDeps } from './server';
import type { TaskForTemporal, TemporalControl } from './temporal-control';

export interface SyncContext {
  runs: RunQueries;
  /** 503 when no secret key is configured: a task cannot be stored without sealing its secrets */
  tasks(): SyncTasks;
  /** 503 when the API runs without Temporal */
  temporal(): TemporalControl;
  hasTemporal: boolean;
}

export function syncContext(deps: ApiDeps): SyncContext {
  const db = deps.database.db;
  const tasks = deps.secretBox ? createSyncTasks(db, { secretBox: deps.secretBox, kinds: connectorCatalog, connectorSettingsIssues: deps.connectorSettingsIssues }) : undefined;
  return {
    runs: createRunQueries(db),
    tasks() {
      if (!tasks) throw new ApiError(503, 'not_configured', 'sync tasks need SYNC_CENTER_SECRET_KEY to seal connector secrets');
      return tasks;
    },
    temporal() {
      if (!deps.temporal) throw new ApiError(503, 'temporal_unavailable', 'this API runs without a Temporal connection');
      return deps.temporal;
    },
    hasTemporal: deps.temporal !== undefined,
  };
}

/**
 * Runs a Temporal call; a failure becomes 503 with what was attempted (messages carry ids, never
 * secrets). A database or repository error inside the call is not an outage of Temporal: it keeps
 * its own answer (400/404/409, or a generic 500 that only the log explains).
 */
export async function viaTemporal<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ApiError || err instanceof DatabaseQueryError || err instanceof ValidationError || err instanceof NotFoundError || err instanceof ConflictError) throw err;
    throw new ApiError(503, 'temporal_unavailable', `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function taskForTemporal(task: SyncTaskView): TaskForTemporal {
  const schedule = (task.config.triggers as { schedule?: TaskSchedule } | undefined)?.schedule;
  return { id: task.id, direction: task.direction, connectorKind: task.connectorKind, enabled: task.enabled, ...(schedule ? { schedule } : {}) };
}
