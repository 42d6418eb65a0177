/**
 * One run of a sync task: snapshot → plan → apply in batches → stage deletions → report.
 * A small real-time run does the middle four in one activity (realtimeRun, activities/realtime-run.ts).
 * The workflow carries only references and counters; the data lives in Postgres.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  rootCause,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { addCounters, type FinishedRunStatus, type PlanResult, type RunTrigger } from '../activities/types';
import { bookkeeping, LOCAL_BOOKKEEPING_PATCH, localBookkeeping, notifying, planning, reading, writing, writingWaitingOnCancel } from './activity-proxies';
import { pendingDeletionApprovalWorkflow } from './deletion-approval';
import { deletionApprovalWorkflow } from './deletion-approval-v1';
import { capRequesters, defaultRequester } from './pending-runs';
import {
  approvalWorkflowId,
  ConnectorKindKey,
  progressQuery,
  runFinishedSignal,
  SyncDirectionKey,
  SyncTaskIdKey,
  taskWorkflowId,
  type LastRunOutcome,
  type RunProgress,
  type SyncRunInput,
  type SyncRunResult,
} from './definitions';
import { declareVersioningBehavior } from './versioning';
import { failureClassOf } from '../engine/failure-class';

const TRIGGERS: readonly RunTrigger[] = ['manual', 'schedule', 'realtime'];

function requireRunInput(input: SyncRunInput): Required<Omit<SyncRunInput, 'changedIds'>> & Pick<SyncRunInput, 'changedIds'> {
  // Bad input from the Temporal UI must fail the run at once with the field named, not retry forever.
  const bad = (field: string, expected: string) =>
    ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `${field}: expected ${expected}` });
  if (!input || typeof input.taskId !== 'string' || input.taskId === '') throw bad('taskId', 'a non-empty string');
  if (input.runId !== undefined && (typeof input.runId !== 'string' || input.runId === '')) throw bad('runId', 'a non-empty string');
  if (input.trigger !== undefined && !TRIGGERS.includes(input.trigger)) throw bad('trigger', 'manual, schedule or realtime');
  if (input.dryRun !== undefined && typeof input.dryRun !== 'boolean') throw bad('dryRun', 'a boolean');
  if (input.changedIds !== undefined && (!Array.isArray(input.changedIds) || input.changedIds.some((id) => typeof id !== 'string'))) {
    throw bad('changedIds', 'an array of strings');
  }
  if (input.requestedBy !== undefined && (!Array.isArray(input.requestedBy) || input.requestedBy.some((name) => typeof name !== 'string' || name === ''))) {
    throw bad('requestedBy', 'an array of non-empty strings');
  }
  const trigger = input.trigger ?? 'manual';
  return {
    taskId: input.taskId,
    runId: input.runId ?? uuid4(),
    trigger,
    dryRun: input.dryRun ?? false,
    changedIds: input.changedIds,
    // Started directly (Temporal UI, tests) rather than by the task workflow.
    requestedBy: input.requestedBy?.length ? capRequesters(input.requestedBy) : [defaultRequester(trigger)],
    notifyTask: input.notifyTask === true,
  };
}

/** Patch id of the one-activity form of small real-time runs: histories from before it replay the separate steps. */
export const REALTIME_ONE_ACTIVITY_PATCH = 'realtime-run-one-activity';
/** Real-time runs of at most this many changed ids take the one activity (activities/realtime-run.ts). */
export const REALTIME_ONE_ACTIVITY_MAX_IDS = 100;

/** A real (not dry) real-time run of a few changed ids. */
export function isSmallRealtimeRun(trigger: RunTrigger, dryRun: boolean, changedIds: readonly string[] | undefined): boolean {
  return trigger === 'realtime' && !dryRun && changedIds !== undefined && changedIds.length > 0 && changedIds.length <= REALTIME_ONE_ACTIVITY_MAX_IDS;
}


/**
 * Announces the finished run (activities/notify-run.ts). A notification that cannot be sent is the
 * channel's problem, never the run's: its failure is swallowed here (the activity logged it).
 */
async function announce(runId: string): Promise<void> {
  if (!patched('run-notifications')) return;
  await CancellationScope.nonCancellable(async () => {
    try {
      await notifying.notifyRun({ runId });
    } catch {
      // retries exhausted or the channel refused: the run's outcome stands
    }
  });
}

const errorMessage = (err: unknown): string => (rootCause(err) ?? (err instanceof Error ? err.message : String(err))) || 'unknown error';

/** Starts the run's approval workflow (ids stay in Postgres); one the reconciler started first is kept. */
async function startApproval(runId: string, taskId: string): Promise<string> {
  const workflowId = approvalWorkflowId(runId);
  try {
    // ABANDON: approvals may take days and outlive the run, which does not wait for them.
    await startChild(pendingDeletionApprovalWorkflow, { workflowId, parentClosePolicy: ParentClosePolicy.ABANDON, args: [{ runId, taskId }] });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}

/**
 * Tells the task workflow the run ended. Gated by the input flag, not patched(): runs started
 * before it never carry the flag, so their replay never meets the signal command.
 */
async function notifyTask(taskId: string, outcome: LastRunOutcome): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    try {
      await getExternalWorkflowHandle(taskWorkflowId(taskId)).signal(runFinishedSignal, outcome);
    } catch {
      // The task workflow is gone (task deleted, terminated): nobody waits for this run.
    }
  });
}

/** Patch id of apply batches run several at a time; histories from before it apply one after another. */
export const CONCURRENT_APPLY_PATCH = 'apply-batches-concurrently';

/**
 * Applies the plan's batches, up to `plan.batchesInFlight` at once, so the vendor's budget is not
 * left idle while a batch drains and the next is scheduled. Plan order holds where it matters:
 * batches start in order, and batch b starts only once batches 0..plan.batchAfter[b] have all
 * finished (the last earlier batch writing what b's items read or write: a department before its
 * members, users before the leader pass). A plan without batchAfter goes one batch at a time.
 *
 * The first batch to fail stops new starts and cancels the others; the workflow waits until every
 * started batch has settled (WAIT_CANCELLATION_COMPLETED), also when the run itself is cancelled,
 * so no batch is still writing when the run records its outcome. Counters are those of the
 * batches that finished, as before.
 */
async function applyBatchesConcurrently(runId: string, plan: PlanResult, progress: RunProgress): Promise<void> {
  const total = plan.batches;
  const inFlightLimit = plan.batchAfter && plan.batchesInFlight && plan.batchesInFlight > 1 ? Math.floor(plan.batchesInFlight) : 1;
  const waitFor = (batch: number) => Math.min(batch - 1, plan.batchAfter?.[batch] ?? batch - 1);
  const finished: boolean[] = new Array<boolean>(total).fill(false);
  /** batches 0..prefix-1 have all finished */
  let prefix = 0;
  let running = 0;
  let failure: { error: unknown } | undefined;
  const settled: Promise<void>[] = [];
  const batches = new CancellationScope();
  try {
    await batches.run(async () => {
      for (let batch = 0; batch < total; batch++) {
        await condition(() => failure !== undefined || (running < inFlightLimit && prefix > waitFor(batch)));
        if (failure) break;
        running += 1;
        settled.push(
          writingWaitingOnCancel.applyBatch({ runId, batch }).then(
            (counters) => {
              running -= 1;
              progress.counters = addCounters(progress.counters, counters);
              progress.batchesDone += 1;
              finished[batch] = true;
              while (prefix < total && finished[prefix]) prefix += 1;
            },
            (error: unknown) => {
              running -= 1;
              if (failure) return;
              failure = { error };
              batches.cancel();
            },
          ),
        );
      }
      await condition(() => failure !== undefined || running === 0);
    });
  } catch (err) {
    // Our own cancel of the others after a failure ends the scope too: the batch's failure is the run's.
    if (failure === undefined) throw err;
  } finally {
    // Cancelled (the run) or failed (a batch): wait until every started batch has stopped.
    await CancellationScope.nonCancellable(() => Promise.all(settled));
  }
  if (failure) throw failure.error;
}

// Worker Deployment Versioning: a run finishes on the build it started on, so its code may change freely between deploys.
declareVersioningBehavior('PINNED', syncRunWorkflow);

/** The plan as the progress query and the result show it: without the per-batch schedule (550 numbers at 100k users). */
function summaryOf(plan: PlanResult): PlanResult {
  return { actions: plan.actions, stagedDeletes: plan.stagedDeletes, heldDisables: plan.heldDisables, batches: plan.batches };
}

export async function syncRunWorkflow(rawInput: SyncRunInput): Promise<SyncRunResult> {
  const { taskId, runId, trigger, dryRun, changedIds, requestedBy, notifyTask: notify } = requireRunInput(rawInput);
  const progress: RunProgress = { runId, phase: 'starting', batchesDone: 0, batchesTotal: 0, counters: { succeeded: 0, failed: 0, skipped: 0 } };
  setHandler(progressQuery, () => progress);

  // Decided once per run: a run begun with normal activities keeps them to its end. With local ones,
  // the patches asked for later are decided now: one first asked for right after a local activity
  // (run-notifications follows finishRun) can replay out of step, the activity's result recorded in
  // one workflow task and the commands after it in the next.
  const local = patched(LOCAL_BOOKKEEPING_PATCH);
  if (local) for (const id of ['approvals-in-postgres', 'run-notifications', CONCURRENT_APPLY_PATCH]) patched(id);
  // A small real-time run walks snapshot, plan, apply and staging in one activity (activities/realtime-run.ts):
  // about four workflow and activity tasks fewer on the real-time path. Decided here, with the patches above.
  const oneActivity = local && isSmallRealtimeRun(trigger, dryRun, changedIds) && patched(REALTIME_ONE_ACTIVITY_PATCH);
  const runBookkeeping = local ? localBookkeeping : bookkeeping;
  const task = await runBookkeeping.loadTaskForRun({ taskId });
  upsertSearchAttributes([
    { key: SyncTaskIdKey, value: taskId },
    { key: SyncDirectionKey, value: task.direction },
    { key: ConnectorKindKey, value: task.connectorKind },
  ]);
  await runBookkeeping.startRun({ taskId, runId, workflowId: workflowInfo().workflowId, trigger, dryRun, changedIds, requestedBy });

  try {
    let plan: PlanResult;
    let pendingDeletions = 0;
    let approvalId: string | undefined;
    // Set when the one activity applied and staged the plan itself.
    let applied = false;
    if (oneActivity) {
      progress.phase = 'snapshot';
      const fast = await writing.realtimeRun({ runId, changedIds: changedIds! });
      if (fast.read) progress.read = fast.read;
      plan = fast.plan;
      progress.plan = summaryOf(plan);
      progress.batchesTotal = plan.batches;
      if (fast.applied) {
        applied = true;
        progress.counters = fast.counters;
        progress.batchesDone = fast.batchesDone;
        // A resumed attempt's stored plan counts only batches left to do; it re-asked them all.
        progress.batchesTotal = Math.max(plan.batches, fast.batchesDone);
        pendingDeletions = fast.staged;
        if (pendingDeletions > 0) approvalId = await startApproval(runId, taskId);
      }
      // Not applied: the plan stages something (deletion protection) or is large; the normal steps below take it on.
    } else {
      progress.phase = 'snapshot';
      const snapshot = await reading.snapshot({ runId, changedIds });
      if (snapshot.read) progress.read = snapshot.read;

      progress.phase = 'plan';
      plan = await planning.plan({ runId });
      progress.plan = summaryOf(plan);
      progress.batchesTotal = dryRun ? 0 : plan.batches;
    }

    if (!dryRun && !applied) {
      progress.phase = 'apply';
      if (patched(CONCURRENT_APPLY_PATCH)) {
        await applyBatchesConcurrently(runId, plan, progress);
      } else {
        // Histories from before the patch: one batch after another, in plan order.
        for (let batch = 0; batch < plan.batches; batch++) {
          progress.counters = addCounters(progress.counters, await writing.applyBatch({ runId, batch }));
          progress.batchesDone = batch + 1;
        }
      }
      if (patched('approvals-in-postgres')) {
        // Every real run re-validates the task's open items, also when it stages nothing itself.
        progress.phase = 'staging';
        pendingDeletions = (await bookkeeping.stageRunDeletions({ runId })).staged;
        if (pendingDeletions > 0) approvalId = await startApproval(runId, taskId);
      } else if (plan.stagedDeletes + plan.heldDisables > 0) {
        // Runs that staged before the change replay the id-carrying form.
        progress.phase = 'staging';
        const pendingDeletionIds = (await bookkeeping.stageDeletions({ runId })).pendingDeletionIds;
        pendingDeletions = pendingDeletionIds.length;
        if (pendingDeletionIds.length > 0) {
          approvalId = approvalWorkflowId(runId);
          // ABANDON: approvals may take days and outlive the run, which does not wait for them.
          await startChild(deletionApprovalWorkflow, {
            workflowId: approvalId,
            parentClosePolicy: ParentClosePolicy.ABANDON,
            args: [{ runId, taskId, pendingDeletionIds }],
          });
        }
      }
    }

    progress.phase = 'finishing';
    const { status } = await runBookkeeping.finishRun({ runId });
    if (notify) await notifyTask(taskId, { runId, status });
    await announce(runId);
    progress.phase = 'done';
    return { runId, status, dryRun, plan: summaryOf(plan), counters: progress.counters, pendingDeletions, ...(progress.read ? { read: progress.read } : {}), approvalWorkflowId: approvalId };
  } catch (err) {
    const canceled = isCancellation(err);
    const status: FinishedRunStatus = canceled ? 'canceled' : 'failed';
    progress.phase = canceled ? 'canceled' : 'failed';
    // Non-cancellable: the run's row must record the outcome even when the run itself was cancelled.
    // The failure's class (auth, rate_limit, …) is read from the typed failure, not its text; only
    // the activity's input changes (no new command), so replay needs no patch.
    const failure = canceled ? {} : { failureClass: failureClassOf(err) };
    await CancellationScope.nonCancellable(() => runBookkeeping.finishRun({ runId, status, error: errorMessage(err), ...failure }));
    if (notify) await notifyTask(taskId, { runId, status, error: errorMessage(err) });
    if (!canceled) await announce(runId);
    throw err;
  }
}
