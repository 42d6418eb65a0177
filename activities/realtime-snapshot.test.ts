// A real-time run of a scoped downstream task reads only the touched people; the departments on the
// path to the scope's root must come along, or an in-scope person looks out of scope.
import { wecomCapabilities } from '../connectors/wecom';
import type { Connector } from '../connectors/types';
import type { Department, User } from '../engine/model';
import { planSync } from '../engine/plan';
import { readMissingAncestors } from './snapshot';

const department = (id: string, parentId: string | null): Department => ({ id, name: id, parentId, order: 0, leaderIds: [] });
const tree = [department('X', null), department('Y', 'X'), department('Z', 'Y'), department('Other', null)];

function hubReader(departments: Department[]) {
  const calls: string[][] = [];
  const reader: Pick<Connector, 'readByIds'> = {
    async readByIds({ departmentIds }) {
      calls.push([...departmentIds]);
      const found = departments.filter((d) => departmentIds.includes(d.id));
      return { departments: found, users: [], missing: { departmentIds: departmentIds.filter((id) => !found.some((d) => d.id === id)), userIds: [] } };
    },
  };
  return { reader, calls };
}

it('reads the parents up to the root, one level per call, nothing already read', async () => {
  const { reader, calls } = hubReader(tree);
  const ancestors = await readMissingAncestors(reader, [department('Z', 'Y')]);
  expect(ancestors.map((d) => d.id)).toEqual(['Y', 'X']);
  expect(calls).toEqual([['Y'], ['X']]);
  expect(await readMissingAncestors(reader, tree)).toEqual([]);
});

it('stops on a parent cycle and on a parent the source does not have', async () => {
  const { reader } = hubReader([department('A', 'B'), department('B', 'A')]);
  expect((await readMissingAncestors(reader, [department('C', 'A')])).map((d) => d.id)).toEqual(['A', 'B']);
  const { reader: gaps } = hubReader([]);
  expect(await readMissingAncestors(gaps, [department('C', 'gone')])).toEqual([]);
});

it('keeps an in-scope person in scope in a partial plan: an update, not an offboarding', async () => {
  const user: User = {
    id: 'u1', username: 'u1', name: 'U One', email: 'u1@x.test', mobile: null, employeeNumber: null, title: 'new title',
    departmentIds: ['Y'], mainDepartmentId: 'Y', managerId: null, status: 'active', attributes: {},
  };
  const plan = (departments: Department[]) =>
    planSync({
      source: { departments, users: [user] },
      target: { departments: [department('20', '1')], users: [{ ...user, id: 'w1', title: 'old', departmentIds: ['20'], mainDepartmentId: '20' }] },
      links: [
        { entity: 'user', sourceId: 'u1', targetId: 'w1' },
        { entity: 'department', sourceId: 'Y', targetId: '20' },
      ],
      matchRules: ['email'],
      offboarding: 'disable',
      capabilities: wecomCapabilities,
      scope: { departmentIds: ['X'], userIds: [], includeNewUsers: true },
      targetRootId: '1',
    }).actions.filter((a) => a.entity === 'user').map((a) => a.kind);
  const partial = [department('Y', 'X')];
  // The bug this guards against: without the path to X the person is offboarded.
  expect(plan(partial)).toEqual(['DisableUser']);
  const { reader } = hubReader(tree);
  expect(plan([...partial, ...(await readMissingAncestors(reader, partial))])).toEqual(['UpdateUser']);
});
