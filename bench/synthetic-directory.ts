// Deterministic synthetic directories for the benchmarks: a company-shaped department tree
// (4–6 levels), people in one or two departments, a leader per department who manages its members,
// and unique emails, mobiles and employee numbers. Same seed, same directory, on every machine.
import type { Department, DirectorySnapshot, User } from '../engine/model';
import type { Link } from '../engine/plan-types';

export interface DirectoryShape {
  users: number;
  departments: number;
  seed?: number;
}

/** mulberry32: small, fast and good enough to shape test data; Math.random cannot be seeded. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const givenNames = ['wei', 'fang', 'na', 'min', 'jing', 'li', 'qiang', 'lei', 'jun', 'yang', 'yan', 'chao', 'tao', 'ming', 'xin'];
const familyNames = ['wang', 'li', 'zhang', 'liu', 'chen', 'yang', 'huang', 'zhao', 'wu', 'zhou', 'xu', 'sun', 'ma', 'zhu', 'hu'];
const titles = ['Engineer', 'Senior Engineer', 'Analyst', 'Designer', 'Sales Representative', 'Accountant', 'Product Manager', 'Support Specialist', null];
const unitWords = ['Sales', 'Engineering', 'Finance', 'Operations', 'Support', 'Research', 'Marketing', 'Legal', 'Logistics', 'Quality'];

/** Share of departments per level below the single top department; the deepest levels are the widest. */
const levelShares = [0.01, 0.06, 0.18, 0.3, 0.45];

export const departmentId = (i: number): string => `d${i}`;
export const userId = (i: number): string => `u${i}`;

function buildDepartments(count: number, rnd: () => number): { departments: Department[]; depth: Map<string, number> } {
  if (count < 1) throw new Error('departments: need at least one department');
  const departments: Department[] = [{ id: departmentId(0), name: 'Head Office', parentId: null, order: 0, leaderIds: [] }];
  const depth = new Map<string, number>([[departmentId(0), 1]]);
  let previousLevel = [departmentId(0)];
  let next = 1;
  for (let level = 0; level < levelShares.length && next < count; level++) {
    const size = level === levelShares.length - 1 ? count - next : Math.min(count - next, Math.max(1, Math.round((count - 1) * levelShares[level])));
    const thisLevel: string[] = [];
    for (let i = 0; i < size; i++, next++) {
      const id = departmentId(next);
      const parentId = previousLevel[Math.floor(rnd() * previousLevel.length)];
      const word = unitWords[Math.floor(rnd() * unitWords.length)];
      departments.push({ id, name: `${word} ${next}`, parentId, order: i, leaderIds: [] });
      depth.set(id, level + 2);
      thisLevel.push(id);
    }
    // Some branches stop at level 4 or 5: only a part of each level has children.
    previousLevel = level >= 2 ? thisLevel.filter(() => rnd() < 0.6) : thisLevel;
    if (previousLevel.length === 0) previousLevel = thisLevel;
  }
  return { departments, depth };
}

function person(i: number, rnd: () => number): User {
  const given = givenNames[Math.floor(rnd() * givenNames.length)];
  const family = familyNames[Math.floor(rnd() * familyNames.length)];
  return {
    id: userId(i),
    username: `${given}.${family}.${i}`,
    name: `${family[0].toUpperCase()}${family.slice(1)} ${given[0].toUpperCase()}${given.slice(1)}`,
    email: `${given}.${family}.${i}@corp.example.com`,
    mobile: `+8613${String(100_000_000 + i).slice(-9)}`, // E.164, as the hub stores it
    employeeNumber: `E${String(i).padStart(7, '0')}`,
    title: titles[Math.floor(rnd() * titles.length)],
    departmentIds: [],
    mainDepartmentId: null,
    managerId: null,
    status: 'active',
    attributes: { costCenter: `CC-${Math.floor(rnd() * 200)}` },
  };
}

/** A hub-side directory (source ids d<n>, u<n>). */
export function generateDirectory(shape: DirectoryShape): DirectorySnapshot {
  const rnd = seededRandom(shape.seed ?? 20240601);
  const { departments } = buildDepartments(shape.departments, rnd);
  const byId = new Map(departments.map((d) => [d.id, d]));
  const users: User[] = [];
  const leaderOf = new Map<string, string>();
  // Every department gets a leader first, so managers exist within each department.
  for (let i = 0; i < shape.users; i++) {
    const u = person(i, rnd);
    const main = i < departments.length ? departments[i] : departments[Math.floor(rnd() * departments.length)];
    u.departmentIds = [main.id];
    if (i >= departments.length && rnd() < 0.2) {
      const second = departments[Math.floor(rnd() * departments.length)];
      if (second.id !== main.id) u.departmentIds.push(second.id);
    }
    u.mainDepartmentId = main.id;
    if (i < departments.length) {
      leaderOf.set(main.id, u.id);
      main.leaderIds = [u.id];
    }
    users.push(u);
  }
  for (const u of users) {
    const main = byId.get(u.mainDepartmentId as string) as Department;
    let managerDepartment: Department | undefined = leaderOf.get(main.id) === u.id ? byId.get(main.parentId ?? '') : main;
    while (managerDepartment && !leaderOf.has(managerDepartment.id)) managerDepartment = byId.get(managerDepartment.parentId ?? '');
    u.managerId = managerDepartment ? (leaderOf.get(managerDepartment.id) as string) : null;
  }
  return { departments, users };
}

/** The target (WeCom-like: numeric-ish ids under root "1") as a previous full sync left it, with the links. */
export function syncedCopy(source: DirectorySnapshot, rootId = '1'): { target: DirectorySnapshot; links: Link[] } {
  const t = (id: string): string => `t-${id}`;
  const departments: Department[] = [{ id: rootId, name: 'Company', parentId: null, order: 0, leaderIds: [] }];
  for (const d of source.departments) {
    departments.push({ ...d, id: t(d.id), parentId: d.parentId === null ? rootId : t(d.parentId), leaderIds: d.leaderIds.map(t) });
  }
  const users = source.users.map((u) => ({
    ...u,
    id: t(u.id),
    departmentIds: u.departmentIds.map(t),
    mainDepartmentId: u.mainDepartmentId === null ? null : t(u.mainDepartmentId),
    managerId: u.managerId === null ? null : t(u.managerId),
    attributes: { ...u.attributes },
  }));
  const links: Link[] = [
    ...source.departments.map((d): Link => ({ entity: 'department', sourceId: d.id, targetId: t(d.id) })),
    ...source.users.map((u): Link => ({ entity: 'user', sourceId: u.id, targetId: t(u.id) })),
  ];
  return { target: { departments, users }, links };
}

export interface ChurnCounts {
  titleChanges: number;
  moves: number;
  managerChanges: number;
  hires: number;
  leavers: number;
  departmentRenames: number;
}

/**
 * The source a day later: about `rate` of the people changed (new titles, moves, new managers, hires,
 * leavers) and a few departments renamed. Returns a new snapshot; the input is left as it was.
 */
export function withChurn(source: DirectorySnapshot, rate = 0.01, seed = 7): { source: DirectorySnapshot; churn: ChurnCounts } {
  const rnd = seededRandom(seed);
  const n = source.users.length;
  const each = Math.max(1, Math.round((n * rate) / 5));
  const churn: ChurnCounts = { titleChanges: each, moves: each, managerChanges: each, hires: each, leavers: each, departmentRenames: Math.max(1, Math.round(source.departments.length * rate)) };
  const departments = source.departments.map((d) => ({ ...d }));
  const users = source.users.map((u) => ({ ...u }));
  // Leaders are left in place so no department loses its leader by accident.
  const leaders = new Set(departments.flatMap((d) => d.leaderIds));
  const ordinary = users.map((u, i) => i).filter((i) => !leaders.has(users[i].id));
  const picked = new Set<number>();
  const pickOrdinary = (): number => {
    for (;;) {
      const i = ordinary[Math.floor(rnd() * ordinary.length)];
      if (!picked.has(i)) {
        picked.add(i);
        return i;
      }
    }
  };
  const anyDepartment = () => departments[Math.floor(rnd() * departments.length)];
  for (let k = 0; k < churn.titleChanges; k++) users[pickOrdinary()].title = 'Staff Engineer';
  for (let k = 0; k < churn.moves; k++) {
    const u = users[pickOrdinary()];
    const to = anyDepartment();
    u.departmentIds = [to.id];
    u.mainDepartmentId = to.id;
    u.managerId = to.leaderIds[0] ?? null;
  }
  const leaderIds = [...leaders];
  for (let k = 0; k < churn.managerChanges; k++) users[pickOrdinary()].managerId = leaderIds[Math.floor(rnd() * leaderIds.length)];
  const leaving = new Set<number>();
  for (let k = 0; k < churn.leavers; k++) leaving.add(pickOrdinary());
  for (let k = 0; k < churn.departmentRenames; k++) {
    const d = departments[1 + Math.floor(rnd() * (departments.length - 1))];
    d.name = `${d.name} (renamed)`;
  }
  const kept = users.filter((_, i) => !leaving.has(i));
  const hires = Array.from({ length: churn.hires }, (_, k) => {
    const u = person(n + k, rnd);
    const to = anyDepartment();
    return { ...u, departmentIds: [to.id], mainDepartmentId: to.id, managerId: to.leaderIds[0] ?? null };
  });
  return { source: { departments, users: [...kept, ...hires] }, churn };
}
