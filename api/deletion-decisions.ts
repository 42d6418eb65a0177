// Approver decisions on staged deletions: each id is answered on its own. Closed items are
// answered from the database; open ones (PENDING, or FAILED for a retry) are grouped by run and
// sent, in slices, as the Update of the run's approval workflow, which writes each decision with
// its audit row in one transaction (accepted, already_decided, already_canceled, stale,
// not_found). Runs still owned by a first-version (signal-based) workflow are signalled as before.
import type { PendingDeletionRow, RunQueries } from '../db/repos/run-queries';
import { MAX_DECISION_IDS } from '../workflows/definitions';
import type { decisionResults } from './sync-schemas';
import type { ApprovalAction, TemporalControl } from './temporal-control';

export interface DecisionResult {
  id: string;
  result: (typeof decisionResults)[number];
  /** the stored status, when the decision was not accepted */
  status?: PendingDeletionRow['status'];
}

function closedResult(row: PendingDeletionRow): DecisionResult {
  const result = row.status === 'CANCELED' ? 'already_canceled' : row.status === 'SUPERSEDED' ? 'stale' : 'already_decided';
  return { id: row.id, result, status: row.status };
}

/** The first-version workflow answers nothing: pre-check in the database, then signal. Undefined: it closed meanwhile. */
async function decideByV1Signal(
  temporal: Pick<TemporalControl, 'signalApproval'>,
  action: ApprovalAction,
  rows: PendingDeletionRow[],
  actor: string,
): Promise<DecisionResult[] | undefined> {
  const open = rows.filter((row) => row.status === 'PENDING');
  const closed = rows.filter((row) => row.status !== 'PENDING').map(closedResult);
  if (open.length === 0) return closed;
  const outcome = await temporal.signalApproval(open[0].runId, action, open.map((row) => row.id), actor);
  return outcome === 'signaled' ? [...closed, ...open.map((row): DecisionResult => ({ id: row.id, result: 'accepted' }))] : undefined;
}

export async function decideDeletions(
  action: ApprovalAction,
  ids: readonly string[],
  actor: string,
  deps: { runs: Pick<RunQueries, 'pendingDeletionsByIds'>; temporal: Pick<TemporalControl, 'decideApproval' | 'signalApproval'> },
): Promise<DecisionResult[]> {
  const unique = [...new Set(ids)];
  const rows = new Map((await deps.runs.pendingDeletionsByIds(unique)).map((row) => [row.id, row]));
  const results = new Map<string, DecisionResult>();
  const byRun = new Map<string, PendingDeletionRow[]>();
  for (const id of unique) {
    const row = rows.get(id);
    if (!row) results.set(id, { id, result: 'not_found' });
    // Final statuses never reopen (and EXECUTING is decided already): answered from the database.
    else if (row.status !== 'PENDING' && row.status !== 'FAILED') results.set(id, closedResult(row));
    else if (byRun.has(row.runId)) byRun.get(row.runId)!.push(row);
    else byRun.set(row.runId, [row]);
  }

  for (const [runId, runRows] of byRun) {
    for (let start = 0; start < runRows.length; start += MAX_DECISION_IDS) {
      const slice = runRows.slice(start, start + MAX_DECISION_IDS);
      const request = { action, ids: slice.map((row) => row.id), actor };
      // A first-version workflow that closes meanwhile leaves the run to the current type: ask again.
      for (let attempt = 0; ; attempt++) {
        const answer = await deps.temporal.decideApproval({ runId, taskId: slice[0].taskId }, request);
        if (answer !== 'v1') {
          for (const row of slice) results.set(row.id, { id: row.id, result: 'accepted' });
          for (const refused of answer.refused) results.set(refused.id, refused);
          break;
        }
        const signalled = await decideByV1Signal(deps.temporal, action, slice, actor);
        if (signalled || attempt > 0) {
          for (const result of signalled ?? slice.map(closedResult)) results.set(result.id, result);
          break;
        }
      }
    }
  }
  return unique.map((id) => results.get(id)!);
}
