/**
 * The first approval workflow type, signal-based with the ids in its input: kept registered so
 * open executions still replay and finish. New runs start pendingDeletionApprovalWorkflow
 * (deletion-approval.ts), whose items live in Postgres.
 *
 * Holds one run's staged deletions (and disables held by the mass-offboarding guard) until an
 * approver decides: PENDING → EXECUTING → SUCCEEDED | FAILED, or PENDING → CANCELED.
 * A decision is final: a cancelled item is never executed, an executed one never cancelled.
 * Undecided items simply wait; the workflow completes once nothing is pending or executing.
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
import type { PendingDeletionStatus } from '../activities/types';
import { bookkeeping, singleWrite } from './activity-proxies';
import {
  cancelSignal,
  executeSignal,
  itemsQuery,
  SyncTaskIdKey,
  type ApprovalDecision,
  type ApprovalItem,
  type DeletionApprovalInput,
  type DeletionApprovalResult,
  type IgnoredDecision,
} from './definitions';
import { declareVersioningBehavior } from './versioning';

const MAX_IGNORED_REPORTED = 100;

/** A decision waiting to be written to Postgres, in arrival order. */
interface DecisionRecord {
  ids: string[];
  status: 'EXECUTING' | 'CANCELED';
  actor: string;
}

function toItems(input: DeletionApprovalInput): ApprovalItem[] {
  // Bad input fails the workflow at once with the field named, instead of retrying forever.
  const bad = (field: string, expected: string) =>
    ApplicationFailure.create({ type: 'InvalidInput', nonRetryable: true, message: `${field}: expected ${expected}` });
  if (!input || typeof input.runId !== 'string' || input.runId === '') throw bad('runId', 'a non-empty string');
  if (typeof input.taskId !== 'string' || input.taskId === '') throw bad('taskId', 'a non-empty string');
  if (input.items) return input.items;
  if (!Array.isArray(input.pendingDeletionIds) || input.pendingDeletionIds.some((id) => typeof id !== 'string')) {
    throw bad('pendingDeletionIds', 'an array of ids');
  }
  return [...new Set(input.pendingDeletionIds)].map((id) => ({ id, status: 'PENDING' as PendingDeletionStatus }));
}

/** Signals come from outside: anything malformed counts as no ids rather than failing the workflow. */
function decisionIds(decision: ApprovalDecision): string[] {
  return Array.isArray(decision?.ids) ? decision.ids.filter((id): id is string => typeof id === 'string') : [];
}

// Worker Deployment Versioning: open first-version approvals move to each new build.
declareVersioningBehavior('AUTO_UPGRADE', deletionApprovalWorkflow);

export async function deletionApprovalWorkflow(input: DeletionApprovalInput): Promise<DeletionApprovalResult> {
  const items = toItems(input);
  const { runId, taskId } = input;
  const order = new Map(items.map((item, index) => [item.id, index]));
  const byId = new Map(items.map((item) => [item.id, item]));
  const ignored: IgnoredDecision[] = [];
  const decisions: DecisionRecord[] = [];
  // Carried EXECUTING items were approved but maybe not executed before continue-as-new: resume them.
  const toExecute: ApprovalItem[] = items.filter((item) => item.status === 'EXECUTING');

  upsertSearchAttributes([{ key: SyncTaskIdKey, value: taskId }]);

  const ignore = (id: string, action: IgnoredDecision['action'], reason: IgnoredDecision['reason']) => {
    ignored.push({ id, action, reason });
    if (ignored.length > MAX_IGNORED_REPORTED) ignored.shift();
  };

  const decide = (decision: ApprovalDecision, action: 'execute' | 'cancel') => {
    const actor = typeof decision?.actor === 'string' && decision.actor !== '' ? decision.actor : 'unknown';
    const accepted: string[] = [];
    for (const id of decisionIds(decision)) {
      const item = byId.get(id);
      if (!item) ignore(id, action, 'unknown');
      else if (item.status === 'CANCELED') ignore(id, action, 'canceled');
      else if (item.status !== 'PENDING') ignore(id, action, 'already_decided');
      else {
        item.status = action === 'execute' ? 'EXECUTING' : 'CANCELED';
        item.actor = actor;
        accepted.push(id);
        if (action === 'execute') toExecute.push(item);
      }
    }
    if (accepted.length > 0) decisions.push({ ids: accepted, status: action === 'execute' ? 'EXECUTING' : 'CANCELED', actor });
  };

  setHandler(executeSignal, (decision) => decide(decision, 'execute'));
  setHandler(cancelSignal, (decision) => decide(decision, 'cancel'));
  setHandler(itemsQuery, () => ({ runId, taskId, items, ignored }));

  const writeDecisions = async () => {
    while (decisions.length > 0) {
      const { ids, status, actor } = decisions.shift()!;
      await bookkeeping.markPendingDeletions({ ids, status, actor });
    }
  };

  const executeNext = async () => {
    // Plan order (users before their departments) holds whatever order the approver clicked in.
    toExecute.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    const item = toExecute.shift()!;
    const actor = item.actor ?? 'unknown';
    try {
      const result = await singleWrite.executePendingDeletion({ pendingDeletionId: item.id, actor });
      item.status = result.status;
      item.error = result.error;
    } catch (err) {
      // Retries are exhausted or the error is permanent: the item fails, the others still run.
      item.status = 'FAILED';
      item.error = err instanceof Error ? err.message : String(err);
      await bookkeeping.markPendingDeletions({ ids: [item.id], status: 'FAILED', actor, error: item.error });
    }
  };

  const unresolved = () => items.some((item) => item.status === 'PENDING' || item.status === 'EXECUTING');

  while (true) {
    await condition(() => decisions.length > 0 || toExecute.length > 0 || !unresolved() || workflowInfo().continueAsNewSuggested);
    await writeDecisions();
    if (toExecute.length > 0) {
      await executeNext();
    } else if (!unresolved()) {
      break;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await writeDecisions();
      return continueAsNew<typeof deletionApprovalWorkflow>({ runId, taskId, pendingDeletionIds: [], items });
    }
  }
  await condition(allHandlersFinished);
  const count = (status: PendingDeletionStatus) => items.filter((item) => item.status === status).length;
  return { runId, succeeded: count('SUCCEEDED'), failed: count('FAILED'), canceled: count('CANCELED') };
}
