import type { Plan } from '../engine/plan-types';
import { planItems, snapshotNames } from './plan';

describe('planItems', () => {
  it('names every item, also a DisableUser or SetManager whose before/after carry no name', () => {
    const plan: Plan = {
      actions: [
        { key: 'user:s1:DisableUser', kind: 'DisableUser', entity: 'user', sourceId: 's1', targetId: 't1', before: { status: 'active' }, after: { status: 'disabled' } },
        { key: 'user:target:t9:DisableUser', kind: 'DisableUser', entity: 'user', sourceId: null, targetId: 't9', before: { status: 'active' }, after: { status: 'disabled' } },
        { key: 'user:s2:SetManager', kind: 'SetManager', entity: 'user', sourceId: 's2', targetId: 't2', before: { managerId: null }, after: { managerId: 's1' } },
      ],
      failed: [],
      deferred: [{ key: 'department:d1:leaders', entity: 'department', sourceId: 'd1', field: 'leaderIds', missingSourceIds: ['sx'], reason: 'leader out of scope' }],
      newLinks: [],
      targetRootId: null,
    };
    const user = (id: string, name: string) => ({ id, username: id, name, email: null, mobile: null, employeeNumber: null, title: null, departmentIds: [], mainDepartmentId: null, managerId: null, status: 'active' as const, attributes: {} });
    const names = snapshotNames(
      { departments: [{ id: 'd1', name: 'R&D', parentId: null, order: 0, leaderIds: [] }], users: [user('s1', '张三'), user('s2', 'Bob')] },
      { departments: [], users: [user('t9', 'Left Behind')] },
    );
    const { items } = planItems(plan, new Map(), names);
    expect(items.map((i) => i.displayName)).toEqual(['张三', 'Left Behind', 'Bob', 'R&D']);
  });
});
