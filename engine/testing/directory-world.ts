// Test support: random source/target directories with links and prior state, and the check that a
// target equals the source through links. Deterministic from a seed so fast-check can shrink counts.
import type { ConnectorCapabilities } from '../connector';
import type { Department, DirectorySnapshot, User } from '../model';
import type { Link, MatchKey, OffboardingPolicy } from '../plan-types';

export const allCapabilities: ConnectorCapabilities = {
  read: true,
  write: true,
  disableUser: true,
  deleteUser: true,
  deleteDepartment: true,
  manager: true,
  departmentLeader: true,
  realtimeEvents: false,
  attributes: 'any',
};

export function dept(id: string, parentId: string | null, extra: Partial<Department> = {}): Department {
  return { id, name: extra.name ?? `name-${id}`, parentId, order: 0, leaderIds: [], ...extra };
}

export function person(id: string, extra: Partial<User> = {}): User {
  return {
    id,
    username: `user-${id}`,
    name: `Name ${id}`,
    email: null,
    mobile: null,
    employeeNumber: null,
    title: null,
    departmentIds: [],
    mainDepartmentId: null,
    managerId: null,
    status: 'active',
    attributes: {},
    ...extra,
  };
}

export interface WorldParams {
  seed: number;
  departments: number;
  users: number;
  targetOnlyDepartments: number;
  targetOnlyUsers: number;
  withRoot: boolean;
}

export interface World {
  source: DirectorySnapshot;
  target: DirectorySnapshot;
  links: Link[];
  root: string | null;
}

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function buildWorld(p: WorldParams): World {
  const rnd = prng(p.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)];
  const some = <T>(items: readonly T[], max: number): T[] => {
    const out = new Set<T>();
    const n = items.length === 0 ? 0 : Math.floor(rnd() * (max + 1));
    for (let i = 0; i < n; i++) out.add(pick(items));
    return [...out];
  };
  const root = p.withRoot ? 'root' : null;

  const sourceDepartments: Department[] = [];
  for (let i = 0; i < p.departments; i++) {
    const parentId = i > 0 && rnd() < 0.7 ? `s-d${Math.floor(rnd() * i)}` : null;
    sourceDepartments.push(dept(`s-d${i}`, parentId, { name: `D${i}`, order: Math.floor(rnd() * 3) }));
  }
  const sourceDepartmentIds = sourceDepartments.map((d) => d.id);
  const sourceUsers: User[] = [];
  for (let i = 0; i < p.users; i++) {
    const departmentIds = some(sourceDepartmentIds, 2);
    sourceUsers.push(
      person(`s-u${i}`, {
        username: `u${i}`,
        name: `User ${i}`,
        email: rnd() < 0.9 ? `u${i}@corp.example` : null,
        mobile: rnd() < 0.7 ? `1380000${String(i).padStart(4, '0')}` : null,
        employeeNumber: rnd() < 0.85 ? `E${i}` : null,
        title: rnd() < 0.5 ? pick(['engineer', 'manager', 'analyst']) : null,
        departmentIds,
        mainDepartmentId: departmentIds.length > 0 && rnd() < 0.5 ? pick(departmentIds) : null,
        // Any other user, so chains and the odd cycle both occur.
        managerId: p.users > 1 && rnd() < 0.6 ? `s-u${(i + 1 + Math.floor(rnd() * (p.users - 1))) % p.users}` : null,
        status: rnd() < 0.15 ? 'disabled' : 'active',
        attributes: rnd() < 0.5 ? { level: Math.floor(rnd() * 3) } : {},
      }),
    );
  }
  const sourceUserIds = sourceUsers.map((u) => u.id);
  for (const d of sourceDepartments) d.leaderIds = some(sourceUserIds, 2);

  const links: Link[] = [];
  const targetDepartments: Department[] = root ? [dept(root, null, { name: 'Root' })] : [];
  const copyOf = new Map<string, string>();
  // Copies are created in a random order so the target's tree can be the source's upside down.
  const order = [...sourceDepartments].sort(() => rnd() - 0.5);
  const creationOrder = [...order].sort((a, b) => Number(a.id.slice(3)) - Number(b.id.slice(3)));
  let next = 0;
  for (const d of rnd() < 0.5 ? order : creationOrder) {
    const r = rnd();
    if (r >= 0.65) continue;
    const id = `t-d${next++}`;
    const existing = targetDepartments.filter((t) => t.id !== root).map((t) => t.id);
    if (r < 0.4) {
      const parentId = existing.length > 0 && rnd() < 0.6 ? pick(existing) : root;
      targetDepartments.push(dept(id, parentId, { name: rnd() < 0.2 ? `${d.name}-old` : d.name, order: Math.floor(rnd() * 3) }));
      links.push({ entity: 'department', sourceId: d.id, targetId: id });
    } else {
      // An unlinked copy where the source has it, so it can be adopted by parent and name.
      const parentId = (d.parentId !== null ? copyOf.get(d.parentId) : undefined) ?? root;
      targetDepartments.push(dept(id, parentId, { name: d.name, order: d.order }));
    }
    copyOf.set(d.id, id);
  }
  for (let j = 0; j < p.targetOnlyDepartments; j++) {
    const existing = targetDepartments.filter((t) => t.id !== root).map((t) => t.id);
    targetDepartments.push(dept(`t-x${j}`, existing.length > 0 && rnd() < 0.5 ? pick(existing) : root, { name: `X${j}` }));
  }
  const targetDepartmentIds = targetDepartments.filter((t) => t.id !== root).map((t) => t.id);
  const targetUsers: User[] = [];
  const targetDepartmentsFor = (): string[] => {
    const ids = some(targetDepartmentIds, 2);
    return ids.length === 0 && root ? [root] : ids;
  };
  for (const u of sourceUsers) {
    const r = rnd();
    if (r >= 0.6) continue;
    const id = `t-u${targetUsers.length}`;
    const departmentIds = targetDepartmentsFor();
    targetUsers.push({
      ...u,
      id,
      name: rnd() < 0.3 ? `${u.name} (old)` : u.name,
      email: u.email && rnd() < 0.3 ? u.email.toUpperCase() : u.email,
      mobile: u.mobile && rnd() < 0.3 ? `+86 ${u.mobile}` : u.mobile,
      title: rnd() < 0.3 ? 'old title' : u.title,
      departmentIds,
      mainDepartmentId: departmentIds[0] ?? null,
      managerId: targetUsers.length > 0 && rnd() < 0.5 ? pick(targetUsers).id : null,
      status: rnd() < 0.4 ? 'disabled' : 'active',
      attributes: rnd() < 0.3 ? { level: 9, vendorOnly: 'keep' } : u.attributes,
    });
    if (r < 0.35) links.push({ entity: 'user', sourceId: u.id, targetId: id });
  }
  for (let j = 0; j < p.targetOnlyUsers; j++) {
    const departmentIds = targetDepartmentsFor();
    targetUsers.push(
      person(`t-x${j}`, {
        username: `x${j}`,
        email: `x${j}@corp.example`,
        mobile: `1390000${String(j).padStart(4, '0')}`,
        employeeNumber: `X${j}`,
        departmentIds,
        mainDepartmentId: departmentIds[0] ?? null,
        status: rnd() < 0.3 ? 'disabled' : 'active',
      }),
    );
  }
  for (const d of targetDepartments) d.leaderIds = some(targetUsers.map((u) => u.id), 1);
  return { source: { departments: sourceDepartments, users: sourceUsers }, target: { departments: targetDepartments, users: targetUsers }, links, root };
}

export const matchRulePermutations: MatchKey[][] = [
  ['employeeNumber', 'email', 'mobile'],
  ['email', 'employeeNumber'],
  ['employeeNumber'],
  ['mobile', 'username', 'employeeNumber'],
];

/**
 * The differences between the source (in target terms, through links) and the target; empty when
 * equal. Users or leaders named but absent from the target (a disabled person never created) are skipped.
 */
export function differences(source: DirectorySnapshot, target: DirectorySnapshot, links: readonly Link[], root: string | null, offboarding: OffboardingPolicy): string[] {
  const out: string[] = [];
  const linkOf = { department: new Map<string, string>(), user: new Map<string, string>() };
  for (const l of links) linkOf[l.entity].set(l.sourceId, l.targetId);
  const targetDepartments = new Map(target.departments.map((d) => [d.id, d]));
  const targetUsers = new Map(target.users.map((u) => [u.id, u]));
  const sorted = (ids: readonly string[]): string => JSON.stringify([...new Set(ids)].sort());
  const inTarget = (entity: 'user' | 'department', sourceId: string): string | undefined => {
    const id = linkOf[entity].get(sourceId);
    return id !== undefined && (entity === 'user' ? targetUsers.has(id) : targetDepartments.has(id)) ? id : undefined;
  };
  const linkedTargets = new Set<string>();
  for (const d of source.departments) {
    const t = targetDepartments.get(inTarget('department', d.id) ?? '');
    if (!t) {
      out.push(`department ${d.id} missing`);
      continue;
    }
    linkedTargets.add(t.id);
    const parent = d.parentId === null ? root : inTarget('department', d.parentId);
    if (t.name !== d.name || t.order !== d.order || t.parentId !== parent) out.push(`department ${d.id} differs`);
    const leaders = d.leaderIds.flatMap((l) => inTarget('user', l) ?? []);
    if (sorted(leaders) !== sorted(t.leaderIds)) out.push(`department ${d.id} leaders differ`);
  }
  for (const d of target.departments) {
    if (d.id !== root && !linkedTargets.has(d.id)) out.push(`target department ${d.id} not in the source`);
  }
  const linkedUsers = new Set<string>();
  for (const u of source.users) {
    const t = targetUsers.get(inTarget('user', u.id) ?? '');
    if (!t) {
      if (u.status === 'active') out.push(`user ${u.id} missing`);
      continue;
    }
    linkedUsers.add(t.id);
    for (const field of ['username', 'name', 'email', 'mobile', 'employeeNumber', 'title', 'status'] as const) {
      if (u[field] !== t[field]) out.push(`user ${u.id} ${field} ${String(t[field])} ≠ ${String(u[field])}`);
    }
    for (const [key, value] of Object.entries(u.attributes)) {
      if (JSON.stringify(value ?? null) !== JSON.stringify(t.attributes[key] ?? null)) out.push(`user ${u.id} attributes.${key} differs`);
    }
    const departments = u.departmentIds.map((id) => inTarget('department', id) ?? `missing:${id}`);
    if (sorted(departments.length === 0 && root ? [root] : departments) !== sorted(t.departmentIds)) out.push(`user ${u.id} departments differ`);
    if (u.mainDepartmentId !== null && inTarget('department', u.mainDepartmentId) !== t.mainDepartmentId) out.push(`user ${u.id} main department differs`);
    const manager = u.managerId === null ? null : (inTarget('user', u.managerId) ?? 'absent');
    if (manager !== 'absent' && manager !== t.managerId) out.push(`user ${u.id} manager differs`);
  }
  for (const t of target.users) {
    if (linkedUsers.has(t.id)) continue;
    if (offboarding === 'delete') out.push(`target user ${t.id} not in the source still exists`);
    else if (t.status !== 'disabled') out.push(`target user ${t.id} not in the source is active`);
  }
  return out;
}
