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
import { createNotifyRunActivity } from './notify-run';
import { createPlanActivity } from './plan';
import { createReconcileRunsActivity } from './reconcile-runs';
import { createPruneRunSnapshotsActivity } from './retention';
import { createRunActivities } from './runs';
import { createSnapshotActivity } from './snapshot';
import type { SyncActivities } from './types';
import { withActivityLogs } from '../telemetry/activity-log';

export type { ActivityDeps } from './deps';

export function createActivities(deps: ActivityDeps): SyncActivities {
  const runs = createRunActivities(deps);
  const approvals = createApprovalActivities(deps);
  // Structured logs (pino) with the run and task ids on every line an activity writes.
  return withActivityLogs<SyncActivities>({
    loadTaskForRun: runs.loadTaskForRun,
    startRun: runs.startRun,
    snapshot: createSnapshotActivity(deps),
    plan: createPlanActivity(deps),
    applyBatch: createApplyActivity(deps),
    stageDeletions: createStageDeletionsActivity(deps),
    finishRun: runs.finishRun,
    executePendingDeletion: createExecutePendingDeletionActivity(deps),
    markPendingDeletions: createMarkPendingDeletionsActivity(deps),
    stageRunDeletions: createStageRunDeletionsActivity(deps),
    decidePendingDeletions: approvals.decidePendingDeletions,
    approvalCounts: approvals.approvalCounts,
    executeApprovedDeletions: approvals.executeApprovedDeletions,
    reconcileApprovals: approvals.reconcileApprovals,
    reconcileRuns: createReconcileRunsActivity(deps),
    pruneRunSnapshots: createPruneRunSnapshotsActivity(deps),
    notifyRun: createNotifyRunActivity(deps),
  });
}
