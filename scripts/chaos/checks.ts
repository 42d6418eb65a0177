// What must hold after every chaos round, read from the targets themselves (through each kind's own
// connector, so nothing here trusts our bookkeeping) and from the database.
import type postgres from 'postgres';
import { definitionOf } from '../../connectors/definitions';
import { VendorError } from '../../connectors/errors';
import type { Database } from '../../db/client';
import type { User } from '../../engine/model';
import type { Company } from './company';

export interface TargetTask {
  kind: string;
  taskId: string;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
  /** leavers' accounts are frozen (true) or deleted after approval (false) */
  freezesLeavers: boolean;
}

export interface TargetView {
  users: User[];
  departmentNames: Map<string, string>;
}

/**
 * The target as its own connector reads it. A transient vendor answer (a storm's leftover 5xx or
 * rate-limit burst the runs did not use up) is retried, as the sync's activities retry it: the
 * check must judge the target, not trip on the fault it is judging the recovery from.
 */
export async function readTarget(task: TargetTask, database: Database): Promise<TargetView> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readTargetOnce(task, database);
    } catch (error) {
      if (!(error instanceof VendorError && error.transient) || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

async function readTargetOnce(task: TargetTask, database: Database): Promise<TargetView> {
  const definition = definitionOf(task.kind)!;
  const connector = definition.create(definition.settings.parse(task.settings), definition.secrets.parse(task.secrets), { database, actor: 'chaos-check' });
  const users: User[] = [];
  const departmentNames = new Map<string, string>();
  try {
    for await (const page of connector.readSnapshot()) {
      users.push(...page.users);
      for (const d of page.departments) departmentNames.set(d.id, d.name);
    }
  } finally {
    await connector.close?.();
  }
  return { users, departmentNames };
}

export interface Violation {
  task: string;
  rule: 'missing' | 'duplicate' | 'stale' | 'not-frozen' | 'not-deleted' | 'deleted-without-approval' | 'stuck-run' | 'open-approval';
  detail: string;
}

/**
 * The target equals what the company says: one active account per person with their name, title and
 * department; leavers frozen or, once approved, gone; no account gone without an executed approval.
 */
export function checkTarget(task: TargetTask, view: TargetView, company: Company, approvedDeletes: Set<string>, everSeen: Set<string>): Violation[] {
  const violations: Violation[] = [];
  const v = (rule: Violation['rule'], detail: string) => violations.push({ task: task.kind, rule, detail });
  const byNumber = new Map<string, User[]>();
  for (const user of view.users) {
    if (!user.employeeNumber) continue;
    byNumber.set(user.employeeNumber, [...(byNumber.get(user.employeeNumber) ?? []), user]);
  }
  for (const [number, accounts] of byNumber) if (accounts.length > 1) v('duplicate', `${number}: ${accounts.length} accounts (${accounts.map((a) => a.id).join(', ')})`);

  for (const person of company.people.values()) {
    const account = byNumber.get(person.employeeNumber)?.[0];
    if (!account) {
      v('missing', `${person.employeeNumber} (${person.name}) has no account`);
      continue;
    }
    const department = view.departmentNames.get(account.mainDepartmentId ?? account.departmentIds[0] ?? '');
    const wantedDepartment = person.department.split('/').pop();
    const stale = [
      account.name !== person.name ? `name ${account.name} ≠ ${person.name}` : '',
      account.title !== person.title ? `title ${account.title} ≠ ${person.title}` : '',
      department !== wantedDepartment ? `department ${department} ≠ ${wantedDepartment}` : '',
      account.status !== 'active' ? `status ${account.status}` : '',
    ].filter(Boolean);
    if (stale.length) v('stale', `${person.employeeNumber}: ${stale.join('; ')}`);
  }
  for (const number of company.leavers) {
    const accounts = byNumber.get(number) ?? [];
    if (task.freezesLeavers && accounts.length && accounts.some((a) => a.status === 'active')) v('not-frozen', `${number} left and is still active`);
    if (!task.freezesLeavers && accounts.length) v('not-deleted', `${number} left; the approved delete did not happen (${accounts.map((a) => a.status).join(', ')})`);
  }
  const present = new Set(view.users.map((u) => u.id));
  for (const id of everSeen) if (!present.has(id) && !approvedDeletes.has(id)) v('deleted-without-approval', `account ${id} is gone without an executed approval`);
  for (const id of present) everSeen.add(id);
  return violations;
}

/** External ids whose staged delete an approver executed and that succeeded, per task. */
export async function approvedDeletes(sql: postgres.Sql, taskId: string): Promise<Set<string>> {
  const rows = await sql<{ target_id: string }[]>`SELECT target_id FROM pending_deletions WHERE task_id = ${taskId} AND status = 'SUCCEEDED'`;
  return new Set(rows.map((r) => r.target_id));
}

export async function stuckRuns(sql: postgres.Sql): Promise<Violation[]> {
  const rows = await sql<{ id: string; task_id: string; status: string }[]>`SELECT id, task_id, status FROM sync_runs WHERE status IN ('pending', 'running')`;
  return rows.map((r) => ({ task: r.task_id, rule: 'stuck-run' as const, detail: `run ${r.id} is ${r.status}` }));
}
