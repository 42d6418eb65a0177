import type { PlanAction } from '../engine/plan-types';
import { decideHolds } from './protection';
import { runCounters, runStatus } from './runs';

const action = (kind: PlanAction['kind'], i: number): PlanAction =>
  ({ key: `user:s${i}:${kind}`, kind, entity: kind.endsWith('Department') ? 'department' : 'user', sourceId: `s${i}`, targetId: `t${i}`, before: null, after: null }) as PlanAction;

describe('deletion protection', () => {
  const plan = [action('UpdateUser', 0), action('DeleteUser', 1), action('DeleteDepartment', 2)];

  test('mode always stages every delete and nothing else', () => {
    const holds = decideHolds(plan, { deletionProtection: { mode: 'always' }, massOffboardingGuard: { maxDisablePercent: 20 } }, { departments: 10, users: 90 });
    expect([...holds.held.keys()]).toEqual([1, 2]);
    expect(holds).toMatchObject({ stagedDeletes: 2, heldDisables: 0 });
  });

  test('threshold mode stages only when the deletes reach the count or the share', () => {
    const config = (minCount?: number, minPercent?: number) => ({ deletionProtection: { mode: 'threshold' as const, minCount, minPercent }, massOffboardingGuard: { maxDisablePercent: 20 } });
    expect(decideHolds(plan, config(3), { departments: 10, users: 90 }).held.size).toBe(0);
    expect(decideHolds(plan, config(2), { departments: 10, users: 90 }).stagedDeletes).toBe(2);
    expect(decideHolds(plan, config(undefined, 2), { departments: 10, users: 90 }).stagedDeletes).toBe(2);
    expect(decideHolds(plan, config(undefined, 3), { departments: 10, users: 90 }).stagedDeletes).toBe(0);
  });
});

describe('mass-offboarding guard', () => {
  const guard = { deletionProtection: { mode: 'always' as const }, massOffboardingGuard: { maxDisablePercent: 20 } };

  test('holds every disable when they exceed the share, naming the numbers', () => {
    const plan = [action('DisableUser', 0), action('DisableUser', 1), action('DisableUser', 2), action('UpdateUser', 3)];
    const holds = decideHolds(plan, guard, { departments: 1, users: 10 });
    expect(holds.heldDisables).toBe(3);
    expect(holds.held.get(0)).toBe('mass offboarding guard: 3 of 10 accounts (30%) would be disabled, more than 20%');
    expect(holds.held.has(3)).toBe(false);
  });

  test('lets disables at or under the share through', () => {
    const plan = [action('DisableUser', 0), action('DisableUser', 1)];
    expect(decideHolds(plan, guard, { departments: 1, users: 10 }).held.size).toBe(0);
  });
});

describe('run status and counters', () => {
  const row = (action: string, entity: 'user' | 'department', status: 'succeeded' | 'failed' | 'skipped' | 'staged' | 'planned', count: number) => ({ action, entity, status, count });

  test('counters group creates and updates per entity; staged items count apart', () => {
    const counters = runCounters([
      row('CreateDepartment', 'department', 'succeeded', 2),
      row('MoveDepartment', 'department', 'failed', 1),
      row('CreateUser', 'user', 'succeeded', 5),
      row('CreateUser', 'user', 'failed', 1),
      row('UpdateUser', 'user', 'succeeded', 3),
      row('DeleteUser', 'user', 'staged', 2),
    ]);
    expect(counters).toMatchObject({
      departmentsSucceeded: 2,
      departmentsTotal: 2,
      departmentUpdatesSucceeded: 0,
      departmentUpdatesTotal: 1,
      usersSucceeded: 5,
      usersTotal: 6,
      userUpdatesSucceeded: 3,
      userUpdatesTotal: 3,
      staged: 2,
      failed: 2,
    });
  });

  test('succeeded, partially_failed, failed; a dry run is succeeded', () => {
    expect(runStatus({ succeeded: 3, failed: 0, skipped: 1 }, false)).toBe('succeeded');
    expect(runStatus({ succeeded: 3, failed: 1, skipped: 0 }, false)).toBe('partially_failed');
    expect(runStatus({ succeeded: 0, failed: 2, skipped: 0 }, false)).toBe('failed');
    expect(runStatus({ succeeded: 0, failed: 0, skipped: 0 }, false)).toBe('succeeded');
    expect(runStatus({ succeeded: 0, failed: 0, skipped: 0, planned: 4 }, true)).toBe('succeeded');
  });
});
