// resolveAction: a planned action (source-id references) → the connector operation (target ids),
// shared by the apply step and the simulator so both convert the same way.
import type { ConnectorOperation } from './connector';
import type { User } from './model';
import type { PlanAction, TargetIdLookup } from './plan-types';

export type ResolvedAction = ConnectorOperation | { unresolved: string };

class Unresolved extends Error {}

/**
 * `lookupTargetId` answers from the task's links, including links recorded by this run's creates.
 * `targetRootId` is the plan's: top-level departments and department-less users go under it.
 */
export function resolveAction(action: PlanAction, lookupTargetId: TargetIdLookup, targetRootId: string | null = null): ResolvedAction {
  try {
    return toOperation(action, lookupTargetId, targetRootId);
  } catch (error) {
    if (error instanceof Unresolved) return { unresolved: error.message };
    throw error;
  }
}

function toOperation(action: PlanAction, lookup: TargetIdLookup, root: string | null): ConnectorOperation {
  const need = (entity: 'department' | 'user', sourceId: string, what: string): string => {
    const targetId = lookup(entity, sourceId);
    if (targetId === undefined) throw new Unresolved(`${what} ${sourceId} has no target ${entity} yet`);
    return targetId;
  };
  const self = (): string => {
    if (action.targetId !== null) return action.targetId;
    if (action.sourceId === null) throw new Unresolved('the action names no entity');
    return need(action.entity, action.sourceId, action.entity);
  };
  const parent = (sourceId: string | null | undefined): string | null =>
    sourceId === null || sourceId === undefined ? root : need('department', sourceId, 'parent department');
  const departments = (after: Partial<User>): Pick<User, 'departmentIds' | 'mainDepartmentId'> => {
    const ids = (after.departmentIds ?? []).map((id) => need('department', id, 'department'));
    const main = after.mainDepartmentId ? need('department', after.mainDepartmentId, 'main department') : null;
    return { departmentIds: ids.length === 0 && root !== null ? [root] : ids, mainDepartmentId: main };
  };
  if (action.entity === 'department') {
    const after = action.after ?? {};
    switch (action.kind) {
      case 'CreateDepartment':
        return {
          action: 'CreateDepartment',
          department: { id: '', name: after.name as string, parentId: parent(after.parentId), order: after.order ?? 0, leaderIds: [] },
        };
      case 'UpdateDepartment':
        return { action: 'UpdateDepartment', id: self(), changes: { ...after } };
      case 'MoveDepartment':
        return { action: 'UpdateDepartment', id: self(), changes: { parentId: parent(after.parentId) } };
      case 'UpdateDepartmentLeader':
        return {
          action: 'UpdateDepartment',
          id: self(),
          changes: { leaderIds: (after.leaderIds ?? []).map((id) => need('user', id, 'leader')) },
        };
      case 'DeleteDepartment':
        return { action: 'DeleteDepartment', id: self() };
    }
  }
  const after = action.after ?? {};
  switch (action.kind) {
    case 'CreateUser': {
      // A manager whose own create failed is left out; the next run's manager pass sets it.
      const managerId = after.managerId ? (lookup('user', after.managerId) ?? null) : null;
      const user = { ...(after as Omit<User, 'id'>), id: '', ...departments(after), managerId, status: 'active' as const };
      return { action: 'CreateUser', user };
    }
    case 'UpdateUser':
      return { action: 'UpdateUser', id: self(), changes: { ...after } };
    case 'ChangeUserDepartment': {
      const resolved = departments(after);
      // No main department is left to the vendor, unless the person is in none at all (a target
      // without a root, the hub): then the old main department must go too.
      const changes = resolved.mainDepartmentId === null && resolved.departmentIds.length > 0 ? { departmentIds: resolved.departmentIds } : resolved;
      return { action: 'UpdateUser', id: self(), changes };
    }
    case 'SetManager':
      return {
        action: 'UpdateUser',
        id: self(),
        changes: { managerId: after.managerId ? need('user', after.managerId, 'manager') : null },
      };
    case 'EnableUser':
      return { action: 'EnableUser', id: self() };
    case 'DisableUser':
      return { action: 'DisableUser', id: self() };
    case 'DeleteUser':
      return { action: 'DeleteUser', id: self() };
  }
}
