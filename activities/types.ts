/**
 * The activities the sync workflows call, as an interface only: workflows `import type` it and
 * `createActivities(deps)` in activities/index.ts implements it against Postgres, connectors and
 * the plan engine.
 *
 * Large data (snapshots, plans, item outcomes) stays in Postgres: every argument and result here
 * is a small reference or counter, because it is written to workflow history. No secret ever
 * appears in an argument, a result or an error message.
 *
 * Errors, as the workflows expect them:
 * - Transient (rate-limit codes, 429, 5xx, timeouts, expired token): throw
 *   `ApplicationFailure.create({ type: 'VendorTransient', message, nonRetryable: false,
 *   nextRetryDelay: vendorError.retryAfterMs })` — the retry policy honours `nextRetryDelay`, so
 *   the vendor's wait hint replaces the exponential back-off for that attempt.
 * - Permanent errors of one item (applyBatch, executePendingDeletion): record the item as failed
 *   with the vendor's code and message and do NOT throw; one bad record never aborts a run.
 * - Permanent errors of the whole step (task not found, credentials refused, invalid config):
 *   throw `ApplicationFailure.create({ type, message, nonRetryable: true })`; the run ends `failed`.
 */
import type { OpenCounts } from '../db/repos/pending-deletion-decisions';
import type { RealtimeRunInput, RealtimeRunResult } from './realtime-run';

export type RunTrigger = 'manual' | 'schedule' | 'realtime';
export type SyncDirection = 'upstream' | 'downstream';
/** Final status of a run, as stored in sync_runs (see docs/design.md "Statuses"). */
import type { RunFailureClass } from '../engine/failure-class';
import type { FinishedRunStatus, PendingDeletionStatus } from '../engine/statuses';
export type { FinishedRunStatus, PendingDeletionStatus } from '../engine/statuses';

/** What the workflows need to know about a task: no settings blob, no secrets. */
export interface TaskRunSettings {
  taskId: string;
  direction: SyncDirection;
  connectorKind: string;
  /** A disabled task keeps its triggers pending and starts no run until enabled again. */
  enabled: boolean;
  /** How long real-time triggers wait for more events before a run starts (sliding window). */
  realtimeDebounceMs: number;
}

export interface StartRunInput {
  taskId: string;
  /** A UUID chosen by the workflow; the sync_runs primary key. */
  runId: string;
  /** Temporal workflow id of the run, so results can link to the Temporal UI. */
  workflowId: string;
  trigger: RunTrigger;
  dryRun: boolean;
  /** Real-time run: source ids that changed. Absent: a full run. */
  changedIds?: string[];
  /** Who asked for the run: principals and/or `schedule`, `realtime`, `temporal-ui` (never a secret). */
  requestedBy?: string[];
}

export interface SnapshotInput {
  runId: string;
  changedIds?: string[];
}

export interface SnapshotResult {
  /** Opaque references to the stored snapshots. */
  sourceRef: string;
  targetRef: string;
  counts: { sourceDepartments: number; sourceUsers: number; targetDepartments: number; targetUsers: number };
  /** How the source was read (absent from results of workers before incremental reads): ops see it in the run's progress and result. */
  read?: RunReadSummary;
}

/** full: everything; incremental: the changes since the task's watermark (`changed` ids listed); changed-ids: a real-time run's ids. */
export interface RunReadSummary {
  kind: 'full' | 'incremental' | 'changed-ids';
  reason: string;
  changed?: number;
}

export interface PlanResult {
  /** Actions in the stored plan, staged ones included. */
  actions: number;
  /** Deletes held by deletion protection. */
  stagedDeletes: number;
  /** Other writes held by the mass-offboarding guard: freezes and moves to the top level (staged like deletes). */
  heldDisables: number;
  /** Number of batches applyBatch is called for, numbered 0..batches-1. */
  batches: number;
  /**
   * Per batch, the last earlier batch it must wait for (-1: none), from what its items read and
   * write (activities/batch-order.ts). Absent (older plans, a retried plan step): one at a time.
   */
  batchAfter?: number[];
  /** At most this many batches in flight at once (absent: one). */
  batchesInFlight?: number;
}

export interface ApplyBatchInput {
  runId: string;
  batch: number;
}

export interface ItemCounters {
  succeeded: number;
  failed: number;
  skipped: number;
}

/** Counters of two batches together (pure: the workflow bundle imports it too). */
export const addCounters = (a: ItemCounters, b: ItemCounters): ItemCounters => ({
  succeeded: a.succeeded + b.succeeded,
  failed: a.failed + b.failed,
  skipped: a.skipped + b.skipped,
});

export interface StageDeletionsResult {
  /** In plan order (users, then departments bottom-up): the order they are executed in. */
  pendingDeletionIds: string[];
}

/** Counts only: the staged items live in Postgres (a 100k-item list would pass the payload limit). */
export interface StageRunDeletionsResult {
  staged: number;
  kept: number;
  superseded: number;
}

export type DecisionAction = 'execute' | 'cancel';
export type DecisionAnswer = 'accepted' | 'already_decided' | 'already_canceled' | 'stale' | 'not_found';

export interface DecidePendingDeletionsInput {
  runId: string;
  action: DecisionAction;
  ids: string[];
  /** the API's authenticated principal */
  actor: string;
}

/** Accepted ids are only counted; every other id is listed with its answer (history stays small). */
export interface DecidePendingDeletionsResult {
  accepted: number;
  refused: Array<{ id: string; result: Exclude<DecisionAnswer, 'accepted'>; status?: PendingDeletionStatus }>;
}

/** A run's pending deletions by status, and the earliest expiry among PENDING ones (ISO, or null). */
export type ApprovalCounts = OpenCounts;

export interface ExecuteApprovedResult {
  succeeded: number;
  failed: number;
  superseded: number;
  /** approved items still waiting (the activity stops after a bounded number per attempt) */
  remaining: number;
}

export interface ReconcileApprovalsResult {
  /** runs with open items: each gets an approval workflow if it has none */
  runs: Array<{ runId: string; taskId: string }>;
  /** open items of deleted tasks, CANCELED */
  closed: number;
}

/** A run row closed because its workflow had closed (or was gone) without recording its outcome. */
export interface ReconciledRun {
  runId: string;
  status: 'failed' | 'canceled';
  reason: string;
}

export interface ReconcileRunsResult {
  closed: ReconciledRun[];
}

export interface FinishRunInput {
  runId: string;
  /** Forced outcome when the workflow failed or was cancelled; absent: computed from the items. */
  status?: 'failed' | 'canceled';
  /** Why it failed: a message without secrets. */
  error?: string;
  /** What kind of failure (engine/failure-class.ts), read from the step's typed failure; with status failed. Absent: finishRun reads it from the failed items. */
  failureClass?: RunFailureClass;
}

export interface ExecutePendingDeletionInput {
  pendingDeletionId: string;
  /** Who approved it, for the audit log. */
  actor: string;
}

export interface ExecutePendingDeletionResult {
  /** SUPERSEDED: fresh source state no longer wants it; CANCELED: it was closed before it ran */
  status: 'SUCCEEDED' | 'FAILED' | 'SUPERSEDED' | 'CANCELED';
  error?: string;
}

export interface MarkPendingDeletionsInput {
  ids: string[];
  /** FAILED only when executePendingDeletion itself failed without recording an outcome. */
  status: 'EXECUTING' | 'CANCELED' | 'FAILED';
  actor: string;
  error?: string;
}

export interface SyncActivities {
  /** Throws a non-retryable ApplicationFailure of type 'TaskNotFound' when the task is gone. */
  loadTaskForRun(input: { taskId: string }): Promise<TaskRunSettings>;
  /** Creates the sync_runs row (status running); idempotent on runId. */
  startRun(input: StartRunInput): Promise<void>;
  /**
   * Reads source and target (full, or only changedIds), stores both, returns references.
   * Must heartbeat at least every 20 s (e.g. once per page read).
   */
  snapshot(input: SnapshotInput): Promise<SnapshotResult>;
  /** Diffs the stored snapshots with links and match rules and stores the ordered plan. */
  plan(input: { runId: string }): Promise<PlanResult>;
  /**
   * Applies one batch of the stored plan and records each item's outcome. Idempotent per item:
   * it heartbeats a cursor (the index of the next item) and a retried attempt resumes from
   * `Context.current().info.heartbeatDetails`; items already recorded are not sent again.
   * Must heartbeat at least every 10 s, also while waiting on a vendor's rate limit.
   */
  applyBatch(input: ApplyBatchInput): Promise<ItemCounters>;
  /**
   * A small real-time run's snapshot, plan, apply and staging in one activity (activities/realtime-run.ts);
   * a plan that stages anything or needs several batches is handed back after planning (`applied: false`).
   */
  realtimeRun(input: RealtimeRunInput): Promise<RealtimeRunResult>;
  /** Records the run's staged deletes and held disables as PENDING deletions. Idempotent on runId. */
  stageDeletions(input: { runId: string }): Promise<StageDeletionsResult>;
  /** Stores final status, timing and counters; status computed from the items unless forced. */
  finishRun(input: FinishRunInput): Promise<{ status: FinishedRunStatus }>;
  /**
   * Performs one approved deletion (or held disable) and records SUCCEEDED or FAILED itself.
   * Idempotent: an account already gone counts as SUCCEEDED (a retry may follow a crash).
   */
  executePendingDeletion(input: ExecutePendingDeletionInput): Promise<ExecutePendingDeletionResult>;
  /** Records a decision on pending deletions before (EXECUTING) or instead of (CANCELED) running them. */
  markPendingDeletions(input: MarkPendingDeletionsInput): Promise<void>;
  /** Supersedes open items this run's plan no longer wants and stages its own; counts only. Idempotent. */
  stageRunDeletions(input: { runId: string }): Promise<StageRunDeletionsResult>;
  /** An approver's decision, written with its audit rows in one transaction; answers per id. */
  decidePendingDeletions(input: DecidePendingDeletionsInput): Promise<DecidePendingDeletionsResult>;
  /** Expires overdue PENDING items of the run, then counts what is still open. */
  approvalCounts(input: { runId: string }): Promise<ApprovalCounts>;
  /** Executes the run's approved (EXECUTING) items in plan order, re-checking each; heartbeats per item. */
  executeApprovedDeletions(input: { runId: string }): Promise<ExecuteApprovedResult>;
  /** Closes open items of deleted tasks and lists the runs that still have open items. */
  reconcileApprovals(input: Record<string, never>): Promise<ReconcileApprovalsResult>;
  /** Closes open run rows (older than `graceMs`, default 15 min) whose workflow is closed or gone, with the reason. */
  reconcileRuns(input: { graceMs?: number }): Promise<ReconcileRunsResult>;
  /** Deletes stored snapshots of runs finished before the retention (a bounded slice); `more` when some are left. */
  pruneRunSnapshots(input: Record<string, never>): Promise<PruneRunSnapshotsResult>;
  /**
   * Announces what a finished run raised on the task's and the global notification channels; each
   * (run, event, channel) once. Fails retryably while a channel's failure is transient.
   */
  notifyRun(input: { runId: string }): Promise<{ sent: number; alreadySent: number }>;
}

export interface PruneRunSnapshotsResult {
  /** runs whose snapshots were deleted */
  runs: number;
  more: boolean;
}
