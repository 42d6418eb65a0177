// SCIM push (upstream): an IdP or HR system (Okta, Entra, …) writes the hub through /scim/v2 with a
// token bound to this task (api/scim/). Nothing is fetched: the pushes are the task's writes, made
// at once. A run of the task reads the hub people it owns, so it finds nothing to change and
// never offboards anyone the IdP still holds.
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { ownedHubUserIds } from '../../db/repos/hub-ownership';
import type { DirectoryPage } from '../../engine/model';
import { VendorError } from '../errors';
import { toVendorError } from '../hub';
import type { Connector, ConnectorCapabilities, ReadByIdsResult } from '../types';
import { readOnlySourceCapabilities } from '../types';

export const scimPushCapabilities: ConnectorCapabilities = { ...readOnlySourceCapabilities, attributes: 'any' };

export function createScimPushConnector(options: { database: Database; taskId?: string }): Connector {
  const db = options.database.db;
  const hub = createHubDirectory(db);
  const owned = async () => (options.taskId ? ownedHubUserIds(db, options.taskId) : new Set<string>());
  return {
    kind: 'scim-push',
    capabilities: scimPushCapabilities,
    async *readSnapshot(): AsyncIterable<DirectoryPage> {
      try {
        const ids = [...(await owned())];
        yield { departments: await hub.listAllDepartments(), users: await hub.getUsersByIds(ids) };
      } catch (error) {
        throw toVendorError(error);
      }
    },
    async readByIds(ids): Promise<ReadByIdsResult> {
      try {
        const mine = await owned();
        const [departments, users] = await Promise.all([hub.getDepartmentsByIds(ids.departmentIds), hub.getUsersByIds(ids.userIds.filter((id) => mine.has(id)))]);
        const foundDepartments = new Set(departments.map((d) => d.id));
        const foundUsers = new Set(users.map((u) => u.id));
        return {
          departments,
          users,
          missing: { departmentIds: ids.departmentIds.filter((id) => !foundDepartments.has(id)), userIds: ids.userIds.filter((id) => !foundUsers.has(id)) },
        };
      } catch (error) {
        throw toVendorError(error);
      }
    },
    apply() {
      return Promise.reject(new VendorError('permanent', 'read_only', 'a SCIM push task is written by its IdP through /scim/v2, never by a run'));
    },
  };
}
