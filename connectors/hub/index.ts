// The hub itself as a connector: the source of downstream tasks and the target of upstream ones.
// Every write goes through the hub repositories, so it is validated, audited under `actor`
// (e.g. `sync:<taskId>`) and reported to `onChange` like an API write.
import type { Database } from '../../db/client';
import { ConflictError, NotFoundError, ValidationError, postgresErrorOf } from '../../db/repos/errors';
import { createHubDirectory, type ChangeListener, type HubDirectory } from '../../db/repos/hub-directory';
import { adoptHubUsers } from '../../db/repos/hub-ownership';
import type { DirectoryPage } from '../../engine/model';
import { VendorError, invalidInput } from '../errors';
import type { ApplyResult, Connector, ConnectorCapabilities, ConnectorOperation, ReadByIdsResult } from '../types';

export interface HubConnectorOptions {
  database: Database;
  /** the audit-log actor of every write, e.g. `sync:<taskId>` */
  actor: string;
  onChange?: ChangeListener;
  /** users per snapshot page; default 1000 */
  userPageSize?: number;
  /** the upstream task writing through this connector: the people it creates belong to it (it alone offboards them) */
  ownerTaskId?: string;
}

export const hubCapabilities: ConnectorCapabilities = {
  read: true,
  write: true,
  disableUser: true,
  deleteUser: true,
  deleteDepartment: true,
  manager: true,
  departmentLeader: true,
  // hub changes reach tasks through the repository's onChange hook, not through webhooks
  realtimeEvents: false,
  attributes: 'any',
};

// Connection loss, serialization failures, deadlocks and shutdowns pass; anything else will not.
const transientSqlStates = /^(08|40001|40P01|57P0|53)/;
const transientNodeCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT']);

export function toVendorError(error: unknown): VendorError {
  if (error instanceof VendorError) return error;
  if (error instanceof ValidationError) return invalidInput(error.field, error.message);
  if (error instanceof ConflictError) return new VendorError('permanent', 'conflict', error.field ? `${error.field}: ${error.message}` : error.message);
  if (error instanceof NotFoundError) return new VendorError('permanent', 'not_found', error.message);
  const sqlState = postgresErrorOf(error)?.code;
  const nodeCode = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if ((sqlState && transientSqlStates.test(sqlState)) || (typeof nodeCode === 'string' && transientNodeCodes.has(nodeCode))) {
    return new VendorError('transient', sqlState ?? String(nodeCode), message);
  }
  return new VendorError('permanent', sqlState ?? 'hub_error', message);
}

export function createHubConnector(options: HubConnectorOptions): Connector {
  const hub: HubDirectory = createHubDirectory(options.database.db, { onChange: options.onChange });
  const { actor } = options;
  const userPageSize = options.userPageSize ?? 1000;

  async function exists(entity: 'department' | 'user', id: string): Promise<boolean> {
    const found = entity === 'department' ? await hub.getDepartmentsByIds([id]) : await hub.getUsersByIds([id]);
    return found.length > 0;
  }

  async function applyOperation(op: ConnectorOperation): Promise<ApplyResult> {
    switch (op.action) {
      case 'CreateDepartment': {
        const { id, ...fields } = op.department;
        // A retried create (crash after commit) finds its own row: make it an update, not a duplicate.
        if (id && (await exists('department', id))) return { externalId: (await hub.updateDepartment(id, fields, actor)).id };
        return { externalId: (await hub.createDepartment({ ...fields, id: id || undefined }, actor)).id };
      }
      case 'UpdateDepartment':
        await hub.updateDepartment(op.id, op.changes, actor);
        return {};
      case 'DeleteDepartment':
        // already gone is the wished-for state
        if (await exists('department', op.id)) await hub.deleteDepartment(op.id, actor);
        return {};
      case 'CreateUser': {
        const { id, ...fields } = op.user;
        if (id && (await exists('user', id))) {
          const updated = await hub.updateUser(id, fields, actor);
          if (options.ownerTaskId) await adoptHubUsers(options.database.db, options.ownerTaskId, [id]);
          return { externalId: updated.id };
        }
        return { externalId: (await hub.createUser({ ...fields, id: id || undefined }, actor, { sourceTaskId: options.ownerTaskId })).id };
      }
      case 'UpdateUser':
        await hub.updateUser(op.id, op.changes, actor);
        return {};
      case 'DisableUser':
        await hub.offboard(op.id, actor);
        return {};
      case 'EnableUser':
        await hub.updateUser(op.id, { status: 'active' }, actor);
        return {};
      case 'DeleteUser':
        if (await exists('user', op.id)) await hub.deleteUser(op.id, actor);
        return {};
    }
  }

  return {
    kind: 'hub',
    capabilities: hubCapabilities,

    async *readSnapshot(): AsyncIterable<DirectoryPage> {
      try {
        yield { departments: await hub.listAllDepartments(), users: [] };
        for (let afterId: string | null = null; ; ) {
          const users = await hub.listUsersPage(afterId, userPageSize);
          if (users.length) yield { departments: [], users };
          if (users.length < userPageSize) return;
          afterId = users[users.length - 1].id;
        }
      } catch (error) {
        throw toVendorError(error);
      }
    },

    async readByIds(ids): Promise<ReadByIdsResult> {
      try {
        const [departments, users] = await Promise.all([hub.getDepartmentsByIds(ids.departmentIds), hub.getUsersByIds(ids.userIds)]);
        const foundDepartments = new Set(departments.map((d) => d.id));
        const foundUsers = new Set(users.map((u) => u.id));
        return {
          departments,
          users,
          missing: {
            departmentIds: [...new Set(ids.departmentIds)].filter((id) => !foundDepartments.has(id)),
            userIds: [...new Set(ids.userIds)].filter((id) => !foundUsers.has(id)),
          },
        };
      } catch (error) {
        throw toVendorError(error);
      }
    },

    async apply(op) {
      try {
        return await applyOperation(op);
      } catch (error) {
        throw toVendorError(error);
      }
    },
  };
}
