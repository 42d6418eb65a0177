// Downstream scope: which part of the source a task pushes. Departments keep their path (ancestors
// come along as containers) so the target tree has the same shape as the source.
import type { Department, DirectorySnapshot, User } from './model';
import type { SyncScope } from './plan-types';

export function isScoped(scope: SyncScope | undefined): scope is SyncScope {
  return !!scope && (scope.departmentIds.length > 0 || scope.userIds.length > 0 || !scope.includeNewUsers);
}

/**
 * The part of `source` in scope. Users keep only their in-scope departments; a user outside every
 * scoped subtree but listed in `userIds` keeps their own departments, which come along with their
 * ancestors. `linkedUserIds` are source users synced before, kept when new users are excluded.
 */
export function applyScope(
  source: DirectorySnapshot,
  scope: SyncScope | undefined,
  linkedUserIds: ReadonlySet<string>,
): DirectorySnapshot {
  if (!isScoped(scope)) return source;
  const byId = new Map(source.departments.map((d) => [d.id, d]));
  const children = new Map<string, Department[]>();
  for (const d of source.departments) {
    if (d.parentId === null) continue;
    const list = children.get(d.parentId);
    if (list) list.push(d);
    else children.set(d.parentId, [d]);
  }
  const everything = scope.departmentIds.length === 0 && scope.userIds.length === 0;
  // Departments whose members are in scope: the scoped subtrees (or the whole tree).
  const memberDepartments = new Set<string>();
  const stack = everything ? source.departments.map((d) => d.id) : scope.departmentIds.filter((id) => byId.has(id));
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (memberDepartments.has(id)) continue;
    memberDepartments.add(id);
    for (const child of children.get(id) ?? []) stack.push(child.id);
  }
  const listedUsers = new Set(scope.userIds);
  const users: User[] = [];
  const kept = new Set(memberDepartments);
  for (const user of source.users) {
    const listed = listedUsers.has(user.id);
    const inSubtree = user.departmentIds.some((id) => memberDepartments.has(id));
    if (!listed && !inSubtree) continue;
    if (!listed && !scope.includeNewUsers && !linkedUserIds.has(user.id)) continue;
    const departmentIds = listed
      ? user.departmentIds.filter((id) => byId.has(id))
      : user.departmentIds.filter((id) => memberDepartments.has(id));
    for (const id of departmentIds) kept.add(id);
    const mainDepartmentId =
      user.mainDepartmentId !== null && departmentIds.includes(user.mainDepartmentId) ? user.mainDepartmentId : null;
    users.push({ ...user, departmentIds, mainDepartmentId });
  }
  // Ancestors of every kept department come along so paths stay intact.
  for (const id of [...kept]) {
    let parentId = byId.get(id)?.parentId ?? null;
    while (parentId !== null && !kept.has(parentId) && byId.has(parentId)) {
      kept.add(parentId);
      parentId = byId.get(parentId)?.parentId ?? null;
    }
  }
  const departments = source.departments.filter((d) => kept.has(d.id));
  return { departments, users };
}
