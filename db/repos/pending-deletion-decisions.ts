// Approver decisions on pending deletions, and the other ways an open item closes (expiry, a
// re-check that finds it stale, an orphan whose task is gone). Every change is a conditional
// UPDATE written with its audit row in one transaction, so of two racing decisions one wins.
import { sql } from 'drizzle-orm';
import type { Db } from '../client';
import type { PendingDeletionStatus } from './pending-deletions';
import { selectRows } from './sql';

export type DecisionAction = 'execute' | 'cancel';
export type DecisionAnswer = 'accepted' | 'already_decided' | 'already_canceled' | 'stale' | 'not_found';

export interface DecisionOutcome {
  id: string;
  result: DecisionAnswer;
  /** the stored status after the decision */
  status?: PendingDeletionStatus;
}

/** Statuses a decision may leave: a FAILED item may be executed again, or cancelled for good. */
const decidable: PendingDeletionStatus[] = ['PENDING', 'FAILED'];

const idList = (ids: readonly string[]) => sql`(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

function answerFor(status: PendingDeletionStatus): DecisionAnswer {
  if (status === 'CANCELED') return 'already_canceled';
  if (status === 'SUPERSEDED') return 'stale';
  return 'already_decided';
}

/**
 * Decides the given items of one run: each id answered on its own. An expired item is CANCELED
 * (audit `expired`) and answered `stale`; ids of another run are `not_found`.
 */
export async function decidePendingDeletions(
  db: Db,
  input: { runId: string; action: DecisionAction; ids: readonly string[]; actor: string },
): Promise<DecisionOutcome[]> {
  const unique = [...new Set(input.ids)];
  if (unique.length === 0) return [];
  return db.transaction(async (tx) => {
    const expired = new Set(await expireOverdue(tx, { runId: input.runId, ids: unique }));
    const to = input.action === 'execute' ? 'EXECUTING' : 'CANCELED';
    const auditAction = input.action === 'execute' ? 'pending_deletion.approve' : 'pending_deletion.cancel';
    const accepted = await selectRows<{ id: string }>(
      tx,
      sql`with decided as (
          update pending_deletions pd
          set status = ${to}, decided_by = ${input.actor}, decided_at = now(),
            error_code = case when ${to} = 'EXECUTING' then null else pd.error_code end,
            error_message = case when ${to} = 'EXECUTING' then null else pd.error_message end
          from (select id, status as prior from pending_deletions where id in ${idList(unique)} and run_id = ${input.runId} for update) p
          where pd.id = p.id and pd.status in ('PENDING', 'FAILED')
          returning pd.id, p.prior, pd.action, pd.entity, pd.target_id, pd.display_name),
        audited as (
          insert into audit_log (actor, action, entity_type, entity_id, before, after)
          select ${input.actor}, ${auditAction}, 'pending_deletion', id, jsonb_build_object('status', prior),
            jsonb_build_object('status', ${to}::text, 'action', action, 'entity', entity, 'targetId', target_id, 'displayName', display_name)
          from decided returning entity_id)
        select entity_id as id from audited`,
    );
    const acceptedIds = new Set(accepted.map((row) => row.id));
    const stored = await selectRows<{ id: string; status: PendingDeletionStatus }>(
      tx,
      sql`select id, status from pending_deletions where id in ${idList(unique)} and run_id = ${input.runId}`,
    );
    const statusOf = new Map(stored.map((row) => [row.id, row.status]));
    return unique.map((id): DecisionOutcome => {
      const status = statusOf.get(id);
      if (!status) return { id, result: 'not_found' };
      if (acceptedIds.has(id)) return { id, result: 'accepted', status };
      if (expired.has(id)) return { id, result: 'stale', status };
      return { id, result: decidable.includes(status) ? 'stale' : answerFor(status), status };
    });
  });
}

/** CANCELED with audit `expired`: PENDING items of the run (or these ids) past their expiry. Returns their ids. */
export async function expireOverdue(db: Db, scope: { runId: string; ids?: readonly string[] }): Promise<string[]> {
  const rows = await selectRows<{ id: string }>(
    db,
    sql`with expired as (
        update pending_deletions set status = 'CANCELED', decided_by = 'system', decided_at = now()
        where run_id = ${scope.runId} and status = 'PENDING' and expires_at is not null and expires_at <= now()
          ${scope.ids ? sql`and id in ${idList(scope.ids)}` : sql``}
        returning id, action, entity, target_id, expires_at),
      audited as (
        insert into audit_log (actor, action, entity_type, entity_id, before, after)
        select 'system', 'pending_deletion.expired', 'pending_deletion', id, jsonb_build_object('status', 'PENDING'),
          jsonb_build_object('status', 'CANCELED', 'reason', 'expired', 'expiresAt', expires_at, 'action', action, 'entity', entity, 'targetId', target_id)
        from expired returning entity_id)
      select entity_id as id from audited`,
  );
  return rows.map((row) => row.id);
}

/**
 * Closes one open item without a vendor call: SUPERSEDED because fresh state says it is no longer
 * wanted, or CANCELED because its task is gone. False when the item was not open any more.
 */
export async function closeOpenItem(
  db: Db,
  input: { id: string; status: 'SUPERSEDED' | 'CANCELED'; actor: string; reason: string },
): Promise<boolean> {
  const [row] = await selectRows<{ id: string }>(
    db,
    sql`with closed as (
        update pending_deletions pd set status = ${input.status}, decided_at = now(),
          decided_by = coalesce(pd.decided_by, ${input.actor}), error_message = ${input.reason}
        from (select id, status as prior from pending_deletions where id = ${input.id} for update) p
        where pd.id = p.id and pd.status in ('PENDING', 'EXECUTING')
        returning pd.id, p.prior, pd.status, pd.action, pd.entity, pd.target_id)
      insert into audit_log (actor, action, entity_type, entity_id, before, after)
      select ${input.actor}, ${input.status === 'SUPERSEDED' ? 'pending_deletion.supersede' : 'pending_deletion.cancel'}, 'pending_deletion', id,
        jsonb_build_object('status', prior),
        jsonb_build_object('status', status, 'reason', ${input.reason}::text, 'action', action, 'entity', entity, 'targetId', target_id)
      from closed returning entity_id as id`,
  );
  return !!row;
}

export interface OpenCounts {
  pending: number;
  executing: number;
  succeeded: number;
  failed: number;
  canceled: number;
  superseded: number;
  /** the earliest expiry among PENDING items, ISO, or null */
  nextExpiryAt: string | null;
}

export async function openCountsOfRun(db: Db, runId: string): Promise<OpenCounts> {
  const [row] = await selectRows<Omit<OpenCounts, 'nextExpiryAt'> & { next_expiry_at: string | Date | null }>(
    db,
    sql`select count(*) filter (where status = 'PENDING')::int as pending, count(*) filter (where status = 'EXECUTING')::int as executing,
      count(*) filter (where status = 'SUCCEEDED')::int as succeeded, count(*) filter (where status = 'FAILED')::int as failed,
      count(*) filter (where status = 'CANCELED')::int as canceled, count(*) filter (where status = 'SUPERSEDED')::int as superseded,
      min(expires_at) filter (where status = 'PENDING') as next_expiry_at
      from pending_deletions where run_id = ${runId}`,
  );
  const { next_expiry_at: next, ...counts } = row;
  return { ...counts, nextExpiryAt: next === null ? null : new Date(next).toISOString() };
}

/** The run's approved items in plan order (users before their departments), at most `limit`. */
export async function executingItemsOfRun(db: Db, runId: string, limit: number): Promise<Array<{ id: string; decidedBy: string | null }>> {
  return selectRows(
    db,
    sql`select id, decided_by as "decidedBy" from pending_deletions where run_id = ${runId} and status = 'EXECUTING' order by run_item_id limit ${limit}`,
  );
}

/** Runs with open items, oldest first: the reconciler makes sure each has an approval workflow. */
export async function runsWithOpenItems(db: Db, limit: number): Promise<Array<{ runId: string; taskId: string; taskDeleted: boolean }>> {
  return selectRows(
    db,
    sql`select pd.run_id as "runId", pd.task_id as "taskId", bool_or(t.id is null or t.deleted_at is not null) as "taskDeleted"
      from pending_deletions pd left join sync_tasks t on t.id = pd.task_id
      where pd.status in ('PENDING', 'EXECUTING')
      group by pd.run_id, pd.task_id order by min(pd.created_at) limit ${limit}`,
  );
}

/** Open items of a deleted task are CANCELED (audited): nobody can approve them any more. Returns how many. */
export async function cancelOpenItemsOfDeletedTask(db: Db, taskId: string): Promise<number> {
  const [row] = await selectRows<{ n: number }>(
    db,
    sql`with closed as (
        update pending_deletions pd set status = 'CANCELED', decided_by = 'system', decided_at = now()
        where pd.task_id = ${taskId} and pd.status in ('PENDING', 'EXECUTING')
          and not exists (select 1 from sync_tasks t where t.id = ${taskId} and t.deleted_at is null)
        returning pd.id, pd.status),
      audited as (
        insert into audit_log (actor, action, entity_type, entity_id, before, after)
        select 'system', 'pending_deletion.cancel', 'pending_deletion', id, null, jsonb_build_object('status', 'CANCELED', 'reason', 'task deleted')
        from closed returning 1)
      select count(*)::int as n from audited`,
  );
  return row?.n ?? 0;
}
