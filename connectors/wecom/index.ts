// The WeCom connector: reads the whole contact book and applies canonical operations to it.
import type { Department, DirectoryPage, User } from '../../engine/model';
import { VendorError, invalidInput } from '../errors';
import type { ApplyResult, Connector, ConnectorCapabilities, ConnectorOperation, ReadByIdsResult } from '../types';
import type { RateLimiterFactory } from '../shared/rate-limiter';
import { WecomClient } from './client';
import {
  defaultEmployeeNumberAttribute,
  employeeNumberExtAttr,
  toCanonicalDepartment,
  toCanonicalUser,
  toWecomMobile,
  type WecomDepartment,
  type WecomUser,
} from './mapping';
import { assertDepartmentId, assertDepartmentName, assertUserid, isNumericDepartmentId, rootDepartmentId } from './validation';

export { wecomFieldAliases } from './mapping';

export interface WecomSettings {
  /** e.g. https://qyapi.weixin.qq.com/cgi-bin */
  baseUrl: string;
  corpId: string;
  /** per API; default 9,000 (WeCom allows 10,000/min) */
  rateLimitPerMinute?: number;
  /** wait hint after a rate-limit refusal (default 60 s, WeCom's minute block) */
  rateLimitBackoffMs?: number;
  /** user/list_id page size, 1–10,000 (default 10,000) */
  listPageSize?: number;
  /** the extattr holding the employee number (default "employeeNumber") */
  employeeNumberAttribute?: string;
  /** WeCom's invitation to a created member (to_invite); default false, though WeCom's own default is true */
  inviteOnCreate?: boolean;
  timeoutMs?: number;
}

export interface WecomSecrets {
  corpSecret: string;
}

export const wecomCapabilities: ConnectorCapabilities = {
  read: true,
  write: true,
  disableUser: true,
  deleteUser: true,
  deleteDepartment: true,
  manager: true,
  departmentLeader: true,
  realtimeEvents: true,
};

/** WeCom answers these when an id does not exist: readByIds reports it as missing. */
const departmentMissingCodes = new Set(['60003', '60123']);
const userMissingCodes = new Set(['60111']);

export function createWecomConnector(settings: WecomSettings, secrets: WecomSecrets, rateLimiters?: RateLimiterFactory): Connector {
  const pageSize = settings.listPageSize ?? 10_000;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) throw invalidInput('listPageSize', 'must be an integer from 1 to 10000');
  const client = new WecomClient({
    baseUrl: settings.baseUrl,
    corpId: settings.corpId,
    corpSecret: secrets?.corpSecret,
    rateLimitPerMinute: settings.rateLimitPerMinute,
    rateLimitBackoffMs: settings.rateLimitBackoffMs,
    timeoutMs: settings.timeoutMs,
    rateLimiters,
  });
  const extAttr = settings.employeeNumberAttribute ?? defaultEmployeeNumberAttribute;
  const toUser = (u: WecomUser) => toCanonicalUser(u, extAttr);

  async function listDepartments(id?: number): Promise<WecomDepartment[]> {
    return (await client.get<{ department?: WecomDepartment[] }>('/department/list', { id })).department ?? [];
  }

  async function getUser(userid: string): Promise<WecomUser> {
    return client.get<WecomUser>('/user/get', { userid });
  }

  // Details come from user/list per department rather than user/get per user: each department is
  // fetched at most once and yields every member, so calls ≤ departments with members ≤ users.
  async function* readSnapshot(): AsyncIterable<DirectoryPage> {
    yield { departments: (await listDepartments()).map(toCanonicalDepartment), users: [] };
    const seen = new Set<string>();
    const fetchedDepartments = new Set<number>();
    for await (const rows of client.listUserIds(pageSize)) {
      const users: User[] = [];
      const pending = new Map<string, number>();
      for (const row of rows) if (!seen.has(row.userid) && !pending.has(row.userid)) pending.set(row.userid, Number(row.department));
      for (const [userid, department] of pending) {
        if (seen.has(userid)) continue;
        if (!fetchedDepartments.has(department)) {
          fetchedDepartments.add(department);
          const members = (await client.get<{ userlist?: WecomUser[] }>('/user/list', { department_id: department })).userlist ?? [];
          for (const member of members) {
            if (seen.has(member.userid)) continue;
            seen.add(member.userid);
            users.push(toUser(member));
          }
        }
        // Moved between the two reads: fetch the one straggler directly.
        if (!seen.has(userid)) {
          seen.add(userid);
          users.push(toUser(await getUser(userid)));
        }
      }
      if (users.length > 0) yield { departments: [], users };
    }
  }

  async function readByIds(ids: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult> {
    const result: ReadByIdsResult = { departments: [], users: [], missing: { departmentIds: [], userIds: [] } };
    for (const id of ids.departmentIds) {
      if (!isNumericDepartmentId(id)) {
        result.missing.departmentIds.push(id);
        continue;
      }
      try {
        const found = (await listDepartments(Number(id))).find((d) => String(d.id) === id);
        if (found) result.departments.push(toCanonicalDepartment(found));
        else result.missing.departmentIds.push(id);
      } catch (err) {
        if (err instanceof VendorError && departmentMissingCodes.has(err.vendorCode)) result.missing.departmentIds.push(id);
        else throw err;
      }
    }
    for (const id of ids.userIds) {
      try {
        result.users.push(toUser(await getUser(id)));
      } catch (err) {
        if (err instanceof VendorError && userMissingCodes.has(err.vendorCode)) result.missing.userIds.push(id);
        else throw err;
      }
    }
    return result;
  }

  // department/list of the parent answers its whole subtree in one call: its direct children are among it.
  async function findChildDepartment(parentId: string | null, name: string): Promise<Department | undefined> {
    const parent = parentId === null ? rootDepartmentId : assertDepartmentId(parentId, 'department.parentId');
    const found = (await listDepartments(parent)).find((d) => d.parentid === parent && d.name === name);
    return found && toCanonicalDepartment(found);
  }

  const parentOf = (parentId: string | null | undefined, field: string) =>
    parentId === null || parentId === undefined ? rootDepartmentId : assertDepartmentId(parentId, field);

  function departmentBody(changes: Partial<Omit<Department, 'id'>>): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    if (changes.name !== undefined) body.name = assertDepartmentName(changes.name, 'department.name');
    if (changes.parentId !== undefined) body.parentid = parentOf(changes.parentId, 'department.parentId');
    if (changes.order !== undefined) body.order = changes.order;
    if (changes.leaderIds !== undefined) body.department_leader = changes.leaderIds.map((id) => assertUserid(id, 'department.leaderIds'));
    return body;
  }

  function userBody(changes: Partial<Omit<User, 'id'>>): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    if (changes.name !== undefined) {
      if (!changes.name) throw invalidInput('user.name', 'name is required');
      body.name = changes.name;
    }
    if (changes.email !== undefined) body.email = changes.email ?? '';
    if (changes.mobile !== undefined) body.mobile = changes.mobile ? toWecomMobile(changes.mobile) : '';
    if (changes.title !== undefined) body.position = changes.title ?? '';
    if (changes.departmentIds !== undefined) {
      if (changes.departmentIds.length > 100) throw invalidInput('user.departmentIds', 'WeCom allows at most 100 departments per user');
      body.department = changes.departmentIds.map((id) => assertDepartmentId(id, 'user.departmentIds'));
    }
    if (changes.mainDepartmentId !== undefined && changes.mainDepartmentId !== null) {
      body.main_department = assertDepartmentId(changes.mainDepartmentId, 'user.mainDepartmentId');
    }
    if (changes.managerId !== undefined) body.direct_leader = changes.managerId ? [assertUserid(changes.managerId, 'user.managerId')] : [];
    if (changes.status !== undefined) body.enable = changes.status === 'disabled' ? 0 : 1;
    if (changes.employeeNumber !== undefined) body.extattr = employeeNumberExtAttr(changes.employeeNumber, extAttr);
    return body;
  }

  async function apply(op: ConnectorOperation): Promise<ApplyResult> {
    switch (op.action) {
      case 'CreateDepartment': {
        const { id, ...rest } = op.department;
        const body = departmentBody(rest);
        body.parentid ??= rootDepartmentId;
        // A numeric wished-for id keeps links stable across re-creation; anything else lets WeCom choose.
        if (id && isNumericDepartmentId(id)) body.id = Number(id);
        if (Array.isArray(body.department_leader) && body.department_leader.length === 0) delete body.department_leader;
        const res = await client.post<{ id?: number }>('/department/create', body);
        const created = res.id ?? body.id;
        if (created === undefined) throw new VendorError('permanent', 'invalid_response', 'department/create answered without id');
        return { externalId: String(created) };
      }
      case 'UpdateDepartment': {
        const id = assertDepartmentId(op.id, 'department.id');
        const body = departmentBody(op.changes);
        if (Object.keys(body).length === 0) return {};
        await client.post('/department/update', { id, ...body });
        return {};
      }
      case 'DeleteDepartment':
        await client.get('/department/delete', { id: assertDepartmentId(op.id, 'department.id') });
        return {};
      case 'CreateUser': {
        const { id, username, ...rest } = op.user;
        const userid = assertUserid(id || username, id ? 'user.id' : 'user.username');
        if (!op.user.email && !op.user.mobile) throw invalidInput('user.email', 'WeCom needs a mobile or an email (both are empty)');
        const body: Record<string, unknown> = { userid, ...userBody({ ...rest, status: rest.status ?? 'active' }) };
        if (!body.main_department && Array.isArray(body.department) && body.department.length > 0) body.main_department = body.department[0];
        // Always sent: left out, WeCom would invite everyone a sync creates (its default is true).
        body.to_invite = settings.inviteOnCreate === true;
        await client.post('/user/create', body);
        return { externalId: userid };
      }
      case 'UpdateUser': {
        const userid = assertUserid(op.id, 'user.id');
        const { username, ...rest } = op.changes;
        const body = userBody(rest);
        let externalId: string | undefined;
        if (username !== undefined && username !== userid) {
          body.new_userid = assertUserid(username, 'user.username');
          externalId = username;
        }
        if (Object.keys(body).length === 0) return {};
        await client.post('/user/update', { userid, ...body });
        return externalId ? { externalId } : {};
      }
      case 'DisableUser':
        await client.post('/user/update', { userid: assertUserid(op.id, 'user.id'), enable: 0 });
        return {};
      case 'EnableUser':
        await client.post('/user/update', { userid: assertUserid(op.id, 'user.id'), enable: 1 });
        return {};
      case 'DeleteUser':
        await client.get('/user/delete', { userid: assertUserid(op.id, 'user.id') });
        return {};
      default: {
        const unknown: never = op;
        throw invalidInput('action', `unknown operation ${(unknown as { action: string }).action}`);
      }
    }
  }

  return { kind: 'wecom', capabilities: wecomCapabilities, readSnapshot, readByIds, apply, findChildDepartment };
}
