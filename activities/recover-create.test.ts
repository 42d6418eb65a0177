// A lost create answer where the app picks ids: one look-up through the connector's findCreatedUser, no full read.
import type { User } from '../engine/model';
import type { Connector } from '../connectors/types';
import { findEarlierCreate } from './recover-create';

const user: User = {
  id: '',
  username: 'amy',
  name: 'Amy',
  email: null,
  mobile: null,
  employeeNumber: null,
  title: null,
  departmentIds: [],
  mainDepartmentId: null,
  managerId: null,
  status: 'active',
  attributes: {},
};

function target(found: string | undefined): Connector & { lookups: string[] } {
  const lookups: string[] = [];
  return {
    kind: 'scim',
    capabilities: { read: true, write: true, disableUser: true, deleteUser: true, deleteDepartment: true, manager: true, departmentLeader: false, realtimeEvents: false },
    lookups,
    // eslint-disable-next-line require-yield
    async *readSnapshot() {
      throw new Error('a full read is not needed');
    },
    readByIds: async () => ({ departments: [], users: [], missing: { departmentIds: [], userIds: [] } }),
    apply: async () => ({}),
    findCreatedUser: async (u) => {
      lookups.push(u.username);
      return found;
    },
  };
}

test("a create in doubt is looked up once with the connector's findCreatedUser, never by reading the whole directory", async () => {
  const adopted = target('scim-id-1');
  expect(await findEarlierCreate(adopted, 'scim', { action: 'CreateUser', user }, null)).toBe('scim-id-1');
  expect(adopted.lookups).toEqual(['amy']);
  expect(await findEarlierCreate(target(undefined), 'scim', { action: 'CreateUser', user }, null)).toBeUndefined();
});
