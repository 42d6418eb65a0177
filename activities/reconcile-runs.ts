// Run rows reconciled with their workflow's real state: a run workflow terminated, timed out or
// cancelled before finishRun (or one Temporal no longer knows) leaves its sync_runs row `running`,
// and the task shows running forever. Rows open longer than a grace period get their workflow
// described; a closed one closes the row with the reason. A workflow still running is left alone.
// The task workflow is told too (runFinished): a run that outlived a mid-run continue-as-new is no
// child of the current execution, and killed before its own signal it would leave the task waiting.
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { finishRun, itemStatusCounts, listOpenRunsStartedBefore } from '../db/repos/sync-runs';
import { runFinishedSignal, runWorkflowId, taskWorkflowId, type LastRunOutcome } from '../workflows/definitions';
import type { ActivityDeps } from './deps';
import { runCounters } from './runs';
import type { ReconciledRun, ReconcileRunsResult } from './types';

/** rows described per pass: a pass stays short, the next one (10 min later) takes the rest */
const RUNS_PER_PASS = 200;
const DEFAULT_GRACE_MS = 15 * 60_000;

type Outcome = Omit<ReconciledRun, 'runId'>;

async function terminationReason(client: Client, workflowId: string): Promise<string> {
  try {
    // The termination is the last event; its reason is what the operator typed.
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const reason = history.events?.at(-1)?.workflowExecutionTerminatedEventAttributes?.reason;
    return reason ? `: ${reason}` : '';
  } catch {
    return '';
  }
}

/** What the row should say, or undefined while the workflow may still record its own outcome. */
async function closedOutcome(client: Client, workflowId: string): Promise<Outcome | undefined> {
  let status: string;
  try {
    status = (await client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'failed', reason: `run workflow ${workflowId} not found in Temporal` };
    throw err;
  }
  switch (status) {
    case 'TERMINATED':
      return { status: 'failed', reason: `run workflow terminated${await terminationReason(client, workflowId)}` };
    case 'TIMED_OUT':
      return { status: 'failed', reason: 'run workflow timed out' };
    case 'CANCELLED':
      return { status: 'canceled', reason: 'run workflow cancelled' };
    case 'FAILED':
      return { status: 'failed', reason: 'run workflow failed without recording its outcome' };
    case 'COMPLETED':
      return { status: 'failed', reason: 'run workflow completed without recording its outcome' };
    default:
      return undefined; // RUNNING (or continued): it still speaks for itself
  }
}

/** The task workflow ignores an outcome for any run but the one it waits for, so a repeat is harmless. */
async function notifyTask(client: Client, taskId: string, outcome: LastRunOutcome): Promise<void> {
  try {
    await client.workflow.getHandle(taskWorkflowId(taskId)).signal(runFinishedSignal, outcome);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err; // no task workflow: nobody waits
  }
}

export function createReconcileRunsActivity(deps: ActivityDeps) {
  const db = () => deps.database.db;
  return async function reconcileRuns(input: { graceMs?: number } = {}): Promise<ReconcileRunsResult> {
    const client = Context.current().client;
    const rows = await listOpenRunsStartedBefore(db(), new Date(Date.now() - (input.graceMs ?? DEFAULT_GRACE_MS)), RUNS_PER_PASS);
    const closed: ReconciledRun[] = [];
    for (const row of rows) {
      Context.current().heartbeat();
      const outcome = await closedOutcome(client, row.workflowId ?? runWorkflowId(row.taskId, row.id));
      if (!outcome) continue;
      const counters = runCounters(await itemStatusCounts(db(), row.id));
      // finishRun keeps an outcome recorded meanwhile (the row is only updated while still open).
      // The workflow closed without recording why (timed out, terminated): nothing typed says more.
      await finishRun(db(), { runId: row.id, status: outcome.status, counters, error: outcome.reason, failureClass: outcome.status === 'failed' ? 'internal' : null });
      await notifyTask(client, row.taskId, { runId: row.id, status: outcome.status, error: outcome.reason });
      closed.push({ runId: row.id, ...outcome });
    }
    return { closed };
  };
}
