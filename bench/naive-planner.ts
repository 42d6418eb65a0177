// BASELINE ONLY — not used by the product. The planner a first version would write: every source
// entity is looked up in the links and in the target by linear search (Array.find over match keys),
// and leavers by linear search over the matched ids. O(n·m) in the sizes of source and target.
// It produces the same kinds of actions as planSync for this benchmark's data, without its rules
// (scope, ambiguity, capabilities, staged deletes), so it is a lower bound on a naive planner's work.
import type { Department, User } from '../engine/model';
import type { PlanInput } from '../engine/plan-types';

export interface NaiveAction {
  kind: string;
  sourceId: string | null;
  targetId: string | null;
}

const userFields = ['username', 'name', 'email', 'mobile', 'employeeNumber', 'title', 'status'] as const;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Parents before children, by repeated passes over the list (what a first version does). */
function naiveTopDown(departments: readonly Department[]): Department[] {
  const ordered: Department[] = [];
  const done: string[] = [];
  let remaining = [...departments];
  while (remaining.length > 0) {
    const ready = remaining.filter((d) => d.parentId === null || done.includes(d.parentId) || !departments.some((p) => p.id === d.parentId));
    if (ready.length === 0) break;
    for (const d of ready) {
      ordered.push(d);
      done.push(d.id);
    }
    remaining = remaining.filter((d) => !ready.includes(d));
  }
  return ordered;
}

export function naivePlan(input: PlanInput): NaiveAction[] {
  const { source, target, links, matchRules } = input;
  const actions: NaiveAction[] = [];
  const findLink = (entity: string, sourceId: string) => links.find((l) => l.entity === entity && l.sourceId === sourceId);
  const targetIdOf = (entity: 'department' | 'user', sourceId: string | null): string | null => {
    if (sourceId === null) return entity === 'department' ? (input.targetRootId ?? null) : null;
    return findLink(entity, sourceId)?.targetId ?? null;
  };

  for (const d of naiveTopDown(source.departments)) {
    const link = findLink('department', d.id);
    const current = link ? target.departments.find((t) => t.id === link.targetId) : undefined;
    if (!current) {
      actions.push({ kind: 'CreateDepartment', sourceId: d.id, targetId: null });
      continue;
    }
    if (current.name !== d.name) actions.push({ kind: 'UpdateDepartment', sourceId: d.id, targetId: current.id });
    if (current.parentId !== targetIdOf('department', d.parentId)) actions.push({ kind: 'MoveDepartment', sourceId: d.id, targetId: current.id });
  }

  const matched: string[] = [];
  for (const u of source.users) {
    const link = findLink('user', u.id);
    let current: User | undefined = link ? target.users.find((t) => t.id === link.targetId) : undefined;
    for (const key of matchRules) {
      if (current || u[key] === null) continue;
      current = target.users.find((t) => t[key] !== null && (t[key] as string).toLowerCase() === (u[key] as string).toLowerCase());
    }
    if (!current) {
      actions.push({ kind: 'CreateUser', sourceId: u.id, targetId: null });
      continue;
    }
    matched.push(current.id);
    if (userFields.some((f) => u[f] !== current[f])) actions.push({ kind: 'UpdateUser', sourceId: u.id, targetId: current.id });
    const departments = u.departmentIds.map((id) => targetIdOf('department', id) ?? '');
    if (!sameList(departments, current.departmentIds)) actions.push({ kind: 'ChangeUserDepartment', sourceId: u.id, targetId: current.id });
    if (targetIdOf('user', u.managerId) !== current.managerId) actions.push({ kind: 'SetManager', sourceId: u.id, targetId: current.id });
  }

  for (const t of target.users) {
    if (t.status === 'active' && !matched.includes(t.id)) actions.push({ kind: 'DisableUser', sourceId: null, targetId: t.id });
  }
  return actions;
}
