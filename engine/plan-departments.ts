// Departments top-down: creates, renames/reorders and moves, each after its new parent exists;
// leaders come later, once the users they name exist.
import { departmentsTopDown } from './correlation';
import type { Department } from './model';
import { actionKey, existingTarget, resolveReference, sameSet, withoutRoot, type PlanContext } from './plan-context';
import type { DepartmentFields } from './plan-types';

/** The source parent as planned: a parent outside the (scoped) source counts as top level. */
export function plannedParent(ctx: PlanContext, department: Department): string | null {
  const parentId = department.parentId;
  return parentId !== null && ctx.sourceDepartments.has(parentId) && parentId !== department.id ? parentId : null;
}

export function planDepartments(ctx: PlanContext): void {
  for (const d of departmentsTopDown(ctx.source.departments)) {
    if (ctx.correlation.failedDepartments.has(d.id)) continue;
    const parentId = plannedParent(ctx, d);
    const targetId = ctx.correlation.departments.get(d.id);
    if (targetId === undefined) {
      ctx.created.department.add(d.id);
      ctx.actions.push({
        key: actionKey('department', d.id, null, 'CreateDepartment'),
        kind: 'CreateDepartment',
        entity: 'department',
        sourceId: d.id,
        targetId: null,
        before: null,
        after: { name: d.name, parentId, order: d.order },
      });
      continue;
    }
    const current = ctx.targetDepartments.get(targetId) as Department;
    const before: Partial<DepartmentFields> = {};
    const after: Partial<DepartmentFields> = {};
    if (current.name !== d.name) {
      before.name = current.name;
      after.name = d.name;
    }
    // A source without an order (0) leaves the order an app picked itself alone, or it would differ on every run.
    const ordered = ctx.capabilities.departmentOrder !== false && (d.order !== 0 || !ctx.capabilities.assignsDepartmentOrder);
    if (ordered && current.order !== d.order) {
      before.order = current.order;
      after.order = d.order;
    }
    if (Object.keys(after).length > 0) {
      ctx.actions.push({
        key: actionKey('department', d.id, targetId, 'UpdateDepartment'),
        kind: 'UpdateDepartment',
        entity: 'department',
        sourceId: d.id,
        targetId,
        before,
        after,
      });
    }
    const wishedParent = parentId === null ? null : resolveReference(ctx, 'department', parentId);
    if (ctx.capabilities.departmentHierarchy !== false && wishedParent !== withoutRoot(ctx, current.parentId)) {
      ctx.actions.push({
        key: actionKey('department', d.id, targetId, 'MoveDepartment'),
        kind: 'MoveDepartment',
        entity: 'department',
        sourceId: d.id,
        targetId,
        before: { parentId: current.parentId },
        after: { parentId },
      });
    }
  }
}

/** Leaders for every planned department, after the users exist; unresolvable leaders are deferred. */
export function planDepartmentLeaders(ctx: PlanContext): void {
  if (!ctx.capabilities.departmentLeader) return;
  for (const d of departmentsTopDown(ctx.source.departments)) {
    if (ctx.correlation.failedDepartments.has(d.id)) continue;
    const targetId = existingTarget(ctx, 'department', d.id) ?? null;
    const resolvable: string[] = [];
    const wishedTargets: string[] = [];
    const missing: string[] = [];
    for (const leaderId of d.leaderIds) {
      const ref = resolveReference(ctx, 'user', leaderId);
      if (ref === 'missing') missing.push(leaderId);
      else {
        resolvable.push(leaderId);
        wishedTargets.push(ref);
      }
    }
    if (missing.length > 0) {
      ctx.deferred.push({
        key: actionKey('department', d.id, targetId, 'UpdateDepartmentLeader'),
        entity: 'department',
        sourceId: d.id,
        field: 'leaderIds',
        missingSourceIds: missing,
        reason: 'leader not in the target (outside the scope, not created or failed); retried next run',
      });
    }
    const current = targetId === null ? [] : (ctx.targetDepartments.get(targetId)?.leaderIds ?? []);
    if (sameSet(wishedTargets, current)) continue;
    ctx.actions.push({
      key: actionKey('department', d.id, targetId, 'UpdateDepartmentLeader'),
      kind: 'UpdateDepartmentLeader',
      entity: 'department',
      sourceId: d.id,
      targetId,
      before: { leaderIds: current },
      after: { leaderIds: resolvable },
    });
  }
}
