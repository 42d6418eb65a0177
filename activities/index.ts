// createActivities(deps): the SyncActivities the workflows call, against Postgres, the connectors
// and the plan engine. One small module per step; this file only wires them together.
import { createApplyActivity } from './apply';
import { createApprovalActivities } from './approvals';
import {
  createExecutePendingDeletionActivity,
  createMarkPendingDeletionsActivity,
  createStageDeletionsActivity,
  createStageRunDeletionsActivity,
} from './deletions';
import type { ActivityDeps } from './deps';
import { withHeartbeats } from './heartbeat';
import { createNotifyRunActivity } from './notify-run';
import { createPlanActivity } from './plan';
import { createRealtimeRunActivity, planStoredIn } from './realtime-run';
import { createReconcileRunsActivity } from './reconcile-runs';
import { createPruneRunSnapshotsActivity } from './retention';
import { createRunActivities } from './runs';
import { createSnapshotActivity } from './snapshot';
import type { SyncActivities } from './types';
import { withActivityLogs } from '../telemetry/activity-log';

export type { ActivityDeps } from './deps';

/**
 * A step with no progress of its own to report heartbeats on a ticker while it runs: its proxy's
 * heartbeat timeout (workflows/activity-proxies.ts) then notices a killed worker in seconds, where
 * the start-to-close timeout alone held the task's next run for two minutes (seen in the chaos run).
 * Not for steps whose heartbeats carry a resume cursor (snapshot, applyBatch, executeApprovedDeletions).
 */
function ticking<A extends unknown[], R>(step: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args: A) => withHeartbeats(() => step(...args));
}

export function createActivities(deps: ActivityDeps): SyncActivities {
  const runs = createRunActivities(deps);
  const approvals = createApprovalActivities(deps);
  const snapshot = createSnapshotActivity(deps);
  const plan = createPlanActivity(deps);
  const applyBatch = createApplyActivity(deps);
  const stageRunDeletions = createStageRunDeletionsActivity(deps);
  // Structured logs (pino) with the run and task ids on every line an activity writes.
  return withActivityLogs<SyncActivities>({
    loadTaskForRun: ticking(runs.loadTaskForRun),
    startRun: ticking(runs.startRun),
    snapshot,
    plan,
    applyBatch,
    realtimeRun: createRealtimeRunActivity({ snapshot, plan, applyBatch, stageRunDeletions, planStored: planStoredIn(deps.database) }),
    stageDeletions: ticking(createStageDeletionsActivity(deps)),
    finishRun: ticking(runs.finishRun),
    executePendingDeletion: ticking(createExecutePendingDeletionActivity(deps)),
    markPendingDeletions: ticking(createMarkPendingDeletionsActivity(deps)),
    stageRunDeletions: ticking(stageRunDeletions),
    decidePendingDeletions: ticking(approvals.decidePendingDeletions),
    approvalCounts: ticking(approvals.approvalCounts),
    executeApprovedDeletions: approvals.executeApprovedDeletions,
    reconcileApprovals: ticking(approvals.reconcileApprovals),
    reconcileRuns: ticking(createReconcileRunsActivity(deps)),
    pruneRunSnapshots: ticking(createPruneRunSnapshotsActivity(deps)),
    notifyRun: createNotifyRunActivity(deps),
  });
}
