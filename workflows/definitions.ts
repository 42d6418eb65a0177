/**
 * Everything a client (API, CLI, tests) needs to talk to the sync workflows: input and result
 * shapes, signal/query/update definitions, search attribute keys and workflow ids.
 * Safe to import from Node code: it holds no workflow logic.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  DecidePendingDeletionsResult,
  DecisionAction,
  FinishedRunStatus,
  ItemCounters,
  PendingDeletionStatus,
  PlanResult,
  RunReadSummary,
  RunTrigger,
} from '../activities/types';

export const TASK_QUEUE = 'sync-center';

// Keyword search attributes: register them on the namespace (dev server: --search-attribute
// SyncTaskId=Keyword …) before workers run, or the workflows' upserts fail their workflow tasks.
export const SyncTaskIdKey = defineSearchAttributeKey('SyncTaskId', SearchAttributeType.KEYWORD);
export const SyncDirectionKey = defineSearchAttributeKey('SyncDirection', SearchAttributeType.KEYWORD);
export const ConnectorKindKey = defineSearchAttributeKey('ConnectorKind', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTE_KEYS = [SyncTaskIdKey, SyncDirectionKey, ConnectorKindKey];

export const taskWorkflowId = (taskId: string): string => `sync-task:${taskId}`;
export const runWorkflowId = (taskId: string, runId: string): string => `sync-run:${taskId}:${runId}`;
export const approvalWorkflowId = (runId: string): string => `deletion-approval:${runId}`;

// ---- syncRunWorkflow ----

export interface SyncRunInput {
  taskId: string;
  /** Defaults to a new UUID. */
  runId?: string;
  /** Defaults to 'manual'. */
  trigger?: RunTrigger;
  dryRun?: boolean;
  /** Real-time run over these source ids only; absent: a full run. */
  changedIds?: string[];
  /** Who asked for it (API principals, `schedule`, `realtime`, `temporal-ui`); absent: named after the trigger. */
  requestedBy?: string[];
  /**
   * Set by the task workflow: signal `runFinished` to `sync-task:<taskId>` at the end, so the task
   * learns the outcome even after it continued-as-new (and so stopped being this run's parent).
   */
  notifyTask?: boolean;
}

export type RunPhase = 'starting' | 'snapshot' | 'plan' | 'apply' | 'staging' | 'finishing' | 'done' | 'failed' | 'canceled';

export interface RunProgress {
  runId: string;
  phase: RunPhase;
  batchesDone: number;
  batchesTotal: number;
  counters: ItemCounters;
  plan?: PlanResult;
  /** how the source was read: full, incremental (changes since the task's watermark) or a real-time run's ids */
  read?: RunReadSummary;
}

export interface SyncRunResult {
  runId: string;
  status: FinishedRunStatus;
  dryRun: boolean;
  plan: PlanResult;
  counters: ItemCounters;
  pendingDeletions: number;
  /** how the source was read (absent when the snapshot step's worker predates incremental reads) */
  read?: RunReadSummary;
  /** Set when some deletes wait for approval in a deletionApprovalWorkflow. */
  approvalWorkflowId?: string;
}

export const progressQuery = defineQuery<RunProgress>('progress');

// ---- syncTaskWorkflow ----

export interface TriggerRequest {
  trigger: RunTrigger;
  dryRun?: boolean;
  /** Real-time triggers: changed source ids. A real-time trigger without ids means a full run. */
  changedIds?: string[];
  /**
   * The ids were already coalesced by the run that changed them (hub writes of an upstream run):
   * the run may start without a debounce window of its own. Absent or false: the task's window applies.
   */
  coalesced?: boolean;
  /**
   * Who asks: the API's authenticated principal (`token:<name>:<id>`), or what runTaskNowWorkflow was
   * given. Absent: named after the trigger (`schedule`, `realtime`). A name, never a credential.
   */
  requestedBy?: string;
}

/** A run waiting to start; triggers are merged into it (see pending-runs.ts). */
export interface PendingRun {
  runId: string;
  trigger: RunTrigger;
  dryRun: boolean;
  /** Full run: changedIds is ignored (and kept empty). */
  full: boolean;
  changedIds: string[];
  /** Workflow time (ms) of the first and the latest trigger merged in. */
  firstTriggerAt: number;
  lastTriggerAt: number;
  /** Every trigger merged in was `coalesced`: no debounce window. Absent on runs from before the option. */
  coalesced?: boolean;
  /** Set when coalesced triggers came after the latest plain one: that one's time, where the window slides from. Absent: lastTriggerAt. */
  debouncedTriggerAt?: number;
  /** Everyone whose trigger was merged in (bounded); absent on runs from before it was recorded. */
  requestedBy?: string[];
}

/** At most one real and one dry run wait at a time; a dry run never absorbs or is absorbed by a real one. */
export interface PendingRuns {
  real?: PendingRun;
  dry?: PendingRun;
}

export interface LastRunOutcome {
  runId: string;
  status: FinishedRunStatus;
  error?: string;
}

export interface SyncTaskInput {
  taskId: string;
  /** Carried across continue-as-new; callers normally omit it. */
  pending?: PendingRuns;
  paused?: boolean;
  runsCompleted?: number;
  lastRun?: LastRunOutcome;
  /** Continue-as-new after this many runs in one execution (default 100); also when the server suggests it. */
  runsPerExecution?: number;
  /** Carried across a continue-as-new mid-run: the run still going, whose `runFinished` signal the task waits for. */
  running?: PendingRun;
  /** Continue-as-new once this execution's history passes this many bytes beyond its start (default 1 MB; tests lower it). */
  historyBytesLimit?: number;
  /** Carried across continue-as-new: when the task's last run started (workflow time, ms), for the real-time window. */
  lastRunStartedAt?: number;
}

export interface SyncTaskState {
  taskId: string;
  paused: boolean;
  enabled: boolean;
  running?: { runId: string; trigger: RunTrigger; dryRun: boolean; full: boolean; changedIds: number };
  pending: { real?: PendingRunSummary; dry?: PendingRunSummary };
  runsCompleted: number;
  lastRun?: LastRunOutcome;
}

export interface PendingRunSummary {
  runId: string;
  trigger: RunTrigger;
  full: boolean;
  changedIds: number;
}

export const triggerSignal = defineSignal<[TriggerRequest]>('trigger');
/** Same as the trigger signal, but answers with the id of the run that will carry the trigger. */
export const requestRunUpdate = defineUpdate<{ runId: string; coalesced: boolean }, [TriggerRequest]>('requestRun');
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** The task was edited, enabled or disabled: reload its settings before the next run. */
export const configChangedSignal = defineSignal('configChanged');
export const stateQuery = defineQuery<SyncTaskState>('state');
/** A run started with `notifyTask` ended (also sent by whoever closes a run the task waits for). */
export const runFinishedSignal = defineSignal<[LastRunOutcome]>('runFinished');

// ---- deletionApprovalWorkflow ----

export interface DeletionApprovalInput {
  runId: string;
  taskId: string;
  pendingDeletionIds: string[];
  /** Carried across continue-as-new: the status of every item so far. */
  items?: ApprovalItem[];
}

export interface ApprovalItem {
  id: string;
  status: PendingDeletionStatus;
  actor?: string;
  error?: string;
}

export interface ApprovalDecision {
  ids: string[];
  actor: string;
}

/** An id the workflow did not act on, and why. */
export interface IgnoredDecision {
  id: string;
  action: 'execute' | 'cancel';
  reason: 'unknown' | 'canceled' | 'already_decided';
}

export interface ApprovalState {
  runId: string;
  taskId: string;
  items: ApprovalItem[];
  /** The most recent ignored decisions (bounded). */
  ignored: IgnoredDecision[];
}

export interface DeletionApprovalResult {
  runId: string;
  succeeded: number;
  failed: number;
  canceled: number;
}

export const executeSignal = defineSignal<[ApprovalDecision]>('execute');
export const cancelSignal = defineSignal<[ApprovalDecision]>('cancel');
export const itemsQuery = defineQuery<ApprovalState>('items');

// ---- pendingDeletionApprovalWorkflow (items in Postgres, decisions by Update) ----

export interface PendingDeletionApprovalInput {
  runId: string;
  taskId: string;
}

/** One approver decision; `actor` is the API's authenticated principal, never a request body field. */
export interface DecisionRequest {
  action: DecisionAction;
  ids: string[];
  actor: string;
}

/**
 * Ids per Update: the API splits bigger decisions. Each decision's ids are written to history
 * twice (the Update and its activity), ~80 kB per 1,000: small steps keep every payload and
 * every workflow task far below gRPC's 4 MB message limit.
 */
export const MAX_DECISION_IDS = 1000;
/** The validator's refusal while the workflow is about to continue-as-new: send the decision again. */
export const APPROVAL_BUSY = 'approval_busy';

export interface ApprovalProgress {
  runId: string;
  taskId: string;
  pending: number;
  executing: number;
  succeeded: number;
  failed: number;
  canceled: number;
  superseded: number;
}

export type PendingDeletionApprovalResult = Omit<ApprovalProgress, 'taskId' | 'pending' | 'executing'>;

export const decideUpdate = defineUpdate<DecidePendingDeletionsResult, [DecisionRequest]>('decide');
/** Items were closed in the database by another path (supersede, expiry, task re-pointed): recount now. */
export const itemsChangedSignal = defineSignal('itemsChanged');
export const approvalProgressQuery = defineQuery<ApprovalProgress>('approvalProgress');

export const snapshotRetentionWorkflowId = 'snapshot-retention';
export const snapshotRetentionScheduleId = 'snapshot-retention';

export const approvalReconcilerWorkflowId = 'deletion-approval-reconciler';
export const approvalReconcilerScheduleId = 'deletion-approval-reconciler';

export interface ApprovalReconcilerResult {
  /** runs whose open items got an approval workflow again */
  adopted: string[];
  /** open items of deleted tasks, CANCELED */
  closed: number;
  /** run rows left `running` by a workflow that had closed (terminated, timed out…) or was gone, now closed */
  runsClosed?: Array<{ runId: string; status: 'failed' | 'canceled'; reason: string }>;
}
