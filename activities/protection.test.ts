import type { PlanAction } from '../engine/plan-types';
import { decideHolds, managedAccountsInSnapshot, takenOutAccounts } from './protection';
import { runCounters, runStatus } from './runs';

const action = (kind: PlanAction['kind'], i: number): PlanAction =>
  ({ key: `user:s${i}:${kind}`, kind, entity: kind.endsWith('Department') && kind !== 'ChangeUserDepartment' ? 'department' : 'user', sourceId: `s${i}`, targetId: `t${i}`, before: null, after: null }) as PlanAction;

describe('deletion protection', () => {
  const plan = [action('UpdateUser', 0), action('DeleteUser', 1), action('DeleteDepartment', 2)];

  test('mode always stages every delete and nothing else', () => {
    const holds = decideHolds(plan, { deletionProtection: { mode: 'always' }, massOffboardingGuard: { maxDisablePercent: 20 } }, { targetEntities: 100, managedAccounts: 90 });
    expect([...holds.held.keys()]).toEqual([1, 2]);
    expect(holds).toMatchObject({ stagedDeletes: 2, heldDisables: 0 });
  });

  test('threshold mode stages only when the deletes reach the count or the share', () => {
    const config = (minCount?: number, minPercent?: number) => ({ deletionProtection: { mode: 'threshold' as const, minCount, minPercent }, massOffboardingGuard: { maxDisablePercent: 20 } });
    expect(decideHolds(plan, config(3), { targetEntities: 100, managedAccounts: 90 }).held.size).toBe(0);
    expect(decideHolds(plan, config(2), { targetEntities: 100, managedAccounts: 90 }).stagedDeletes).toBe(2);
    expect(decideHolds(plan, config(undefined, 2), { targetEntities: 100, managedAccounts: 90 }).stagedDeletes).toBe(2);
    expect(decideHolds(plan, config(undefined, 3), { targetEntities: 100, managedAccounts: 90 }).stagedDeletes).toBe(0);
  });
});

describe('mass-offboarding guard', () => {
  const guard = { deletionProtection: { mode: 'always' as const }, massOffboardingGuard: { maxDisablePercent: 20 } };
  const target = (managedAccounts: number) => ({ targetEntities: managedAccounts + 1, managedAccounts });

  test('holds every freeze when they exceed the share, naming the numbers', () => {
    const plan = [action('DisableUser', 0), action('DisableUser', 1), action('DisableUser', 2), action('UpdateUser', 3)];
    const holds = decideHolds(plan, guard, target(10));
    expect(holds.heldDisables).toBe(3);
    expect(holds.held.get(0)).toBe('mass offboarding guard: this run would take 3 of the 10 active accounts this task manages (30%) out of the company, more than 20%');
    expect(holds.held.has(3)).toBe(false);
  });

  test('lets freezes at or under the share through', () => {
    const plan = [action('DisableUser', 0), action('DisableUser', 1)];
    expect(decideHolds(plan, guard, target(10)).held.size).toBe(0);
  });

  test('2a: moves to the top level (left in no department) count and are held with the freezes', () => {
    const toRoot = (i: number): PlanAction => ({ ...action('ChangeUserDepartment', i), before: { departmentIds: ['d1'] }, after: { departmentIds: [], mainDepartmentId: null } }) as PlanAction;
    const otherMove = { ...action('ChangeUserDepartment', 9), after: { departmentIds: ['d2'], mainDepartmentId: 'd2' } } as PlanAction;
    const plan = [toRoot(0), toRoot(1), toRoot(2), otherMove, action('DisableUser', 3)];
    const holds = decideHolds(plan, guard, target(10));
    expect([...holds.held.keys()].sort()).toEqual([0, 1, 2, 4]);
    expect(holds.heldDisables).toBe(4);
    // Moves alone, without a single freeze, trip it too.
    expect(decideHolds([toRoot(0), toRoot(1), toRoot(2)], guard, target(10)).held.size).toBe(3);
    expect(decideHolds([toRoot(0), toRoot(1)], guard, target(10)).held.size).toBe(0);
  });

  test('2b: measured against the active accounts the task manages, not every account of the target', () => {
    // 10k freezes; the task manages 10k active accounts (the other 40k are frozen or not its own).
    const plan = Array.from({ length: 10_000 }, (_, i) => action('DisableUser', i));
    const holds = decideHolds(plan, guard, { targetEntities: 50_000, managedAccounts: 10_000 });
    expect(holds.heldDisables).toBe(10_000);
    expect(holds.held.get(0)).toContain('10000 of the 10000 active accounts this task manages (100%)');
  });

  test('an account frozen and moved (or frozen and deleted) counts once', () => {
    const plan = [action('DisableUser', 0), { ...action('ChangeUserDepartment', 0), after: { departmentIds: [] } } as PlanAction, action('DeleteUser', 0), action('DisableUser', 1)];
    const holds = decideHolds(plan, guard, target(10));
    expect(holds.held.size).toBe(1); // only the always-staged delete: 2 of 10 accounts is not more than 20%
    expect(decideHolds(plan, { ...guard, massOffboardingGuard: { maxDisablePercent: 10 } }, target(10)).held.size).toBe(4);
  });

  test('2d: in threshold mode, deletes below the threshold still count toward the guard and are held with the freezes', () => {
    const threshold = { deletionProtection: { mode: 'threshold' as const, minCount: 100 }, massOffboardingGuard: { maxDisablePercent: 20 } };
    const plan = [action('DeleteUser', 0), action('DeleteUser', 1), action('DisableUser', 2), action('DeleteDepartment', 3)];
    // 2 deletes alone pass the threshold (under 100) and the guard (2 of 10 = 20%) ...
    expect(decideHolds(plan.slice(0, 2), threshold, target(10)).held.size).toBe(0);
    // ... but with a freeze they take 3 of 10 out: every delete and freeze is held, department delete included.
    const holds = decideHolds(plan, threshold, target(10));
    expect([...holds.held.keys()].sort()).toEqual([0, 1, 2, 3]);
    expect(holds).toMatchObject({ stagedDeletes: 3, heldDisables: 1 });
  });

  test('a task that manages nothing yet counts every account it would take out as managed (100%)', () => {
    expect(decideHolds([action('DisableUser', 0)], guard, { targetEntities: 5, managedAccounts: 0 }).held.size).toBe(1);
  });
});

describe('managed account count', () => {
  test('active linked accounts plus the accounts the run takes out, each once', () => {
    const plan = [action('DisableUser', 0), action('DeleteUser', 5), action('UpdateUser', 1)];
    const taken = takenOutAccounts(plan);
    expect([...taken].sort()).toEqual(['t0', 't5']);
    const target = [
      { id: 't0', status: 'active' },
      { id: 't1', status: 'active' },
      { id: 't2', status: 'disabled' },
      { id: 't3', status: 'active' },
      { id: 't5', status: 'disabled' },
    ] as const;
    // t0, t1, t2 linked; t3 not linked (not managed); t5 is an unlinked, frozen account the run deletes.
    expect(managedAccountsInSnapshot(target, new Set(['t0', 't1', 't2']), taken)).toBe(3);
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
    // A real run that finishes with an item never applied is not a success.
    expect(runStatus({ succeeded: 7, failed: 0, skipped: 0, planned: 1 }, false)).toBe('partially_failed');
    expect(runStatus({ succeeded: 0, failed: 0, skipped: 0, planned: 2 }, false)).toBe('failed');
  });
});
