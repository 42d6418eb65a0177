// The benchmark's data must have the shape it claims, and the baseline must plan what planSync plans,
// or the side-by-side figures compare different work.
import { wecomCapabilities } from '../connectors/wecom';
import { planSync, summarizePlan } from '../engine/plan';
import type { PlanInput } from '../engine/plan-types';
import { naivePlan } from './naive-planner';
import { generateDirectory, syncedCopy, withChurn } from './synthetic-directory';

const shape = { users: 2000, departments: 200 };

describe('generateDirectory', () => {
  const directory = generateDirectory(shape);

  it('is the same for the same seed and differs for another', () => {
    expect(generateDirectory(shape)).toEqual(directory);
    expect(generateDirectory({ ...shape, seed: 1 })).not.toEqual(directory);
  });

  it('builds a single tree 4 to 6 levels deep', () => {
    const byId = new Map(directory.departments.map((d) => [d.id, d]));
    const depth = (id: string): number => {
      const parent = byId.get(id)?.parentId;
      return parent ? 1 + depth(parent) : 1;
    };
    expect(directory.departments.filter((d) => d.parentId === null)).toHaveLength(1);
    expect(directory.departments).toHaveLength(shape.departments);
    const leafDepths = new Set(directory.departments.filter((d) => !directory.departments.some((c) => c.parentId === d.id)).map((d) => depth(d.id)));
    expect(Math.max(...leafDepths)).toBe(6);
    expect(Math.min(...leafDepths)).toBeGreaterThanOrEqual(4);
  });

  it('puts every user in one or two existing departments with unique match keys', () => {
    const ids = new Set(directory.departments.map((d) => d.id));
    expect(directory.users).toHaveLength(shape.users);
    for (const u of directory.users) {
      expect(u.departmentIds.length === 1 || u.departmentIds.length === 2).toBe(true);
      expect(u.departmentIds.every((id) => ids.has(id))).toBe(true);
      expect(u.mainDepartmentId).toBe(u.departmentIds[0]);
    }
    for (const key of ['email', 'mobile', 'employeeNumber', 'username'] as const) {
      expect(new Set(directory.users.map((u) => u[key])).size).toBe(shape.users);
    }
  });

  it('gives each department a leader who manages its members', () => {
    const users = new Map(directory.users.map((u) => [u.id, u]));
    for (const d of directory.departments) expect(users.get(d.leaderIds[0])?.mainDepartmentId).toBe(d.id);
    const member = directory.users.find((u) => !directory.departments.some((d) => d.leaderIds.includes(u.id)))!;
    const department = directory.departments.find((d) => d.id === member.mainDepartmentId)!;
    expect(member.managerId).toBe(department.leaderIds[0]);
  });
});

describe('the steady-state case and the naive baseline', () => {
  const hub = generateDirectory(shape);
  const { target, links } = syncedCopy(hub);
  const base = { target, links, matchRules: ['employeeNumber', 'email', 'mobile'], offboarding: 'disable', capabilities: wecomCapabilities, targetRootId: '1' } as const;

  it('plans nothing for an unchanged copy, with either planner', () => {
    const input: PlanInput = { ...base, source: hub };
    expect(planSync(input).actions).toEqual([]);
    expect(naivePlan(input)).toEqual([]);
  });

  it('changes about 1% of the people, and both planners find the same actions', () => {
    const { source, churn } = withChurn(hub);
    const input: PlanInput = { ...base, source };
    const engine = summarizePlan(planSync(input)).byAction;
    const naive: Record<string, number> = {};
    for (const a of naivePlan(input)) naive[a.kind] = (naive[a.kind] ?? 0) + 1;
    expect(naive).toEqual(engine);
    expect(engine).toMatchObject({ CreateUser: churn.hires, DisableUser: churn.leavers, UpdateDepartment: churn.departmentRenames });
    const changedPeople = churn.titleChanges + churn.moves + churn.managerChanges + churn.hires + churn.leavers;
    expect(changedPeople / shape.users).toBeCloseTo(0.01, 3);
  });
});
