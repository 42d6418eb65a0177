// Approver decisions on staged deletions: each id is answered on its own. Open items are signalled
// to their run's deletionApprovalWorkflow (which makes the decision final); everything else, and
// items whose workflow has already closed, is answered from the database.
import type { PendingDeletionRow, RunQueries } from '../db/repos/run-queries';
import type { decisionResults } from './sync-schemas';
import type { ApprovalAction, TemporalControl } from './temporal-control';

export interface DecisionResult {
  id: string;
  result: (typeof decisionResults)[number];
  /** the stored status, when the decision was not accepted */
  status?: PendingDeletionRow['status'];
}

/** Why a stored item cannot take a decision any more, or undefined when it is still open. */
function closedResult(row: PendingDeletionRow): DecisionResult | undefined {
  if (row.status === 'PENDING') return undefined;
  return { id: row.id, result: row.status === 'CANCELED' ? 'already_canceled' : 'already_decided', status: row.status };
}

export async function decideDeletions(
  action: ApprovalAction,
  ids: readonly string[],
  actor: string,
  deps: { runs: Pick<RunQueries, 'pendingDeletionsByIds'>; temporal: Pick<TemporalControl, 'signalApproval'> },
): Promise<DecisionResult[]> {
  const unique = [...new Set(ids)];
  const rows = new Map((await deps.runs.pendingDeletionsByIds(unique)).map((row) => [row.id, row]));
  const results = new Map<string, DecisionResult>();
  const openByRun = new Map<string, string[]>();
  for (const id of unique) {
    const row = rows.get(id);
    if (!row) results.set(id, { id, result: 'not_found' });
    else if (closedResult(row)) results.set(id, closedResult(row)!);
    else openByRun.set(row.runId, [...(openByRun.get(row.runId) ?? []), id]);
  }

  for (const [runId, runIds] of openByRun) {
    const outcome = await deps.temporal.signalApproval(runId, action, runIds, actor);
    if (outcome === 'signaled') {
      for (const id of runIds) results.set(id, { id, result: 'accepted' });
      continue;
    }
    // The workflow finished meanwhile: the database has its last word on each item.
    const fresh = new Map((await deps.runs.pendingDeletionsByIds(runIds)).map((row) => [row.id, row]));
    for (const id of runIds) {
      const row = fresh.get(id);
      results.set(id, row ? (closedResult(row) ?? { id, result: 'approval_closed', status: row.status }) : { id, result: 'not_found' });
    }
  }
  return unique.map((id) => results.get(id)!);
}
