// Run bookkeeping: the task's run settings, the run row, and the final status with its counters.
import { advanceReadWatermark } from '../db/repos/read-watermarks';
import { finishRun as storeFinish, getRun, itemStatusCounts, startRun as insertRun } from '../db/repos/sync-runs';
import { itemStatuses } from '../engine/statuses';
import type { ActivityDeps } from './deps';
import { loadTaskRecord } from './task';
import type { FinishedRunStatus, FinishRunInput, StartRunInput, TaskRunSettings } from './types';

type StatusCount = Awaited<ReturnType<typeof itemStatusCounts>>[number];

/** Counters as docs/design.md lists them: departments (creates), department updates, users (creates), user updates, each success/total; plus staged, skipped, failed. */
export function runCounters(rows: readonly StatusCount[]): Record<string, number> {
  const counters: Record<string, number> = {
    departmentsSucceeded: 0,
    departmentsTotal: 0,
    departmentUpdatesSucceeded: 0,
    departmentUpdatesTotal: 0,
    usersSucceeded: 0,
    usersTotal: 0,
    userUpdatesSucceeded: 0,
    userUpdatesTotal: 0,
    // one counter per item status
    ...Object.fromEntries(itemStatuses.map((status) => [status, 0])),
  };
  for (const row of rows) {
    counters[row.status] += row.count;
    if (row.status === 'staged') continue;
    const create = row.action === 'CreateDepartment' || row.action === 'CreateUser';
    const group = row.entity === 'department' ? (create ? 'departments' : 'departmentUpdates') : create ? 'users' : 'userUpdates';
    counters[`${group}Total`] += row.count;
    if (row.status === 'succeeded') counters[`${group}Succeeded`] += row.count;
  }
  return counters;
}

/** All done → succeeded; some failed (or left planned) → partially_failed; nothing but those → failed. */
export function runStatus(counters: Record<string, number>, dryRun: boolean): FinishedRunStatus {
  // A dry run's planned items are the plan it was asked for, not unfinished work.
  if (dryRun) return 'succeeded';
  // An item still planned when a real run finishes was never applied: that run did not succeed.
  const unfinished = counters.failed + (counters.planned ?? 0);
  if (unfinished === 0) return 'succeeded';
  return counters.succeeded + counters.skipped === 0 ? 'failed' : 'partially_failed';
}

export function createRunActivities(deps: ActivityDeps) {
  const db = () => deps.database.db;
  return {
    async loadTaskForRun({ taskId }: { taskId: string }): Promise<TaskRunSettings> {
      const task = await loadTaskRecord(db(), taskId);
      return {
        taskId: task.id,
        direction: task.direction,
        connectorKind: task.connectorKind,
        enabled: task.enabled,
        realtimeDebounceMs: task.config.realtimeDebounceMs ?? 1000,
      };
    },

    async startRun(input: StartRunInput): Promise<void> {
      await insertRun(db(), input);
    },

    async finishRun({ runId, status, error }: FinishRunInput): Promise<{ status: FinishedRunStatus }> {
      const run = await getRun(db(), runId);
      if (!run) throw new Error(`runId: no run ${runId}`);
      const counters = runCounters(await itemStatusCounts(db(), runId));
      const final = status ?? runStatus(counters, run.dryRun);
      const stored = (await storeFinish(db(), { runId, status: final, counters, error })) as FinishedRunStatus;
      // Only a run that wrote everything it read moves the watermark: a failed one re-reads the same window.
      const read = run.read;
      if (stored === 'succeeded' && !run.dryRun && read?.watermark !== undefined && read.readConfig !== undefined && read.kind !== 'changed-ids') {
        await advanceReadWatermark(db(), {
          taskId: run.taskId,
          runId,
          runStartedAt: run.startedAt,
          watermark: read.watermark,
          readConfig: read.readConfig,
          fullRead: read.kind === 'full',
        });
      }
      return { status: stored };
    },
  };
}
