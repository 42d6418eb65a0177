// How the API drives Temporal for a task: its long-running workflow (signal-with-start, search
// attributes, resume, configChanged), its Schedule, run requests (update-with-start), live
// progress of a run, and approval decisions. Only ids and flags travel: never a secret.
import {
  ScheduleNotFoundError,
  WorkflowUpdateFailedError,
  ScheduleOverlapPolicy,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Duration, SearchAttributePair } from '@temporalio/common';
import { toScheduleSpec, type TaskSchedule } from '../engine/schedule';
import type { DecidePendingDeletionsResult } from '../activities/types';
import {
  APPROVAL_BUSY,
  approvalWorkflowId,
  cancelSignal,
  decideUpdate,
  type DecisionRequest,
  type PendingDeletionApprovalInput,
  configChangedSignal,
  ConnectorKindKey,
  executeSignal,
  itemsChangedSignal,
  progressQuery,
  requestRunUpdate,
  resumeSignal,
  SyncDirectionKey,
  SyncTaskIdKey,
  taskWorkflowId,
  type RunProgress,
  type SyncTaskInput,
} from '../workflows/definitions';
import type { pendingDeletionApprovalWorkflow } from '../workflows/deletion-approval';
import type { ScheduledTriggerInput, scheduledTriggerWorkflow } from '../workflows/scheduled-trigger';
import type { syncTaskWorkflow } from '../workflows/sync-task';

export const scheduleId = (taskId: string): string => `sync-schedule:${taskId}`;
export const scheduledTriggerWorkflowId = (taskId: string): string => `sync-schedule-trigger:${taskId}`;

/** What Temporal needs to know about a task: identity, labels for search, on/off, and the schedule. */
export interface TaskForTemporal {
  id: string;
  direction: string;
  connectorKind: string;
  enabled: boolean;
  schedule?: TaskSchedule;
}

export interface RunRequest {
  dryRun?: boolean;
  /** Source ids to re-read (retry of failed items); how they narrow the run is the task workflow's rule. */
  changedIds?: string[];
  /** The authenticated principal asking (auditActor), recorded on the run; a name, never a token. */
  requestedBy?: string;
}

export type ApprovalAction = 'execute' | 'cancel';

export interface TemporalControl {
  /** Starts the task workflow if needed, tells it the settings changed (it reads enabled from the database), resumes it when enabled, and creates, updates or deletes its Schedule. */
  ensureTask(task: TaskForTemporal): Promise<void>;
  /** Hands a manual trigger to the task workflow (starting it if needed); answers the run that will carry it. */
  requestRun(task: TaskForTemporal, request: RunRequest): Promise<{ runId: string; coalesced: boolean }>;
  /** Deletes the Schedule and cancels the task workflow (which cancels its current run). Idempotent. */
  removeTask(taskId: string): Promise<void>;
  /** Live progress of a run workflow; undefined when it is gone or no worker answers in time. */
  runProgress(workflowId: string): Promise<RunProgress | undefined>;
  /** Signals a run's first-version deletionApprovalWorkflow; 'closed' when it has already finished. */
  signalApproval(runId: string, action: ApprovalAction, ids: string[], actor: string): Promise<'signaled' | 'closed'>;
  /**
   * Sends a decision (at most MAX_DECISION_IDS ids of one run) as the Update of the run's approval
   * workflow, starting the workflow again when none is running (orphaned rows are adopted, never
   * answered "closed"). 'v1' when a first-version workflow owns the run: signal it instead.
   */
  decideApproval(run: { runId: string; taskId: string }, request: DecisionRequest): Promise<DecidePendingDeletionsResult | 'v1'>;
  /**
   * Tells the approval workflows of these runs that their items were closed in the database by
   * another path (a task re-pointed), so they recount. A run with no approval workflow running is
   * skipped; other failures reject, after every run was tried.
   */
  approvalItemsChanged(runIds: readonly string[]): Promise<void>;
}

export interface TemporalControlOptions {
  taskQueue: string;
  /** How long a progress query may take before the API answers without it (default 3 s). */
  queryTimeoutMs?: number;
  /** Late fires inside this window still run after a server outage (default 1 h); coalescing makes several one run. */
  catchupWindow?: Duration;
  /** How long a decision waits for a run's approval workflow that has not started yet (default 10 s). */
  approvalStartWaitMs?: number;
  /** How long a decision is sent again while the approval workflow continues-as-new (default 2 min). */
  approvalBusyWaitMs?: number;
}

function searchAttributesOf(task: TaskForTemporal): SearchAttributePair[] {
  return [
    { key: SyncTaskIdKey, value: task.id },
    { key: SyncDirectionKey, value: task.direction },
    { key: ConnectorKindKey, value: task.connectorKind },
  ];
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createTemporalControl(client: Client, options: TemporalControlOptions): TemporalControl {
  const { taskQueue } = options;
  const queryTimeoutMs = options.queryTimeoutMs ?? 3000;
  const approvalStartWaitMs = options.approvalStartWaitMs ?? 10_000;
  const approvalBusyWaitMs = options.approvalBusyWaitMs ?? 120_000;

  const taskWorkflowStart = (task: TaskForTemporal) => ({
    workflowId: taskWorkflowId(task.id),
    taskQueue,
    args: [{ taskId: task.id }] as [SyncTaskInput],
    typedSearchAttributes: searchAttributesOf(task),
  });

  function scheduleDefinition(task: TaskForTemporal, schedule: TaskSchedule) {
    const action: ScheduleOptionsStartWorkflowAction<typeof scheduledTriggerWorkflow> = {
      type: 'startWorkflow',
      workflowType: 'scheduledTriggerWorkflow',
      args: [{ taskId: task.id } satisfies ScheduledTriggerInput],
      taskQueue,
      // The server appends each fire time, so every fire has its own id.
      workflowId: scheduledTriggerWorkflowId(task.id),
      typedSearchAttributes: searchAttributesOf(task),
      workflowExecutionTimeout: '10m',
    };
    return {
      spec: toScheduleSpec(schedule) as ScheduleSpec,
      action,
      // The trigger workflow ends in milliseconds; buffering one fire never loses a schedule tick.
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: options.catchupWindow ?? ('1h' as Duration), pauseOnFailure: false },
      typedSearchAttributes: searchAttributesOf(task),
    };
  }

  const pausedNote = (enabled: boolean) => (enabled ? 'task enabled' : 'task disabled in Sync Center');

  async function syncSchedule(task: TaskForTemporal): Promise<void> {
    const handle = client.schedule.getHandle(scheduleId(task.id));
    if (!task.schedule) {
      await handle.delete().catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
      return;
    }
    const definition = scheduleDefinition(task, task.schedule);
    let described;
    try {
      described = await handle.describe();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await client.schedule.create({ scheduleId: scheduleId(task.id), ...definition, state: { paused: !task.enabled, note: pausedNote(task.enabled) } });
      return;
    }
    await handle.update(() => ({ ...definition, state: { paused: !task.enabled, note: pausedNote(task.enabled) } }));
    // An update may keep the old pause state on some servers: make it explicit.
    if (described.state.paused === task.enabled) {
      await (task.enabled ? handle.unpause(pausedNote(true)) : handle.pause(pausedNote(false)));
    }
  }

  return {
    async ensureTask(task) {
      const handle = await client.workflow.signalWithStart<typeof syncTaskWorkflow, []>('syncTaskWorkflow', {
        ...taskWorkflowStart(task),
        signal: configChangedSignal,
        signalArgs: [],
      });
      // The workflow reads enabled from the database before every run (configChanged makes it read
      // now), so a disable needs no signal of its own: a pause signal could arrive after a later
      // enable's and stick. An enable also clears a pause an operator (or an older version) set.
      if (task.enabled) await handle.signal(resumeSignal);
      await syncSchedule(task);
    },

    async requestRun(task, request) {
      const startWorkflowOperation = new WithStartWorkflowOperation<typeof syncTaskWorkflow>('syncTaskWorkflow', {
        ...taskWorkflowStart(task),
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      return client.workflow.executeUpdateWithStart(requestRunUpdate, {
        args: [
          {
            trigger: 'manual',
            dryRun: request.dryRun ?? false,
            ...(request.changedIds?.length ? { changedIds: request.changedIds } : {}),
            ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
          },
        ],
        startWorkflowOperation,
      });
    },

    async removeTask(taskId) {
      await client.schedule
        .getHandle(scheduleId(taskId))
        .delete()
        .catch((err: unknown) => {
          if (!(err instanceof ScheduleNotFoundError)) throw err;
        });
      await client.workflow
        .getHandle(taskWorkflowId(taskId))
        .cancel()
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
    },

    async runProgress(workflowId) {
      try {
        return await withTimeout(client.workflow.getHandle(workflowId).query(progressQuery), queryTimeoutMs);
      } catch {
        // Progress is a nicety on top of the stored run: a gone workflow or busy worker must not fail GET /runs/:id.
        return undefined;
      }
    },

    async decideApproval({ runId, taskId }, request) {
      // The workflow may end between our start check and the Update: one more try starts it afresh.
      // While it continues-as-new it refuses Updates as busy: those are sent again shortly.
      const busyDeadline = Date.now() + approvalBusyWaitMs;
      for (let attempt = 0; ; attempt++) {
        const startWorkflowOperation = new WithStartWorkflowOperation<typeof pendingDeletionApprovalWorkflow>('pendingDeletionApprovalWorkflow', {
          workflowId: approvalWorkflowId(runId),
          taskQueue,
          args: [{ runId, taskId } satisfies PendingDeletionApprovalInput],
          workflowIdConflictPolicy: 'USE_EXISTING',
          typedSearchAttributes: [{ key: SyncTaskIdKey, value: taskId }],
        });
        try {
          return await client.workflow.executeUpdateWithStart(decideUpdate, { args: [request], startWorkflowOperation });
        } catch (err) {
          const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
          if (cause?.message.startsWith(APPROVAL_BUSY) && Date.now() < busyDeadline) {
            attempt--;
            await new Promise((resolve) => setTimeout(resolve, 250));
            continue;
          }
          // Only a first-version workflow lacks the handler; anything else is a real error to report.
          if (cause?.message.includes('No registered handler for update')) {
            const described = await client.workflow.getHandle(approvalWorkflowId(runId)).describe();
            if (described.type === 'deletionApprovalWorkflow') return 'v1';
          }
          if (attempt < 2 && !(err instanceof WorkflowUpdateFailedError) && /completed|not found/i.test((err as Error).message)) continue;
          throw err;
        }
      }
    },

    async approvalItemsChanged(runIds) {
      const outcomes = await Promise.allSettled(runIds.map((runId) => client.workflow.getHandle(approvalWorkflowId(runId)).signal(itemsChangedSignal)));
      const failed = outcomes.flatMap((o) => (o.status === 'rejected' && !(o.reason instanceof WorkflowNotFoundError) ? [o.reason as unknown] : []));
      if (failed.length > 0) throw failed[0];
    },

    async signalApproval(runId, action, ids, actor) {
      const handle = client.workflow.getHandle(approvalWorkflowId(runId));
      const deadline = Date.now() + approvalStartWaitMs;
      for (;;) {
        try {
          await handle.signal(action === 'execute' ? executeSignal : cancelSignal, { ids, actor });
          return 'signaled';
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          // A run stores its staged deletions a moment before it starts their approval workflow:
          // an approver that fast waits for it (and signals again once it runs), while a closed one
          // answers at once.
          const status = await handle.describe().then(
            (described) => described.status.name,
            () => 'NOT_STARTED' as const,
          );
          if (status === 'RUNNING' && Date.now() < deadline) continue;
          if (status !== 'NOT_STARTED' || Date.now() >= deadline) return 'closed';
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    },
  };
}
