// The Feishu / Lark connector: reads the contact book (contact v3) and applies canonical operations.
// Lark is the same API under https://open.larksuite.com/open-apis.
import { chinaCountryCode, parseCountryCode } from '../../engine/mobile';
import type { RateLimiterFactory } from '../shared/rate-limiter';
import type { Department, DirectoryPage, User } from '../../engine/model';
import { VendorError, invalidInput } from '../errors';
import type { ApplyResult, Connector, ConnectorCapabilities, ConnectorOperation, ReadByIdsResult } from '../types';
import { FeishuClient, maxPageSize } from './client';
import {
  assertDepartmentName,
  assertId,
  createClientToken,
  employeeTypeOf,
  employeeTypes,
  idTypes,
  rootDepartmentId,
  toCanonicalDepartment,
  toCanonicalUser,
  toFeishuMobile,
  type FeishuDepartment,
  type FeishuEmployeeType,
  type FeishuUser,
} from './mapping';

export { feishuFieldAliases } from './mapping';
export { feishuBaseUrl, larkBaseUrl } from './client';

export interface FeishuSettings {
  /** https://open.feishu.cn/open-apis (Feishu) or https://open.larksuite.com/open-apis (Lark) */
  baseUrl: string;
  appId: string;
  /** employee_type for users whose attributes.employeeType is unset: 1 regular (default), 2 intern, 3 outsourced, 4 labor, 5 consultant */
  defaultEmployeeType?: FeishuEmployeeType;
  /** the country of a mobile written without a country code, e.g. "+86" (the default); Feishu itself keeps E.164 */
  defaultMobileCountryCode?: string;
  /** contact API calls per second (default 40; Feishu allows 50) */
  ratePerSecond?: number;
  /** contact API calls per minute (default 900; Feishu allows 1,000) */
  ratePerMinute?: number;
  /** page_size of list calls, 1–50 (default 50) */
  pageSize?: number;
  /** Feishu's invitation (need_send_notification) to each user a run creates, by mobile or mail; default false */
  inviteOnCreate?: boolean;
  timeoutMs?: number;
}

export interface FeishuSecrets {
  appSecret: string;
}

export const feishuCapabilities: ConnectorCapabilities = {
  read: true,
  write: true,
  disableUser: true,
  deleteUser: true,
  deleteDepartment: true,
  manager: true,
  departmentLeader: true,
  realtimeEvents: true,
  // Created without an order (the hub's 0), a department is put last by Feishu.
  assignsDepartmentOrder: true,
  attributes: ['employeeType'],
};

/** Feishu answers these for an id it does not know (or cannot see): readByIds reports it missing. */
const departmentMissingCodes = new Set(['40004']);
const userMissingCodes = new Set(['41050']);
const userIdExists = '41011';

export function createFeishuConnector(settings: FeishuSettings, secrets: FeishuSecrets, rateLimiters?: RateLimiterFactory): Connector {
  const pageSize = settings.pageSize ?? maxPageSize;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > maxPageSize) throw invalidInput('pageSize', `must be an integer from 1 to ${maxPageSize}`);
  const defaultEmployeeType = settings.defaultEmployeeType ?? 1;
  if (!employeeTypes.includes(defaultEmployeeType)) throw invalidInput('defaultEmployeeType', 'must be 1, 2, 3, 4 or 5');
  const parsedCountryCode = parseCountryCode(settings.defaultMobileCountryCode || chinaCountryCode);
  if (parsedCountryCode === null) throw invalidInput('defaultMobileCountryCode', 'must be a country calling code such as +86');
  const countryCode: string = parsedCountryCode;
  const client = new FeishuClient({
    baseUrl: settings.baseUrl,
    appId: settings.appId,
    appSecret: secrets?.appSecret,
    ratePerSecond: settings.ratePerSecond,
    ratePerMinute: settings.ratePerMinute,
    timeoutMs: settings.timeoutMs,
    rateLimiters,
  });
  const toUser = (u: FeishuUser) => toCanonicalUser(u, countryCode);
  const enc = encodeURIComponent;

  async function getUser(id: string): Promise<FeishuUser> {
    return (await client.request<{ user: FeishuUser }>('GET', `/contact/v3/users/${enc(id)}`, { query: idTypes })).user;
  }

  async function* readSnapshot(): AsyncIterable<DirectoryPage> {
    const departmentIds = [rootDepartmentId];
    for await (const items of client.paginate<FeishuDepartment>(`/contact/v3/departments/${rootDepartmentId}/children`, { ...idTypes, fetch_child: true }, pageSize)) {
      const departments = items.map(toCanonicalDepartment);
      departmentIds.push(...departments.map((d) => d.id));
      if (departments.length > 0) yield { departments, users: [] };
    }
    // find_by_department lists direct members; a member of several departments is yielded once.
    const seen = new Set<string>();
    for (const departmentId of departmentIds) {
      for await (const items of client.paginate<FeishuUser>('/contact/v3/users/find_by_department', { ...idTypes, department_id: departmentId }, pageSize)) {
        const users = items.filter((u) => !u.status?.is_resigned).map(toUser).filter((u) => !seen.has(u.id));
        users.forEach((u) => seen.add(u.id));
        if (users.length > 0) yield { departments: [], users };
      }
    }
  }

  async function readByIds(ids: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult> {
    const result: ReadByIdsResult = { departments: [], users: [], missing: { departmentIds: [], userIds: [] } };
    for (const id of ids.departmentIds) {
      try {
        const { department } = await client.request<{ department: FeishuDepartment }>('GET', `/contact/v3/departments/${enc(assertId(id, 'departmentIds'))}`, { query: idTypes });
        result.departments.push(toCanonicalDepartment(department));
      } catch (err) {
        if (err instanceof VendorError && departmentMissingCodes.has(err.vendorCode)) result.missing.departmentIds.push(id);
        else throw err;
      }
    }
    for (const id of ids.userIds) {
      try {
        const user = await getUser(assertId(id, 'userIds'));
        // A resigned user is gone from the directory until resurrected.
        if (user.status?.is_resigned) result.missing.userIds.push(id);
        else result.users.push(toUser(user));
      } catch (err) {
        if (err instanceof VendorError && userMissingCodes.has(err.vendorCode)) result.missing.userIds.push(id);
        else throw err;
      }
    }
    return result;
  }

  const parentOf = (parentId: string | null) => (parentId === null ? rootDepartmentId : assertId(parentId, 'department.parentId'));

  // Direct children only (fetch_child false): one page of 50 unless the parent has more.
  async function findChildDepartment(parentId: string | null, name: string): Promise<Department | undefined> {
    const path = `/contact/v3/departments/${enc(parentOf(parentId))}/children`;
    for await (const items of client.paginate<FeishuDepartment>(path, { ...idTypes, fetch_child: false }, pageSize)) {
      const found = items.find((d) => d.name === name);
      if (found) return toCanonicalDepartment(found);
    }
    return undefined;
  }

  function departmentBody(changes: Partial<Omit<Department, 'id'>>): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    if (changes.name !== undefined) body.name = assertDepartmentName(changes.name, 'department.name');
    if (changes.parentId !== undefined) body.parent_department_id = parentOf(changes.parentId);
    // Feishu refuses two siblings with the same order (43005): 0 means "no preference" and is not sent.
    if (changes.order !== undefined && changes.order !== 0) body.order = String(changes.order);
    // Feishu's leader_user_id holds one leader: the first of leaderIds.
    if (changes.leaderIds !== undefined) body.leader_user_id = changes.leaderIds[0] ? assertId(changes.leaderIds[0], 'department.leaderIds') : '';
    return body;
  }

  /** department_ids with the main department first (Feishu's primary), root "0" when none. */
  function departmentIdsOf(departmentIds: string[], mainDepartmentId: string | null | undefined): string[] {
    if (departmentIds.length > 50) throw invalidInput('user.departmentIds', 'Feishu allows at most 50 departments per user');
    const ids = departmentIds.map((id) => assertId(id, 'user.departmentIds'));
    const main = mainDepartmentId && ids.includes(mainDepartmentId) ? mainDepartmentId : undefined;
    const ordered = main ? [main, ...ids.filter((id) => id !== main)] : ids;
    return ordered.length > 0 ? ordered : [rootDepartmentId];
  }

  function userBody(changes: Partial<Omit<User, 'id' | 'username'>>): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    if (changes.name !== undefined) {
      if (!changes.name) throw invalidInput('user.name', 'name is required');
      body.name = changes.name;
    }
    if (changes.mobile !== undefined) {
      if (!changes.mobile) throw invalidInput('user.mobile', 'Feishu requires a mobile number; it cannot be cleared');
      body.mobile = toFeishuMobile(changes.mobile, countryCode);
    }
    if (changes.email !== undefined) body.email = changes.email ?? '';
    if (changes.title !== undefined) body.job_title = changes.title ?? '';
    if (changes.employeeNumber !== undefined) body.employee_no = changes.employeeNumber ?? '';
    if (changes.departmentIds !== undefined) body.department_ids = departmentIdsOf(changes.departmentIds, changes.mainDepartmentId);
    if (changes.managerId !== undefined) body.leader_user_id = changes.managerId ? assertId(changes.managerId, 'user.managerId') : '';
    if (changes.status !== undefined) body.is_frozen = changes.status === 'disabled';
    if (changes.attributes?.employeeType !== undefined) body.employee_type = employeeTypeOf(changes.attributes, defaultEmployeeType);
    return body;
  }

  async function patchUser(id: string, body: Record<string, unknown>): Promise<void> {
    if (Object.keys(body).length > 0) await client.request('PATCH', `/contact/v3/users/${enc(id)}`, { query: idTypes, body });
  }

  /** The same person returns: a resigned user_id is resurrected into the given departments. */
  async function resurrect(id: string, departmentIds: string[] | undefined): Promise<void> {
    const body = departmentIds ? { departments: departmentIds.map((department_id) => ({ department_id })) } : {};
    await client.request('POST', `/contact/v3/users/${enc(id)}/resurrect`, { query: idTypes, body });
  }

  async function createUser(user: User): Promise<ApplyResult> {
    const { id, username, status, ...rest } = user;
    const userId = assertId(id || username, id ? 'user.id' : 'user.username');
    if (!user.mobile) throw invalidInput('user.mobile', 'Feishu requires a mobile number to create a user');
    const body: Record<string, unknown> = {
      user_id: userId,
      ...userBody({ ...rest, departmentIds: rest.departmentIds ?? [] }),
      employee_type: employeeTypeOf(user.attributes, defaultEmployeeType),
    };
    for (const field of ['email', 'job_title', 'employee_no', 'leader_user_id']) if (body[field] === '') delete body[field];
    if (settings.inviteOnCreate === true) body.need_send_notification = true;
    const clientToken = createClientToken(settings.appId, 'user', userId);
    const comeBack = async () => {
      await resurrect(userId, body.department_ids as string[]);
      const { user_id: _ignored, ...fields } = body;
      await patchUser(userId, fields);
    };
    try {
      const res = await client.request<{ user?: FeishuUser }>('POST', '/contact/v3/users', { query: { ...idTypes, client_token: clientToken }, body });
      // A rehire sends the first hire's client_token, so Feishu answers that (now resigned) account.
      if (res.user?.status?.is_resigned) await comeBack();
    } catch (err) {
      if (!(err instanceof VendorError && err.vendorCode === userIdExists)) throw err;
      const existing = await getUser(userId);
      if (!existing.status?.is_resigned) throw err;
      await comeBack();
    }
    if (status === 'disabled') await patchUser(userId, { is_frozen: true });
    return { externalId: userId };
  }

  async function apply(op: ConnectorOperation): Promise<ApplyResult> {
    switch (op.action) {
      case 'CreateDepartment': {
        const { id, ...rest } = op.department;
        const body = departmentBody(rest);
        body.parent_department_id ??= rootDepartmentId;
        if (id) body.department_id = assertId(id, 'department.id');
        if (body.leader_user_id === '') delete body.leader_user_id;
        const clientToken = createClientToken(settings.appId, 'department', id || body);
        const res = await client.request<{ department?: FeishuDepartment }>('POST', '/contact/v3/departments', {
          query: { ...idTypes, client_token: clientToken },
          body,
        });
        const created = res.department?.department_id || res.department?.open_department_id;
        if (!created) throw new VendorError('permanent', 'invalid_response', 'departments create answered without a department id');
        return { externalId: created };
      }
      case 'UpdateDepartment': {
        const body = departmentBody(op.changes);
        if (Object.keys(body).length === 0) return {};
        await client.request('PATCH', `/contact/v3/departments/${enc(assertId(op.id, 'department.id'))}`, { query: idTypes, body });
        return {};
      }
      case 'DeleteDepartment':
        await client.request('DELETE', `/contact/v3/departments/${enc(assertId(op.id, 'department.id'))}`, { query: idTypes });
        return {};
      case 'CreateUser':
        return createUser(op.user);
      case 'UpdateUser': {
        const id = assertId(op.id, 'user.id');
        const { username, ...rest } = op.changes;
        if (username !== undefined && username !== id) throw invalidInput('user.username', `Feishu user_id "${id}" is the account's stable id; it is not renamed by sync`);
        if (rest.mainDepartmentId && rest.departmentIds === undefined) {
          // Feishu's primary department is the first of department_ids: reorder the current list.
          rest.departmentIds = toUser(await getUser(id)).departmentIds;
        }
        await patchUser(id, userBody(rest));
        return {};
      }
      case 'DisableUser':
        await patchUser(assertId(op.id, 'user.id'), { is_frozen: true });
        return {};
      case 'EnableUser': {
        const id = assertId(op.id, 'user.id');
        if ((await getUser(id)).status?.is_resigned) await resurrect(id, undefined);
        else await patchUser(id, { is_frozen: false });
        return {};
      }
      case 'DeleteUser':
        await client.request('DELETE', `/contact/v3/users/${enc(assertId(op.id, 'user.id'))}`, { query: idTypes });
        return {};
      default: {
        const unknown: never = op;
        throw invalidInput('action', `unknown operation ${(unknown as { action: string }).action}`);
      }
    }
  }

  return { kind: 'feishu', capabilities: feishuCapabilities, readSnapshot, readByIds, apply, findChildDepartment };
}
