/**
 * An in-memory implementation of SyncActivities for workflow tests: it records every call and
 * keeps runs and pending deletions in maps, so tests assert what the workflows asked for.
 * Plans are scripted per task; anything else can be overridden per test.
 */
import type {
  DecidePendingDeletionsResult,
  FinishedRunStatus,
  FinishRunInput,
  ItemCounters,
  PendingDeletionStatus,
  PlanResult,
  StartRunInput,
  SyncActivities,
  TaskRunSettings,
} from '../../activities/types';
import { createRealtimeRunActivity } from '../../activities/realtime-run';

export interface ScriptedPlan {
  /** Outcome of each batch, in order; the batch count is its length. */
  batches: ItemCounters[];
  stagedDeletes?: number;
  heldDisables?: number;
  /** returned as the plan's batchAfter / batchesInFlight (absent: batches one at a time) */
  batchAfter?: number[];
  batchesInFlight?: number;
}

export interface RecordedRun extends StartRunInput {
  phases: string[];
  counters: ItemCounters;
  status?: FinishedRunStatus;
  error?: string;
  failureClass?: FinishRunInput['failureClass'];
}

export interface RecordedPendingDeletion {
  runId: string;
  status: PendingDeletionStatus;
  actor?: string;
  executions: number;
}

export interface InMemoryActivities {
  activities: SyncActivities;
  calls: { name: keyof SyncActivities; input: unknown }[];
  runs: Map<string, RecordedRun>;
  runsOf(taskId: string): RecordedRun[];
  pendingDeletions: Map<string, RecordedPendingDeletion>;
  /** Holds every snapshot call until the returned release() runs (to keep a run busy). */
  holdSnapshots(): () => void;
}

export function createInMemoryActivities(options: {
  tasks: Record<string, Partial<TaskRunSettings>>;
  plans?: Record<string, ScriptedPlan>;
  overrides?: Partial<SyncActivities>;
}): InMemoryActivities {
  const calls: InMemoryActivities['calls'] = [];
  const runs = new Map<string, RecordedRun>();
  const pendingDeletions = new Map<string, RecordedPendingDeletion>();
  let snapshotGate: Promise<void> | undefined;

  const record = (name: keyof SyncActivities, input: unknown) => calls.push({ name, input });
  const runOf = (runId: string): RecordedRun => {
    const run = runs.get(runId);
    if (!run) throw new Error(`runId: no run ${runId} was started`);
    return run;
  };
  const planOf = (runId: string): ScriptedPlan => options.plans?.[runOf(runId).taskId] ?? { batches: [] };

  const activities: SyncActivities = {
    async loadTaskForRun({ taskId }) {
      record('loadTaskForRun', { taskId });
      const task = options.tasks[taskId];
      if (!task) throw new Error(`taskId: unknown task ${taskId}`);
      return { taskId, direction: 'downstream', connectorKind: 'wecom', enabled: true, realtimeDebounceMs: 1000, ...task };
    },
    async startRun(input) {
      record('startRun', input);
      if (!runs.has(input.runId)) runs.set(input.runId, { ...input, phases: ['start'], counters: { succeeded: 0, failed: 0, skipped: 0 } });
    },
    async snapshot(input) {
      record('snapshot', input);
      runOf(input.runId).phases.push('snapshot');
      await snapshotGate;
      return { sourceRef: `source:${input.runId}`, targetRef: `target:${input.runId}`, counts: { sourceDepartments: 1, sourceUsers: 2, targetDepartments: 1, targetUsers: 2 } };
    },
    async plan({ runId }) {
      record('plan', { runId });
      runOf(runId).phases.push('plan');
      const plan = planOf(runId);
      const result: PlanResult = {
        actions: plan.batches.reduce((sum, b) => sum + b.succeeded + b.failed + b.skipped, 0),
        stagedDeletes: plan.stagedDeletes ?? 0,
        heldDisables: plan.heldDisables ?? 0,
        batches: plan.batches.length,
        ...(plan.batchAfter ? { batchAfter: plan.batchAfter } : {}),
        ...(plan.batchesInFlight ? { batchesInFlight: plan.batchesInFlight } : {}),
      };
      return result;
    },
    async applyBatch({ runId, batch }) {
      record('applyBatch', { runId, batch });
      const run = runOf(runId);
      run.phases.push(`apply:${batch}`);
      const outcome = planOf(runId).batches[batch];
      run.counters = {
        succeeded: run.counters.succeeded + outcome.succeeded,
        failed: run.counters.failed + outcome.failed,
        skipped: run.counters.skipped + outcome.skipped,
      };
      return outcome;
    },
    async stageDeletions({ runId }) {
      record('stageDeletions', { runId });
      runOf(runId).phases.push('stage');
      const plan = planOf(runId);
      const count = (plan.stagedDeletes ?? 0) + (plan.heldDisables ?? 0);
      const ids = Array.from({ length: count }, (_, i) => `${runId}:del-${i}`);
      for (const id of ids) if (!pendingDeletions.has(id)) pendingDeletions.set(id, { runId, status: 'PENDING', executions: 0 });
      return { pendingDeletionIds: ids };
    },
    async finishRun({ runId, status, error, failureClass }) {
      record('finishRun', { runId, status, error, ...(failureClass ? { failureClass } : {}) });
      const run = runOf(runId);
      run.phases.push('finish');
      const { succeeded, failed } = run.counters;
      run.status = status ?? (failed === 0 ? 'succeeded' : succeeded > 0 ? 'partially_failed' : 'failed');
      run.error = error;
      run.failureClass = failureClass;
      return { status: run.status };
    },
    async executePendingDeletion({ pendingDeletionId, actor }) {
      record('executePendingDeletion', { pendingDeletionId, actor });
      const item = pendingDeletions.get(pendingDeletionId);
      if (!item) throw new Error(`pendingDeletionId: unknown ${pendingDeletionId}`);
      if (item.status === 'CANCELED') throw new Error(`pendingDeletionId: ${pendingDeletionId} was canceled`);
      item.executions++;
      item.status = 'SUCCEEDED';
      item.actor = actor;
      return { status: 'SUCCEEDED' };
    },
    async markPendingDeletions({ ids, status, actor }) {
      record('markPendingDeletions', { ids, status, actor });
      for (const id of ids) {
        const item = pendingDeletions.get(id);
        if (item) Object.assign(item, { status, actor });
      }
    },
    async stageRunDeletions({ runId }) {
      record('stageRunDeletions', { runId });
      runOf(runId).phases.push('stage');
      const plan = planOf(runId);
      const count = (plan.stagedDeletes ?? 0) + (plan.heldDisables ?? 0);
      for (let i = 0; i < count; i++) {
        const id = `${runId}:del-${i}`;
        if (!pendingDeletions.has(id)) pendingDeletions.set(id, { runId, status: 'PENDING', executions: 0 });
      }
      return { staged: count, kept: 0, superseded: 0 };
    },
    // The real composition over the steps above (and their overrides), as the worker wires it.
    async realtimeRun(input) {
      record('realtimeRun', input);
      const steps = createRealtimeRunActivity({
        snapshot: (i) => activities.snapshot(i),
        plan: (i) => activities.plan(i),
        applyBatch: (i) => activities.applyBatch(i),
        stageRunDeletions: (i) => activities.stageRunDeletions(i),
        planStored: async (runId) => runOf(runId).phases.includes('plan'),
      });
      return steps(input);
    },
    async decidePendingDeletions({ runId, action, ids, actor }) {
      record('decidePendingDeletions', { runId, action, ids, actor });
      const refused: DecidePendingDeletionsResult['refused'] = [];
      let accepted = 0;
      for (const id of new Set(ids)) {
        const item = pendingDeletions.get(id);
        if (!item || item.runId !== runId) refused.push({ id, result: 'not_found' });
        else if (item.status === 'PENDING' || item.status === 'FAILED') {
          Object.assign(item, { status: action === 'execute' ? 'EXECUTING' : 'CANCELED', actor });
          accepted++;
        } else refused.push({ id, result: item.status === 'CANCELED' ? 'already_canceled' : item.status === 'SUPERSEDED' ? 'stale' : 'already_decided', status: item.status });
      }
      return { accepted, refused };
    },
    async approvalCounts({ runId }) {
      record('approvalCounts', { runId });
      const of = (status: PendingDeletionStatus) => [...pendingDeletions.values()].filter((item) => item.runId === runId && item.status === status).length;
      return { pending: of('PENDING'), executing: of('EXECUTING'), succeeded: of('SUCCEEDED'), failed: of('FAILED'), canceled: of('CANCELED'), superseded: of('SUPERSEDED'), nextExpiryAt: null };
    },
    async executeApprovedDeletions({ runId }) {
      record('executeApprovedDeletions', { runId });
      const result = { succeeded: 0, failed: 0, superseded: 0, remaining: 0 };
      for (const [id, item] of pendingDeletions) {
        if (item.runId !== runId || item.status !== 'EXECUTING') continue;
        const outcome = await activities.executePendingDeletion({ pendingDeletionId: id, actor: item.actor ?? 'unknown' });
        item.status = outcome.status;
        if (outcome.status === 'SUCCEEDED') result.succeeded++;
        else if (outcome.status === 'FAILED') result.failed++;
        else if (outcome.status === 'SUPERSEDED') result.superseded++;
      }
      return result;
    },
    async reconcileApprovals() {
      record('reconcileApprovals', {});
      const open = [...pendingDeletions.values()].filter((item) => item.status === 'PENDING' || item.status === 'EXECUTING');
      return { runs: [...new Set(open.map((item) => item.runId))].map((runId) => ({ runId, taskId: runs.get(runId)?.taskId ?? 'unknown' })), closed: 0 };
    },
    async reconcileRuns(input) {
      record('reconcileRuns', input);
      return { closed: [] };
    },
    async pruneRunSnapshots() {
      record('pruneRunSnapshots', {});
      return { runs: 0, more: false };
    },
    async notifyRun(input) {
      record('notifyRun', input);
      return { sent: 0, alreadySent: 0 };
    },
    ...options.overrides,
  };

  return {
    activities,
    calls,
    runs,
    runsOf: (taskId) => [...runs.values()].filter((run) => run.taskId === taskId),
    pendingDeletions,
    holdSnapshots() {
      let release!: () => void;
      snapshotGate = new Promise((resolve) => (release = resolve));
      return () => {
        snapshotGate = undefined;
        release();
      };
    },
  };
}

/** Polls until check() is truthy; Temporal visibility and child runs settle asynchronously. */
export async function eventually<T>(check: () => T | Promise<T>, what: string, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
