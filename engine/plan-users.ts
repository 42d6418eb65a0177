// Users: re-enable, update and move existing accounts, then create new ones managers first so the
// manager can go into the create call; the manager pass sets what is left.
import { canonicalUserFields } from './field-mapping';
import type { User } from './model';
import { actionKey, resolveReference, sameSet, sameValue, withoutRoot, type PlanContext } from './plan-context';
import type { UserFields } from './plan-types';

/** The user's planned departments: in the (scoped) source, duplicates removed. */
function plannedDepartments(ctx: PlanContext, user: User): { departmentIds: string[]; mainDepartmentId: string | null } {
  const inSource = user.departmentIds.filter((id) => ctx.sourceDepartments.has(id));
  const departmentIds = inSource.length <= 1 ? inSource : [...new Set(inSource)];
  const main = user.mainDepartmentId;
  return { departmentIds, mainDepartmentId: main !== null && departmentIds.includes(main) ? main : null };
}

/** Users planned this run: in scope, not failed, not in a failed department. */
export function plannableUsers(ctx: PlanContext): User[] {
  const failedUsers = ctx.correlation.failedUsers;
  const failedDepartments = ctx.correlation.failedDepartments;
  const held = new Set((ctx.input.sourceFailures ?? []).map((f) => f.sourceId));
  const users: User[] = [];
  for (const u of ctx.source.users) {
    if (failedUsers.has(u.id) || held.has(u.id)) continue;
    const blocked = u.departmentIds.find((id) => failedDepartments.has(id));
    if (blocked !== undefined) {
      ctx.failed.push({
        key: actionKey('user', u.id, ctx.correlation.users.get(u.id) ?? null, 'Department'),
        entity: 'user',
        sourceId: u.id,
        targetId: ctx.correlation.users.get(u.id) ?? null,
        reason: `department ${blocked} failed`,
      });
      continue;
    }
    users.push(u);
  }
  return users;
}

export function planUsers(ctx: PlanContext, users: readonly User[]): void {
  const toCreate: User[] = [];
  for (const u of users) {
    const targetId = ctx.correlation.users.get(u.id);
    if (targetId === undefined) {
      // A disabled person without an account stays without one.
      if (u.status === 'active') toCreate.push(u);
      continue;
    }
    planExistingUser(ctx, u, targetId, ctx.targetUsers.get(targetId) as User);
  }
  for (const u of toCreate) ctx.created.user.add(u.id);
  planCreates(ctx, managersFirst(toCreate));
}

function planExistingUser(ctx: PlanContext, u: User, targetId: string, current: User): void {
  if (u.status === 'active' && current.status === 'disabled') {
    ctx.actions.push({
      key: actionKey('user', u.id, targetId, 'EnableUser'),
      kind: 'EnableUser',
      entity: 'user',
      sourceId: u.id,
      targetId,
      before: { status: 'disabled' },
      after: { status: 'active' },
      reason: 'active in the source again',
    });
  }
  const before: Partial<UserFields> = {};
  const after: Partial<UserFields> = {};
  for (const field of canonicalUserFields) {
    if (u[field] !== current[field]) {
      before[field] = current[field] as never;
      after[field] = u[field] as never;
    }
  }
  const kept = ctx.capabilities.attributes;
  const keeps = (key: string) => kept === 'any' || (kept?.includes(key) ?? false);
  const changedKeys = Object.keys(u.attributes).filter((k) => keeps(k) && !sameValue(u.attributes[k], current.attributes[k]));
  if (changedKeys.length > 0) {
    // The whole merged object, so a connector that replaces attributes keeps the target's other keys.
    before.attributes = current.attributes;
    after.attributes = { ...current.attributes, ...u.attributes };
  }
  if (Object.keys(after).length > 0) {
    ctx.actions.push({ key: actionKey('user', u.id, targetId, 'UpdateUser'), kind: 'UpdateUser', entity: 'user', sourceId: u.id, targetId, before, after });
  }
  const planned = plannedDepartments(ctx, u);
  const wished = planned.departmentIds.map((id) => resolveReference(ctx, 'department', id));
  const currentDepartments = current.departmentIds.filter((id) => withoutRoot(ctx, id) !== null);
  const wishedMain = planned.mainDepartmentId === null ? null : resolveReference(ctx, 'department', planned.mainDepartmentId);
  const mainDiffers = wishedMain !== null && wishedMain !== current.mainDepartmentId;
  if (!sameSet(wished, currentDepartments) || mainDiffers) {
    ctx.actions.push({
      key: actionKey('user', u.id, targetId, 'ChangeUserDepartment'),
      kind: 'ChangeUserDepartment',
      entity: 'user',
      sourceId: u.id,
      targetId,
      before: { departmentIds: current.departmentIds, mainDepartmentId: current.mainDepartmentId },
      after: planned,
      // Leaving every department takes a person out of the structure: the mass-offboarding guard counts it.
      ...(planned.departmentIds.length === 0
        ? { reason: u.departmentIds.length > 0 ? 'in no department of the source (its departments are gone from it): moves to the top level' : 'in no department of the source: moves to the top level' }
        : {}),
    });
  }
}

/**
 * Orders users so each manager comes before their reports (a cycle is broken where it closes), level
 * by level: everyone whose manager is not created before them first, then their reports, and so on.
 * Which creates carry their manager is the same as in a depth-first order; what the levels add is
 * that creates of one level do not depend on each other, so the apply batches of a level may run
 * at the same time (activities/batch-order.ts) instead of each waiting for the batch before it.
 */
export function managersFirst(users: readonly User[]): User[] {
  const ordered = managersFirstDepthFirst(users);
  const level = new Map<string, number>();
  for (const u of ordered) {
    const managerLevel = u.managerId === null ? undefined : level.get(u.managerId);
    level.set(u.id, managerLevel === undefined ? 0 : managerLevel + 1);
  }
  // Array.prototype.sort is stable: within a level the depth-first order stays.
  return ordered.map((u, i) => ({ u, i, l: level.get(u.id) as number })).sort((a, b) => a.l - b.l || a.i - b.i).map(({ u }) => u);
}

function managersFirstDepthFirst(users: readonly User[]): User[] {
  const byId = new Map(users.map((u) => [u.id, u]));
  const state = new Map<string, 'visiting' | 'done'>();
  const ordered: User[] = [];
  for (const start of users) {
    // Walk up the manager chain iteratively (chains can be long), then emit top-down.
    const chain: User[] = [];
    let current: User | undefined = start;
    while (current && !state.has(current.id)) {
      state.set(current.id, 'visiting');
      chain.push(current);
      current = current.managerId === null ? undefined : byId.get(current.managerId);
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      state.set(chain[i].id, 'done');
      ordered.push(chain[i]);
    }
  }
  return ordered;
}

function planCreates(ctx: PlanContext, ordered: readonly User[]): void {
  const createdSoFar = new Set<string>();
  for (const u of ordered) {
    const planned = plannedDepartments(ctx, u);
    let managerId: string | null = null;
    if (ctx.capabilities.manager && u.managerId !== null) {
      const ref = resolveReference(ctx, 'user', u.managerId);
      // Only a manager that exists by the time this create runs goes into the call.
      if (ref !== 'missing' && (ref !== 'created' || createdSoFar.has(u.managerId))) managerId = u.managerId;
    }
    const { id: _id, ...fields } = u;
    ctx.actions.push({
      key: actionKey('user', u.id, null, 'CreateUser'),
      kind: 'CreateUser',
      entity: 'user',
      sourceId: u.id,
      targetId: null,
      before: null,
      after: { ...fields, ...planned, managerId, status: 'active' },
    });
    createdSoFar.add(u.id);
  }
}

/** The manager pass: every manager not already set by a create; unresolvable ones are deferred. */
export function planManagers(ctx: PlanContext, users: readonly User[]): void {
  if (!ctx.capabilities.manager) return;
  const createdWithManager = new Set<string>();
  for (const action of ctx.actions) {
    if (action.kind === 'CreateUser' && action.after?.managerId) createdWithManager.add(action.sourceId as string);
  }
  for (const u of users) {
    const targetId = ctx.correlation.users.get(u.id) ?? null;
    if (targetId === null && !ctx.created.user.has(u.id)) continue;
    if (createdWithManager.has(u.id)) continue;
    const current = targetId === null ? null : ((ctx.targetUsers.get(targetId) as User).managerId ?? null);
    const wished = u.managerId === null ? null : resolveReference(ctx, 'user', u.managerId);
    if (wished === 'missing') {
      ctx.deferred.push({
        key: actionKey('user', u.id, targetId, 'SetManager'),
        entity: 'user',
        sourceId: u.id,
        field: 'managerId',
        missingSourceIds: [u.managerId as string],
        reason: 'manager not in the target (outside the scope, not created or failed); retried next run',
      });
      continue;
    }
    if (wished === current) continue;
    ctx.actions.push({
      key: actionKey('user', u.id, targetId, 'SetManager'),
      kind: 'SetManager',
      entity: 'user',
      sourceId: u.id,
      targetId,
      before: { managerId: current },
      after: { managerId: u.managerId },
    });
  }
}
