// Offboarding: disables first, then staged deletes (users, then departments bottom-up). Only
// entities this task manages are touched: linked ones, or, for an unscoped task, everything
// under the target root that nothing in the source matched. In the hub (upstream tasks) only the
// people the task owns and the departments it linked.
import type { Department, User } from './model';
import { actionKey, type PlanContext } from './plan-context';
import { isScoped } from './scope';

interface Orphans {
  users: { user: User; sourceId: string | null }[];
  departments: { department: Department; sourceId: string | null; depth: number }[];
}

function reverse(map: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [sourceId, targetId] of map) out.set(targetId, sourceId);
  return out;
}

/** Target department ids under the root (all when there is no root), with their depth. */
function managedDepartmentDepths(ctx: PlanContext): Map<string, number> {
  const children = new Map<string | null, Department[]>();
  for (const d of ctx.input.target.departments) {
    const parent = d.parentId !== null && ctx.targetDepartments.has(d.parentId) ? d.parentId : null;
    const list = children.get(parent);
    if (list) list.push(d);
    else children.set(parent, [d]);
  }
  const depths = new Map<string, number>();
  const queue: [string, number][] = (ctx.root !== null ? (children.get(ctx.root) ?? []) : (children.get(null) ?? [])).map(
    (d) => [d.id, 1],
  );
  for (let i = 0; i < queue.length; i++) {
    const [id, depth] = queue[i];
    if (depths.has(id)) continue;
    depths.set(id, depth);
    for (const child of children.get(id) ?? []) queue.push([child.id, depth + 1]);
  }
  return depths;
}

function findOrphans(ctx: PlanContext): Orphans {
  const unlinkedAreManaged = !isScoped(ctx.input.scope) && (ctx.input.sourceFailures ?? []).length === 0;
  const heldUserTargets = new Set<string>(ctx.correlation.protectedUsers);
  for (const failure of ctx.input.sourceFailures ?? []) {
    const targetId = ctx.liveLinks.user.get(failure.sourceId);
    if (targetId !== undefined) heldUserTargets.add(targetId);
  }
  const matchedUsers = new Set(ctx.correlation.users.values());
  const linkedUsers = reverse(ctx.liveLinks.user);
  const depths = managedDepartmentDepths(ctx);
  const inArea = (u: User): boolean =>
    ctx.root === null || u.departmentIds.some((id) => id === ctx.root || depths.has(id));
  const owned = ctx.input.hubOwnership?.ownedUserIds;
  const users: Orphans['users'] = [];
  for (const u of ctx.input.target.users) {
    if (matchedUsers.has(u.id) || heldUserTargets.has(u.id) || (owned && !owned.has(u.id))) continue;
    const sourceId = linkedUsers.get(u.id) ?? null;
    if (sourceId === null && !(unlinkedAreManaged && inArea(u))) continue;
    users.push({ user: u, sourceId });
  }
  const matchedDepartments = new Set(ctx.correlation.departments.values());
  const linkedDepartments = reverse(ctx.liveLinks.department);
  const departments: Orphans['departments'] = [];
  for (const d of ctx.input.target.departments) {
    const depth = depths.get(d.id);
    if (depth === undefined || matchedDepartments.has(d.id) || ctx.correlation.protectedDepartments.has(d.id)) continue;
    const sourceId = linkedDepartments.get(d.id) ?? null;
    // In the hub, an unlinked department is another source's or the API's: never this task's to delete.
    if (sourceId === null && (!unlinkedAreManaged || ctx.input.hubOwnership)) continue;
    departments.push({ department: d, sourceId, depth });
  }
  return { users, departments };
}

export function planOffboarding(ctx: PlanContext, users: readonly User[]): void {
  const caps = ctx.capabilities;
  const orphans = findOrphans(ctx);
  const deletedDepartments = new Set(caps.deleteDepartment ? orphans.departments.map((o) => o.department.id) : []);
  const stagedUserDeletes: { user: User; sourceId: string | null; reason: string }[] = [];

  // People disabled in the source: frozen whatever the policy, deleted only when freezing is impossible.
  for (const u of users) {
    const targetId = ctx.correlation.users.get(u.id);
    if (u.status !== 'disabled' || targetId === undefined) continue;
    const current = ctx.targetUsers.get(targetId) as User;
    if (current.status === 'disabled' || (ctx.input.hubOwnership && !ctx.input.hubOwnership.ownedUserIds.has(targetId))) continue;
    if (caps.disableUser) pushDisable(ctx, current, u.id, 'disabled in the source');
    else stagedUserDeletes.push({ user: current, sourceId: u.id, reason: 'disabled in the source; the target cannot disable accounts' });
  }

  const departmentSourceIds = reverse(ctx.correlation.departments);
  const unscopedSourceUsers = new Set(ctx.input.source.users.map((s) => s.id));
  for (const { user, sourceId } of orphans.users) {
    const why =
      sourceId !== null && unscopedSourceUsers.has(sourceId) ? 'outside the task scope' : 'removed from the source';
    // Deleted in the hub (not merely offboarded): the delete is staged whatever the policy, the account frozen meanwhile.
    const deletedInHub = ctx.input.sourceIsHub === true && sourceId !== null && !unscopedSourceUsers.has(sourceId);
    if (deletedInHub) stagedUserDeletes.push({ user, sourceId, reason: 'deleted in the hub' });
    if (ctx.input.offboarding === 'delete' || !caps.disableUser) {
      if (deletedInHub) continue;
      const reason = ctx.input.offboarding === 'delete' ? `${why}; offboarding policy is delete` : `${why}; the target cannot disable accounts`;
      stagedUserDeletes.push({ user, sourceId, reason });
      continue;
    }
    // A frozen account must leave departments about to be deleted, or their delete would fail.
    if (user.departmentIds.some((id) => deletedDepartments.has(id))) {
      const departmentIds = user.departmentIds
        .filter((id) => !deletedDepartments.has(id))
        .flatMap((id) => (departmentSourceIds.has(id) ? [departmentSourceIds.get(id) as string] : []));
      ctx.actions.push({
        key: actionKey('user', sourceId, user.id, 'ChangeUserDepartment'),
        kind: 'ChangeUserDepartment',
        entity: 'user',
        sourceId,
        targetId: user.id,
        before: { departmentIds: user.departmentIds, mainDepartmentId: user.mainDepartmentId },
        after: { departmentIds, mainDepartmentId: null },
        reason: 'leaves departments staged for deletion',
      });
    }
    if (user.status === 'active') pushDisable(ctx, user, sourceId, why);
  }

  for (const { user, sourceId, reason } of stagedUserDeletes) {
    if (!caps.deleteUser) {
      ctx.failed.push({ key: actionKey('user', sourceId, user.id, 'DeleteUser'), entity: 'user', sourceId, targetId: user.id, reason: `${reason}; the target cannot delete accounts either` });
      continue;
    }
    ctx.actions.push({
      key: actionKey('user', sourceId, user.id, 'DeleteUser'),
      kind: 'DeleteUser',
      entity: 'user',
      sourceId,
      targetId: user.id,
      before: { username: user.username, name: user.name, status: user.status },
      after: null,
      staged: true,
      reason,
    });
  }

  const bottomUp = [...orphans.departments].sort((a, b) => b.depth - a.depth);
  for (const { department, sourceId } of bottomUp) {
    const key = actionKey('department', sourceId, department.id, 'DeleteDepartment');
    if (!caps.deleteDepartment) {
      ctx.failed.push({ key, entity: 'department', sourceId, targetId: department.id, reason: 'removed from the source; the target cannot delete departments' });
      continue;
    }
    ctx.actions.push({
      key,
      kind: 'DeleteDepartment',
      entity: 'department',
      sourceId,
      targetId: department.id,
      before: { name: department.name, parentId: department.parentId },
      after: null,
      staged: true,
      reason: 'removed from the source',
    });
  }
}

function pushDisable(ctx: PlanContext, user: User, sourceId: string | null, reason: string): void {
  ctx.actions.push({
    key: actionKey('user', sourceId, user.id, 'DisableUser'),
    kind: 'DisableUser',
    entity: 'user',
    sourceId,
    targetId: user.id,
    before: { status: 'active' },
    after: { status: 'disabled' },
    reason,
  });
}
