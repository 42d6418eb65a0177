// Which apply batches may overlap: from what their items read and write (activities/apply-entities.ts).
import type { PlanAction } from '../engine/plan-types';
import { batchPrerequisites, type BatchedAction } from './batch-order';

const dept = (id: string, parentId: string | null, leaderIds: string[] = [], kind = 'CreateDepartment') =>
  ({ key: `department:${id}:${kind}`, kind, entity: 'department', sourceId: id, targetId: null, before: null, after: { name: `D ${id}`, parentId, leaderIds } }) as unknown as PlanAction;
const user = (id: string, departmentIds: string[], managerId: string | null = null, email = `${id}@example.com`) =>
  ({ key: `user:${id}:CreateUser`, kind: 'CreateUser', entity: 'user', sourceId: id, targetId: null, before: null, after: { username: id, email, departmentIds, mainDepartmentId: departmentIds[0] ?? null, managerId } }) as unknown as PlanAction;
const leaders = (id: string, leaderIds: string[]) =>
  ({ key: `department:${id}:UpdateDepartmentLeader`, kind: 'UpdateDepartmentLeader', entity: 'department', sourceId: id, targetId: `t${id}`, before: { leaderIds: [] }, after: { leaderIds } }) as unknown as PlanAction;

const inBatches = (...batches: PlanAction[][]): BatchedAction[] => batches.flatMap((actions, batch) => actions.map((action) => ({ batch, planned: true, action })));

test('departments top-down, then their users, then the leader pass: each waits for what it depends on, nothing more', () => {
  const plan = inBatches(
    [dept('a', null), dept('b', null)], // 0: top-level departments
    [dept('a1', 'a'), dept('b1', 'b')], // 1: their children: wait for 0
    [user('u1', ['a1']), user('u2', ['a'])], // 2: users of a1 (created in 1): wait for 1
    [user('u3', ['x']), user('u4', ['x'])], // 3: users of an existing department x: wait for nothing
    [user('u5', ['b'], 'u3')], // 4: manager u3 created in 3: wait for 3
    [leaders('a', ['u1']), leaders('b', ['u5'])], // 5: leader pass: reads u1 (2) and u5 (4), writes a (0) and b (0)
  );
  expect(batchPrerequisites(plan, 6)).toEqual([-1, 0, 1, -1, 3, 4]);
});

test('a value the target keeps unique orders two batches: an email handed from one person to another', () => {
  const plan = inBatches([user('old', ['x'], null, 'shared@example.com')], [user('other', ['x'])], [user('new', ['x'], null, 'Shared@example.com')]);
  expect(batchPrerequisites(plan, 3)).toEqual([-1, -1, 0]);
});

test('a later batch writing what an earlier one only reads waits for it (a rename must not overtake a reader)', () => {
  const plan = inBatches([user('u1', ['d'])], [dept('d', null, [], 'UpdateDepartment')]);
  expect(batchPrerequisites(plan, 2)).toEqual([-1, 0]);
});

test('staged items (applied after an approval, not by the run) and batches past the count order nothing', () => {
  const items: BatchedAction[] = [
    { batch: 0, planned: false, action: dept('a', null) },
    { batch: 1, planned: true, action: user('u1', ['a']) },
    { batch: 2, planned: true, action: user('u2', ['a']) },
  ];
  expect(batchPrerequisites(items, 2)).toEqual([-1, -1]);
});

test('items out of plan order are refused', () => {
  expect(() => batchPrerequisites([...inBatches([], [dept('a', null)]), { batch: 0, planned: true, action: dept('b', null) }], 2)).toThrow(/out of plan order/);
});
