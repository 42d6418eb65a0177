// Separation of duties: on a task with `requireSecondApprover`, whoever asked for a run may not
// execute its staged deletions; another approver (or admin) must. When the requesters are unknown
// (no run row, none recorded, more than were kept) nobody may. Cancelling stays open to anyone
// allowed to decide, since it never deletes. Refused ids are answered here and never reach Temporal.
import type { Db } from '../db/client';
import { requestersOfPendingDeletions } from '../db/repos/run-requesters';
import { REQUESTERS_OVERFLOW } from '../workflows/pending-runs';
import type { DecisionResult } from './deletion-decisions';
import type { ApprovalAction } from './temporal-control';

/** Fails closed: requesters that are unknown, or past the recorded cap, may include anyone. */
function mayBeRequester(requestedBy: readonly string[] | null, actor: string): boolean {
  return requestedBy === null || requestedBy.includes(REQUESTERS_OVERFLOW) || requestedBy.includes(actor);
}

/**
 * Answers `requester_may_not_approve` for the ids `actor` may not execute and hands the others to
 * `decide`; results come back one per distinct id, in the order asked.
 */
export async function decideWithSecondApprover(
  input: { action: ApprovalAction; ids: readonly string[]; actor: string },
  deps: { db: Db },
  decide: (ids: string[]) => Promise<DecisionResult[]>,
): Promise<DecisionResult[]> {
  const unique = [...new Set(input.ids)];
  if (input.action !== 'execute') return decide(unique);
  const refused = new Set(
    (await requestersOfPendingDeletions(deps.db, unique)).filter((item) => item.requireSecondApprover && mayBeRequester(item.requestedBy, input.actor)).map((item) => item.id),
  );
  if (refused.size === 0) return decide(unique);
  const allowed = unique.filter((id) => !refused.has(id));
  const decided = new Map((allowed.length > 0 ? await decide(allowed) : []).map((result) => [result.id, result]));
  return unique.map((id): DecisionResult => (refused.has(id) ? { id, result: 'requester_may_not_approve' } : decided.get(id)!));
}
