/**
 * Drives one run's staged deletions (and disables held by the mass-offboarding guard) to an end.
 * The items and their state live in Postgres, the truth: this workflow carries the run id and
 * counts, never id lists. Decisions arrive as an Update (validated at once, answered per id by
 * one DB transaction, so of two racing decisions one wins); approved items are executed in plan
 * order after a fresh re-check. Items closed by other paths (a later run superseding them,
 * expiry, a task re-pointed) are simply found closed: the workflow ends when nothing is open.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ApprovalCounts } from '../activities/types';
import { bookkeeping, writing } from './activity-proxies';
import {
  approvalProgressQuery,
  decideUpdate,
  itemsChangedSignal,
  APPROVAL_BUSY,
  MAX_DECISION_IDS,
  SyncTaskIdKey,
  type DecisionRequest,
  type PendingDeletionApprovalInput,
  type PendingDeletionApprovalResult,
} from './definitions';
import { declareVersioningBehavior } from './versioning';

/** Expiry and closes made elsewhere are noticed at least this often, with no signal needed. */
const RECHECK_MS = 60 * 60 * 1000;
/**
 * Continue-as-new well before the server suggests it: decisions carry ids, and a worker that
 * lost its cache must fetch the whole history in one gRPC message (4 MB at most).
 */
const HISTORY_BYTES_LIMIT = 1_500_000;

const historyLarge = (): boolean => workflowInfo().continueAsNewSuggested || workflowInfo().historySize > HISTORY_BYTES_LIMIT;

function requireInput(input: PendingDeletionApprovalInput): PendingDeletionApprovalInput {
  const bad = (field: string) => ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `${field}: expected a non-empty string` });
  if (!input || typeof input.runId !== 'string' || input.runId === '') throw bad('runId');
  if (typeof input.taskId !== 'string' || input.taskId === '') throw bad('taskId');
  return { runId: input.runId, taskId: input.taskId };
}

/** The Update's validator: synchronous, so only the shape; per-id answers come from the database. */
export function validateDecision(request: DecisionRequest): void {
  if (!request || (request.action !== 'execute' && request.action !== 'cancel')) throw new Error('action: expected execute or cancel');
  if (!Array.isArray(request.ids) || request.ids.length === 0 || request.ids.length > MAX_DECISION_IDS) {
    throw new Error(`ids: expected 1 to ${MAX_DECISION_IDS} ids`);
  }
  if (request.ids.some((id) => typeof id !== 'string' || id === '' || id.length > 128)) throw new Error('ids: expected non-empty strings');
  if (typeof request.actor !== 'string' || request.actor === '') throw new Error('actor: expected the authenticated principal');
}

// Worker Deployment Versioning: approvals wait for days and move to each new build; changes of command order need patched().
declareVersioningBehavior('AUTO_UPGRADE', pendingDeletionApprovalWorkflow);

export async function pendingDeletionApprovalWorkflow(rawInput: PendingDeletionApprovalInput): Promise<PendingDeletionApprovalResult> {
  const { runId, taskId } = requireInput(rawInput);
  upsertSearchAttributes([{ key: SyncTaskIdKey, value: taskId }]);

  // Handlers first, before any await: an Update that starts this workflow is otherwise rejected.
  let counts: ApprovalCounts = { pending: 0, executing: 0, succeeded: 0, failed: 0, canceled: 0, superseded: 0, nextExpiryAt: null };
  let changed = false;

  setHandler(
    decideUpdate,
    async (request) => {
      const result = await bookkeeping.decidePendingDeletions({ runId, action: request.action, ids: request.ids, actor: request.actor });
      changed = true;
      return result;
    },
    {
      // Refused updates are not written to history: while it is large, callers wait for the continue-as-new.
      validator: (request) => {
        if (historyLarge()) throw new Error(`${APPROVAL_BUSY}: continuing as new, send again`);
        validateDecision(request);
      },
    },
  );
  setHandler(itemsChangedSignal, () => {
    changed = true;
  });
  setHandler(approvalProgressQuery, () => {
    const { nextExpiryAt: _next, ...rest } = counts;
    return { runId, taskId, ...rest };
  });

  const recount = async () => {
    changed = false;
    counts = await bookkeeping.approvalCounts({ runId });
  };
  await recount();

  for (;;) {
    if (historyLarge()) {
      // Nothing is carried over: the next run reads its state from the database.
      await condition(allHandlersFinished);
      return continueAsNew<typeof pendingDeletionApprovalWorkflow>({ runId, taskId });
    }
    if (counts.executing > 0) {
      await writing.executeApprovedDeletions({ runId });
      await recount();
      continue;
    }
    if (counts.pending === 0) {
      // A decision may be in flight: let it finish and look once more before ending.
      await condition(allHandlersFinished);
      await recount();
      if (counts.pending === 0 && counts.executing === 0) break;
      continue;
    }
    const untilExpiry = counts.nextExpiryAt ? Math.max(1000, Date.parse(counts.nextExpiryAt) - Date.now()) : RECHECK_MS;
    await condition(() => changed || historyLarge(), Math.min(RECHECK_MS, untilExpiry));
    await recount();
  }
  const { succeeded, failed, canceled, superseded } = counts;
  return { runId, succeeded, failed, canceled, superseded };
}
