/**
 * The durable entity of one sync task (workflow id `sync-task:<taskId>`, started with
 * signal-with-start). It turns triggers into runs: one run at a time as a child workflow, triggers
 * arriving meanwhile coalesced into the next run and never dropped, real-time bursts debounced.
 *
 * Paused (or disabled in its settings): triggers are still merged into the pending run, and
 * nothing starts; on resume the pending run starts once. Unlike Entra, which forgets changes made
 * while paused, a resumed task therefore catches up straight away.
 *
 * Disabled is the stored setting, read again right before every run starts: not a flag that
 * signals toggle. A disable whose signal never came (the API died after its commit, Temporal was
 * down) or came after a later enable's (two requests racing) would otherwise leave the workflow's
 * idea of the task wrong for good. The pause signal remains as an operator's own switch.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  rootCause,
  setHandler,
  sleep,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { TaskRunSettings } from '../activities/types';
import { bookkeeping } from './activity-proxies';
import {
  configChangedSignal,
  ConnectorKindKey,
  pauseSignal,
  requestRunUpdate,
  resumeSignal,
  runWorkflowId,
  stateQuery,
  SyncDirectionKey,
  SyncTaskIdKey,
  triggerSignal,
  type LastRunOutcome,
  type PendingRun,
  type PendingRunSummary,
  type PendingRuns,
  type SyncTaskInput,
  type SyncTaskState,
  type TriggerRequest,
} from './definitions';
import { debounceDeadline, mergeTrigger, nextPendingRun, validateTrigger, withoutRun } from './pending-runs';
import { syncRunWorkflow } from './sync-run';

const DEFAULT_RUNS_PER_EXECUTION = 100;

const summarize = (run: PendingRun): PendingRunSummary => ({
  runId: run.runId,
  trigger: run.trigger,
  full: run.full,
  changedIds: run.changedIds.length,
});

const isTaskGone = (err: unknown): boolean => err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'TaskNotFound';
const errorText = (err: unknown): string => rootCause(err) ?? (err instanceof Error ? err.message : String(err));

export async function syncTaskWorkflow(input: SyncTaskInput): Promise<void> {
  if (!input || typeof input.taskId !== 'string' || input.taskId === '') {
    throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: 'taskId: expected a non-empty string' });
  }
  const { taskId } = input;
  const runsPerExecution = input.runsPerExecution ?? DEFAULT_RUNS_PER_EXECUTION;
  let pending: PendingRuns = input.pending ?? {};
  let paused = input.paused ?? false;
  let runsCompleted = input.runsCompleted ?? 0;
  let lastRun: LastRunOutcome | undefined = input.lastRun;
  let runsThisExecution = 0;
  let running: PendingRun | undefined;
  let settings: TaskRunSettings | undefined;
  let settingsStale = true;
  let triggersReceived = 0;

  const enqueue = (request: TriggerRequest) => {
    const merged = mergeTrigger(pending, validateTrigger(request), uuid4(), Date.now());
    pending = merged.pending;
    triggersReceived++;
    return { runId: merged.runId, coalesced: merged.coalesced };
  };

  setHandler(triggerSignal, (request) => {
    try {
      enqueue(request);
    } catch (err) {
      // A malformed signal must not fail the task's workflow: log it and keep going.
      log.warn('ignored invalid trigger', { taskId, error: err instanceof Error ? err.message : String(err) });
    }
  });
  setHandler(requestRunUpdate, (request) => enqueue(request), { validator: (request) => void validateTrigger(request) });
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(configChangedSignal, () => void (settingsStale = true));
  setHandler(stateQuery, (): SyncTaskState => ({
    taskId,
    // paused: no run starts now, whether an operator paused it or its settings disable it.
    paused: paused || settings?.enabled === false,
    enabled: settings?.enabled ?? false,
    running: running && { runId: running.runId, trigger: running.trigger, dryRun: running.dryRun, full: running.full, changedIds: running.changedIds.length },
    pending: { real: pending.real && summarize(pending.real), dry: pending.dry && summarize(pending.dry) },
    runsCompleted,
    lastRun,
  }));

  upsertSearchAttributes([{ key: SyncTaskIdKey, value: taskId }]);

  const runnable = () => (!paused && settings?.enabled ? nextPendingRun(pending) : undefined);
  const shouldContinueAsNew = () => runsThisExecution >= runsPerExecution || workflowInfo().continueAsNewSuggested;

  while (!shouldContinueAsNew()) {
    let settingsJustLoaded = false;
    if (settingsStale) {
      settingsStale = false;
      try {
        settings = await bookkeeping.loadTaskForRun({ taskId });
      } catch (err) {
        // Its retries are bounded: the database away that long must not end the entity and its
        // pending triggers. Only a deleted task (TaskNotFound) does.
        if (isCancellation(err) || isTaskGone(err)) throw err;
        log.warn('task settings could not be loaded; trying again in a minute', { taskId, error: errorText(err) });
        settingsStale = true;
        await sleep('1m');
        continue;
      }
      settingsJustLoaded = true;
      upsertSearchAttributes([
        { key: SyncDirectionKey, value: settings.direction },
        { key: ConnectorKindKey, value: settings.connectorKind },
      ]);
    }
    const next = runnable();
    if (!next) {
      await condition(() => settingsStale || runnable() !== undefined || shouldContinueAsNew());
      continue;
    }
    const wait = debounceDeadline(next, settings!.realtimeDebounceMs) - Date.now();
    if (wait > 0) {
      // Any new trigger moves the deadline (or makes the run full): wake up and recompute it.
      const seen = triggersReceived;
      await condition(() => settingsStale || paused || triggersReceived !== seen, wait);
      continue;
    }

    // No await lies between this load and the start below, so the run starts on what is stored now.
    if (!settingsJustLoaded && patched('settings-read-before-each-run')) {
      settingsStale = true;
      continue;
    }

    pending = withoutRun(pending, next.runId);
    running = next;
    lastRun = await runChild(taskId, next);
    running = undefined;
    runsCompleted++;
    runsThisExecution++;
  }

  await condition(allHandlersFinished);
  await continueAsNew<typeof syncTaskWorkflow>({ taskId, pending, paused, runsCompleted, lastRun, runsPerExecution: input.runsPerExecution });
}

async function runChild(taskId: string, run: PendingRun): Promise<LastRunOutcome> {
  try {
    const result = await executeChild(syncRunWorkflow, {
      workflowId: runWorkflowId(taskId, run.runId),
      // A task deleted (its workflow cancelled or terminated) cancels its run, which records 'canceled'.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      args: [{ taskId, runId: run.runId, trigger: run.trigger, dryRun: run.dryRun, changedIds: run.full ? undefined : run.changedIds, requestedBy: run.requestedBy }],
    });
    return { runId: run.runId, status: result.status };
  } catch (err) {
    // Only our own cancellation stops the task; a run cancelled or failed on its own is just recorded.
    if (CancellationScope.current().consideredCancelled) throw err;
    const status = isCancellation(err) ? 'canceled' : 'failed';
    return { runId: run.runId, status, error: rootCause(err) ?? String(err) };
  }
}
