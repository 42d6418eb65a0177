// A small real-time run's steps in one activity: snapshot of the changed ids, plan, apply, staging.
// Each workflow-visible step of a run costs a workflow task and an activity task through the server
// (50–70 ms each on the dev server, more under load); for a run of a handful of ids that was most of
// the run. The steps are the very same functions the normal path calls (snapshot, plan, applyBatch,
// stageRunDeletions), so run rows, items, audit and protection are the same; the workflow still
// records the run's start and end (startRun, finishRun) and starts any approval itself.
//
// Deletion protection keeps its path: a plan that holds a delete or a disable (staged items), or
// that needs more than FAST_MAX_BATCHES batches, is handed back right after planning and the
// workflow applies and stages it with its normal activities.
//
// Retries: every step is idempotent on the run (the plan is stored once, applied items are never
// sent again, staging is idempotent), so a retried attempt simply walks the steps again; one that
// finds the plan already stored skips the snapshot, which must not be rewritten under a plan.
import { count, eq } from 'drizzle-orm';
import { runItems } from '../db/schema';
import type { Database } from '../db/client';
import { withHeartbeats } from './heartbeat';
import { addCounters, type ItemCounters, type PlanResult, type RunReadSummary, type SyncActivities } from './types';

/** Plans of more batches than this (200 items each) go the normal way, one activity per batch. */
export const FAST_MAX_BATCHES = 1;

export interface RealtimeRunInput {
  runId: string;
  changedIds: string[];
}

export interface RealtimeRunResult {
  plan: PlanResult;
  read?: RunReadSummary;
  /** false: handed back after planning (something staged, or too many batches); the workflow applies and stages. */
  applied: boolean;
  counters: ItemCounters;
  /** batches applied here */
  batchesDone: number;
  /** pending deletions staged by stageRunDeletions (0 when nothing was staged) */
  staged: number;
}

/** Whether a plan may be applied inside the one activity. */
export function fitsFastPath(plan: PlanResult): boolean {
  return plan.stagedDeletes === 0 && plan.heldDisables === 0 && plan.batches <= FAST_MAX_BATCHES;
}

/** The steps it walks; `planStored` tells a retried attempt that the snapshot is done and planned on. */
export type RealtimeRunSteps = Pick<SyncActivities, 'snapshot' | 'plan' | 'applyBatch' | 'stageRunDeletions'> & { planStored(runId: string): Promise<boolean> };

/** Whether the run's plan is stored (storePlan writes it once, with its items). */
export function planStoredIn(database: Database): (runId: string) => Promise<boolean> {
  return async (runId) => {
    const [{ stored }] = await database.db.select({ stored: count() }).from(runItems).where(eq(runItems.runId, runId));
    return Number(stored) > 0;
  };
}

export function createRealtimeRunActivity(steps: RealtimeRunSteps) {
  return function realtimeRun({ runId, changedIds }: RealtimeRunInput): Promise<RealtimeRunResult> {
    // The steps heartbeat as they go; the ticker covers the database work between them.
    return withHeartbeats(async () => {
      let read: RunReadSummary | undefined;
      const resumed = await steps.planStored(runId);
      if (!resumed) read = (await steps.snapshot({ runId, changedIds })).read;
      const plan = await steps.plan({ runId });
      let counters: ItemCounters = { succeeded: 0, failed: 0, skipped: 0 };
      if (!fitsFastPath(plan)) return { plan, ...(read ? { read } : {}), applied: false, counters, batchesDone: 0, staged: 0 };
      // A stored plan counts only the batches still to do: a resumed attempt asks batch 0 anyway, which
      // sends nothing already recorded and answers the batch's counters as the first attempt would have.
      const batches = resumed ? Math.max(plan.batches, FAST_MAX_BATCHES) : plan.batches;
      for (let batch = 0; batch < batches; batch++) {
        counters = addCounters(counters, await steps.applyBatch({ runId, batch }));
      }
      const { staged } = await steps.stageRunDeletions({ runId });
      return { plan, ...(read ? { read } : {}), applied: true, counters, batchesDone: batches, staged };
    });
  };
}
