// Run bookkeeping: the task's run settings, the run row, and the final status with its counters.
import { advanceReadWatermark } from '../db/repos/read-watermarks';
import { and, eq, gt, lte, lt, max, min } from 'drizzle-orm';
import { failedItemClassCounts, finishRun as storeFinish, getRun, itemStatusCounts, startRun as insertRun } from '../db/repos/sync-runs';
import { failureClassOfFailedItems } from '../engine/failure-class';
import { syncRuns, webhookInbox } from '../db/schema';
import { activeRunStatuses, itemStatuses } from '../engine/statuses';
import { realtimeLatencySeconds, runsFinished } from '../telemetry/metrics';
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

  async function countFinishedRun(runId: string, status: FinishedRunStatus): Promise<void> {
    const [run] = await db().select({ taskId: syncRuns.taskId, trigger: syncRuns.trigger, startedAt: syncRuns.startedAt, finishedAt: syncRuns.finishedAt }).from(syncRuns).where(eq(syncRuns.id, runId));
    if (!run) return;
    runsFinished.inc({ task: run.taskId, status, trigger: run.trigger });
    if (run.trigger !== 'realtime' || !run.finishedAt) return;
    // The changes this run carried arrived after the task's previous run started and before this one did.
    const [previous] = await db().select({ at: max(syncRuns.startedAt) }).from(syncRuns).where(and(eq(syncRuns.taskId, run.taskId), lt(syncRuns.startedAt, run.startedAt)));
    const window = [eq(webhookInbox.taskId, run.taskId), lte(webhookInbox.receivedAt, run.startedAt)];
    if (previous?.at) window.push(gt(webhookInbox.receivedAt, new Date(previous.at)));
    const [oldest] = await db().select({ at: min(webhookInbox.receivedAt) }).from(webhookInbox).where(and(...window));
    if (oldest?.at) realtimeLatencySeconds.observe({ task: run.taskId }, (run.finishedAt.getTime() - new Date(oldest.at).getTime()) / 1000);
  }
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

    async finishRun({ runId, status, error, failureClass }: FinishRunInput): Promise<{ status: FinishedRunStatus }> {
      const run = await getRun(db(), runId);
      if (!run) throw new Error(`runId: no run ${runId}`);
      const counters = runCounters(await itemStatusCounts(db(), runId));
      const final = status ?? runStatus(counters, run.dryRun);
      // A step's failure gives the class; a run that failed by its items (none by a step) takes the
      // class its failed items share (engine/failure-class.ts), counted in one aggregate query.
      let recordedClass = final === 'failed' ? (failureClass ?? null) : null;
      if (recordedClass === null && (final === 'failed' || final === 'partially_failed') && counters.failed > 0) {
        recordedClass = failureClassOfFailedItems(await failedItemClassCounts(db(), runId));
      }
      const stored = (await storeFinish(db(), { runId, status: final, counters, error, failureClass: recordedClass })) as FinishedRunStatus;
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
      // Counted once, by the attempt that closed the run (a retried finishRun finds it closed).
      if ((activeRunStatuses as readonly string[]).includes(run.status)) await countFinishedRun(runId, stored);
      return { status: stored };
    },
  };
}
