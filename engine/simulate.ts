// An in-memory target for tests and benchmarks: applies connector operations like a strict vendor
// would, and throws when an operation names something that does not exist at that moment.
import type { ApplyResult, ConnectorOperation } from './connector';
import type { Department, DirectorySnapshot, EntityKind, User } from './model';
import type { Link, Plan, PlanAction } from './plan-types';
import { resolveAction } from './resolve';

export class SimulationError extends Error {
  override name = 'SimulationError';
}

export class SimulatedDirectory {
  private readonly departments = new Map<string, Department>();
  private readonly users = new Map<string, User>();
  /** members and sub-departments per department, so deletes are checked in O(1) */
  private readonly memberCount = new Map<string, number>();
  private readonly childCount = new Map<string, number>();
  private nextId = 1;

  constructor(
    snapshot: DirectorySnapshot,
    private readonly idPrefix = 'sim-',
  ) {
    for (const d of snapshot.departments) this.departments.set(d.id, structuredClone(d));
    for (const u of snapshot.users) this.users.set(u.id, structuredClone(u));
    for (const d of this.departments.values()) if (d.parentId !== null) this.bump(this.childCount, d.parentId, 1);
    for (const u of this.users.values()) for (const id of u.departmentIds) this.bump(this.memberCount, id, 1);
  }

  snapshot(): DirectorySnapshot {
    return { departments: [...this.departments.values()].map((d) => structuredClone(d)), users: [...this.users.values()].map((u) => structuredClone(u)) };
  }

  apply(op: ConnectorOperation): ApplyResult {
    switch (op.action) {
      case 'CreateDepartment': {
        const id = op.department.id || this.newId();
        if (this.departments.has(id)) throw new SimulationError(`department ${id} exists`);
        this.checkDepartment(op.department.parentId, 'parent');
        op.department.leaderIds.forEach((l) => this.checkUser(l, 'leader'));
        this.departments.set(id, { ...structuredClone(op.department), id });
        if (op.department.parentId !== null) this.bump(this.childCount, op.department.parentId, 1);
        return { externalId: id };
      }
      case 'UpdateDepartment': {
        const d = this.department(op.id);
        const { parentId, leaderIds } = op.changes;
        if (parentId !== undefined && parentId !== d.parentId) {
          this.checkDepartment(parentId, 'parent');
          for (let at = parentId; at !== null; at = this.department(at).parentId) {
            if (at === d.id) throw new SimulationError(`moving department ${d.id} under its own subtree`);
          }
          if (d.parentId !== null) this.bump(this.childCount, d.parentId, -1);
          if (parentId !== null) this.bump(this.childCount, parentId, 1);
        }
        leaderIds?.forEach((l) => this.checkUser(l, 'leader'));
        Object.assign(d, structuredClone(op.changes));
        return {};
      }
      case 'DeleteDepartment': {
        const d = this.department(op.id);
        if ((this.childCount.get(d.id) ?? 0) > 0) throw new SimulationError(`department ${d.id} has sub-departments`);
        if ((this.memberCount.get(d.id) ?? 0) > 0) throw new SimulationError(`department ${d.id} has members`);
        this.departments.delete(d.id);
        if (d.parentId !== null) this.bump(this.childCount, d.parentId, -1);
        return {};
      }
      case 'CreateUser': {
        const id = op.user.id || this.newId();
        if (this.users.has(id)) throw new SimulationError(`user ${id} exists`);
        const user = { ...structuredClone(op.user), id };
        this.checkUserReferences(user);
        user.mainDepartmentId ??= user.departmentIds[0] ?? null; // vendors default the main department
        this.users.set(id, user);
        for (const d of user.departmentIds) this.bump(this.memberCount, d, 1);
        return { externalId: id };
      }
      case 'UpdateUser': {
        const u = this.user(op.id);
        const next = { ...u, ...structuredClone(op.changes) };
        this.checkUserReferences(next);
        if (op.changes.departmentIds && (next.mainDepartmentId === null || !next.departmentIds.includes(next.mainDepartmentId))) {
          next.mainDepartmentId = next.departmentIds[0] ?? null;
        }
        for (const d of u.departmentIds) this.bump(this.memberCount, d, -1);
        for (const d of next.departmentIds) this.bump(this.memberCount, d, 1);
        this.users.set(u.id, next);
        return {};
      }
      case 'DisableUser':
        this.user(op.id).status = 'disabled';
        return {};
      case 'EnableUser':
        this.user(op.id).status = 'active';
        return {};
      case 'DeleteUser': {
        const u = this.user(op.id);
        this.users.delete(u.id);
        for (const d of u.departmentIds) this.bump(this.memberCount, d, -1);
        // Like the vendors: a deleted person stops being anyone's manager or leader.
        for (const other of this.users.values()) if (other.managerId === u.id) other.managerId = null;
        for (const d of this.departments.values()) if (d.leaderIds.includes(u.id)) d.leaderIds = d.leaderIds.filter((l) => l !== u.id);
        return {};
      }
    }
  }

  private checkUserReferences(user: User): void {
    user.departmentIds.forEach((d) => this.checkDepartment(d, 'department'));
    if (user.mainDepartmentId !== null) this.checkDepartment(user.mainDepartmentId, 'main department');
    if (user.managerId !== null) this.checkUser(user.managerId, 'manager');
  }

  private checkDepartment(id: string | null, role: string): void {
    if (id !== null && !this.departments.has(id)) throw new SimulationError(`${role} department ${id} does not exist`);
  }

  private checkUser(id: string, role: string): void {
    if (!this.users.has(id)) throw new SimulationError(`${role} user ${id} does not exist`);
  }

  private department(id: string): Department {
    const d = this.departments.get(id);
    if (!d) throw new SimulationError(`department ${id} does not exist`);
    return d;
  }

  private user(id: string): User {
    const u = this.users.get(id);
    if (!u) throw new SimulationError(`user ${id} does not exist`);
    return u;
  }

  private bump(counts: Map<string, number>, id: string, by: number): void {
    counts.set(id, (counts.get(id) ?? 0) + by);
  }

  private newId(): string {
    return `${this.idPrefix}${this.nextId++}`;
  }
}

export interface SimulationResult {
  target: DirectorySnapshot;
  links: Link[];
  /** actions that could not be resolved (a reference with no target yet), in plan order */
  unresolved: { action: PlanAction; reason: string }[];
}

/**
 * Applies a plan the way the apply step does: record adopted links, resolve each action through
 * links (creates add links as they succeed), apply it. Staged deletes are applied unless told not to.
 */
export function simulatePlan(
  plan: Plan,
  target: DirectorySnapshot,
  links: readonly Link[],
  options: { applyStaged?: boolean } = {},
): SimulationResult {
  const directory = new SimulatedDirectory(target);
  const linkMap = { department: new Map<string, string>(), user: new Map<string, string>() };
  for (const link of [...links, ...plan.newLinks]) linkMap[link.entity].set(link.sourceId, link.targetId);
  const lookup = (entity: EntityKind, sourceId: string): string | undefined => linkMap[entity].get(sourceId);
  const unresolved: SimulationResult['unresolved'] = [];
  for (const action of plan.actions) {
    if (action.staged && options.applyStaged === false) continue;
    const op = resolveAction(action, lookup, plan.targetRootId);
    if ('unresolved' in op) {
      unresolved.push({ action, reason: op.unresolved });
      continue;
    }
    const result = directory.apply(op);
    if (result.externalId !== undefined && action.sourceId !== null) linkMap[action.entity].set(action.sourceId, result.externalId);
    if ((op.action === 'DeleteUser' || op.action === 'DeleteDepartment') && action.sourceId !== null) {
      linkMap[action.entity].delete(action.sourceId);
    }
  }
  const out: Link[] = [];
  for (const entity of ['department', 'user'] as const) {
    for (const [sourceId, targetId] of linkMap[entity]) out.push({ entity, sourceId, targetId });
  }
  return { target: directory.snapshot(), links: out, unresolved };
}
