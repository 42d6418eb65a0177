/**
 * The durable entity of one sync task (workflow id `sync-task:<taskId>`, started with
 * signal-with-start). It turns triggers into runs: one run at a time as a child workflow, triggers
 * arriving meanwhile coalesced into the next run and never dropped, real-time bursts throttled:
 * the first event starts its run at once, the events during that run make one next run, and runs
 * start at most once per `realtimeDebounceMs` (workflows/pending-runs.ts, throttleDeadline).
 *
 * History stays bounded under any signal rate: triggers coalesce into one pending run per kind
 * (ids past MAX_CHANGED_IDS make it full), and the workflow continues-as-new when its history
 * grows large, even mid-run: the run is a child under ABANDON that outlives the execution and
 * signals its end back, and the pending triggers and the current run travel in the new input.
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
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  rootCause,
  setHandler,
  sleep,
  startChild,
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
  runFinishedSignal,
  runWorkflowId,
  stateQuery,
  SyncDirectionKey,
  SyncTaskIdKey,
  triggerSignal,
  type LastRunOutcome,
  type PendingRun,
  type PendingRunSummary,
  type PendingRuns,
  type SyncRunInput,
  type SyncRunResult,
  type SyncTaskInput,
  type SyncTaskState,
  type TriggerRequest,
} from './definitions';
import { debounceDeadline, mergeTrigger, nextPendingRun, throttleDeadline, validateTrigger, withoutRun } from './pending-runs';
import { syncRunWorkflow } from './sync-run';
import { currentTraceContext, withTraceContext, type TraceContext } from './trace-context';
import { declareVersioningBehavior } from './versioning';

const DEFAULT_RUNS_PER_EXECUTION = 100;
/**
 * Continue-as-new well before the server's suggestion (4 MB / 4K events) and far below its
 * 50 MB / 51,200-event cap: a storm of real-time signals (up to 1,000 ids each) during a long run
 * must not grow one history without bound, and a worker that lost its cache fetches it whole.
 */
const DEFAULT_HISTORY_BYTES_LIMIT = 1_000_000;
const HISTORY_EVENTS_LIMIT = 4_000;

/** Bytes of the carried input as the JSON payload converter encodes it (no Node built-ins here). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

const summarize = (run: PendingRun): PendingRunSummary => ({
  runId: run.runId,
  trigger: run.trigger,
  full: run.full,
  changedIds: run.changedIds.length,
});

const isTaskGone = (err: unknown): boolean => err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === 'TaskNotFound';
const errorText = (err: unknown): string => rootCause(err) ?? (err instanceof Error ? err.message : String(err));

/** The run in progress; `detached` ones outlive a continue-as-new (ABANDON) and report by signal. */
interface CurrentRun {
  run: PendingRun;
  detached: boolean;
  /** Started by an earlier execution: not our child, cancelled by hand if the task is. */
  inherited: boolean;
  /** The server started the run's workflow. */
  started: boolean;
  outcome?: LastRunOutcome;
}

// Worker Deployment Versioning: open for months, it moves to each new build; changes of command order need patched().
declareVersioningBehavior('AUTO_UPGRADE', syncTaskWorkflow);

export async function syncTaskWorkflow(input: SyncTaskInput): Promise<void> {
  if (!input || typeof input.taskId !== 'string' || input.taskId === '') {
    throw ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: 'taskId: expected a non-empty string' });
  }
  const { taskId } = input;
  const runsPerExecution = input.runsPerExecution ?? DEFAULT_RUNS_PER_EXECUTION;
  const historyBytesLimit = input.historyBytesLimit ?? DEFAULT_HISTORY_BYTES_LIMIT;
  let pending: PendingRuns = input.pending ?? {};
  let paused = input.paused ?? false;
  let runsCompleted = input.runsCompleted ?? 0;
  let lastRun: LastRunOutcome | undefined = input.lastRun;
  let runsThisExecution = 0;
  let current: CurrentRun | undefined = input.running && { run: input.running, detached: true, inherited: true, started: true };
  let settings: TaskRunSettings | undefined;
  let settingsStale = true;
  let triggersReceived = 0;
  let lastRunStartedAt = input.lastRunStartedAt;

  // The first trigger's trace per pending run (workflows/trace-context.ts); memory only.
  const triggerTraces = new Map<string, TraceContext>();
  const enqueue = (request: TriggerRequest) => {
    const merged = mergeTrigger(pending, validateTrigger(request), uuid4(), Date.now());
    pending = merged.pending;
    if (!triggerTraces.has(merged.runId)) triggerTraces.set(merged.runId, currentTraceContext());
    triggersReceived++;
    return { runId: merged.runId, coalesced: merged.coalesced };
  };
  const runEnded = (outcome: LastRunOutcome) => {
    if (current && current.run.runId === outcome.runId && !current.outcome) current.outcome = outcome;
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
  setHandler(runFinishedSignal, (outcome) => {
    if (outcome && typeof outcome.runId === 'string') runEnded(outcome);
  });
  setHandler(stateQuery, (): SyncTaskState => {
    const running = current && !current.outcome ? current.run : undefined;
    return {
      taskId,
      // paused: no run starts now, whether an operator paused it or its settings disable it.
      paused: paused || settings?.enabled === false,
      enabled: settings?.enabled ?? false,
      running: running && { runId: running.runId, trigger: running.trigger, dryRun: running.dryRun, full: running.full, changedIds: running.changedIds.length },
      pending: { real: pending.real && summarize(pending.real), dry: pending.dry && summarize(pending.dry) },
      runsCompleted,
      lastRun,
    };
  });

  upsertSearchAttributes([{ key: SyncTaskIdKey, value: taskId }]);

  const runnable = () => (!paused && settings?.enabled ? nextPendingRun(pending) : undefined);
  // Measured from this execution's start: the carried input alone (pending ids) must never trigger it.
  // Not from the first workflow task: signals buffered before it (a slow or busy worker) count too,
  // or a storm piling up before that task would be excused and the history grow without bound.
  const startSize = patched('history-growth-counts-early-signals') ? Math.min(utf8Length(JSON.stringify(input)), workflowInfo().historySize) : workflowInfo().historySize;
  const historyLarge = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > HISTORY_EVENTS_LIMIT || info.historySize - startSize > historyBytesLimit;
  };
  const shouldContinueAsNew = () => runsThisExecution >= runsPerExecution || historyLarge();
  // A run started by code before runs outlived executions is our child under REQUEST_CANCEL: wait for it.
  // A detached run must have started (not merely been asked for) before the execution may end.
  const mayContinueAsNew = () => shouldContinueAsNew() && (!current || current.outcome !== undefined || (current.detached && current.started));
  /** Records the current run's outcome once known; true when the task is free to start the next. */
  const settleRun = (): boolean => {
    if (!current) return true;
    if (!current.outcome) return false;
    lastRun = current.outcome;
    current = undefined;
    runsCompleted++;
    runsThisExecution++;
    return true;
  };

  try {
    for (;;) {
      const free = settleRun();
      if (mayContinueAsNew()) break;
      if (!free) {
        await condition(() => current?.outcome !== undefined || mayContinueAsNew());
        continue;
      }
      let settingsJustLoaded = false;
      if (settingsStale) {
        settingsStale = false;
        try {
          // A normal activity, not a local one: what follows it reads the workflow clock and asks for
          // patches, and a local activity's result can be recorded in one workflow task and the commands
          // after it in the next (seen in test), which then replays out of step.
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
      const debounceMs = settings!.realtimeDebounceMs;
      // Only a run of plain real-time triggers can wait; histories from before the leading edge replay the sliding window.
      const leadingEdge = next.trigger === 'realtime' && next.coalesced !== true && patched('realtime-leading-edge');
      const deadline = leadingEdge ? throttleDeadline(next, debounceMs, lastRunStartedAt) : debounceDeadline(next, debounceMs);
      const wait = deadline - Date.now();
      if (wait > 0) {
        if (leadingEdge) {
          // The window is fixed by the last run's start: only a trigger that lets the run start sooner (a
          // manual or scheduled one) wakes the loop, so a storm of events costs no timer per signal.
          await condition(() => {
            const now = runnable();
            return settingsStale || paused || shouldContinueAsNew() || now?.runId !== next.runId || throttleDeadline(now, debounceMs, lastRunStartedAt) < deadline;
          }, wait);
        } else {
          // Any new trigger moves the deadline (or makes the run full): wake up and recompute it.
          const seen = triggersReceived;
          await condition(() => settingsStale || paused || triggersReceived !== seen || shouldContinueAsNew(), wait);
        }
        continue;
      }

      // No await lies between this load and the start below, so the run starts on what is stored now.
      if (!settingsJustLoaded && patched('settings-read-before-each-run')) {
        settingsStale = true;
        continue;
      }

      pending = withoutRun(pending, next.runId);
      const run: CurrentRun = { run: next, detached: patched('runs-outlive-executions'), inherited: false, started: false };
      current = run;
      lastRunStartedAt = Date.now();
      const trace = triggerTraces.get(next.runId);
      triggerTraces.delete(next.runId);
      const result = withTraceContext(trace, () => (run.detached ? startDetachedRun(taskId, next, () => void (run.started = true)) : executeRun(taskId, next, ParentClosePolicy.REQUEST_CANCEL)));
      void result.then(runEnded);
    }
  } catch (err) {
    // Deleting a task cancels its workflow; a run an earlier execution started is not our child, so cancel it by hand.
    if (isCancellation(err) && current?.inherited && !current.outcome) {
      const runId = runWorkflowId(taskId, current.run.runId);
      await CancellationScope.nonCancellable(() => getExternalWorkflowHandle(runId).cancel()).catch(() => undefined);
    }
    throw err;
  }

  await condition(allHandlersFinished);
  // A run that ended while we were about to continue-as-new is recorded here, or its outcome would be lost.
  settleRun();
  await continueAsNew<typeof syncTaskWorkflow>({
    taskId,
    pending,
    paused,
    runsCompleted,
    lastRun,
    runsPerExecution: input.runsPerExecution,
    historyBytesLimit: input.historyBytesLimit,
    running: current?.run,
    lastRunStartedAt,
  });
}

const runArgs = (taskId: string, run: PendingRun, notifyTask: boolean) =>
  [{ taskId, runId: run.runId, trigger: run.trigger, dryRun: run.dryRun, changedIds: run.full ? undefined : run.changedIds, requestedBy: run.requestedBy, ...(notifyTask ? { notifyTask } : {}) }] as [SyncRunInput];

/**
 * The run as a child under ABANDON, so it survives this execution's continue-as-new; it reports
 * its end by signal (notifyTask), and while we are still its parent also by its result.
 */
function startDetachedRun(taskId: string, run: PendingRun, onStarted: () => void): Promise<LastRunOutcome> {
  return outcomeOf(run, async () => {
    const handle = await startChild(syncRunWorkflow, {
      workflowId: runWorkflowId(taskId, run.runId),
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: runArgs(taskId, run, true),
    });
    onStarted();
    return handle.result();
  });
}

/** The form before runs outlived executions, kept for histories that started their run with it. */
function executeRun(taskId: string, run: PendingRun, parentClosePolicy: ParentClosePolicy): Promise<LastRunOutcome> {
  return outcomeOf(run, () =>
    executeChild(syncRunWorkflow, {
      workflowId: runWorkflowId(taskId, run.runId),
      // A task deleted (its workflow cancelled or terminated) cancels its run, which records 'canceled'.
      parentClosePolicy,
      args: runArgs(taskId, run, false),
    }),
  );
}

async function outcomeOf(run: PendingRun, execute: () => Promise<SyncRunResult>): Promise<LastRunOutcome> {
  try {
    const result = await execute();
    return { runId: run.runId, status: result.status };
  } catch (err) {
    // A run cancelled or failed on its own is just recorded; our own cancellation ends the loop's condition().
    const status = isCancellation(err) ? 'canceled' : 'failed';
    return { runId: run.runId, status, error: rootCause(err) ?? String(err) };
  }
}
