// The DingTalk connector: reads the contact book one level at a time (bounded concurrency) and applies
// canonical operations. DingTalk cannot freeze an account, so offboarding is a staged delete.
import type { Department, DirectoryPage, User } from '../../engine/model';
import type { RateLimiterFactory } from '../shared/rate-limiter';
import { VendorError, invalidInput } from '../errors';
import type { ApplyResult, Connector, ConnectorCapabilities, ConnectorOperation, ReadByIdsResult } from '../types';
import { DingtalkClient } from './client';
import { rootDepartmentId, toCanonicalDepartment, toCanonicalUser, toDingtalkMobile, type DingtalkDepartment, type DingtalkDepartmentBase, type DingtalkUser } from './mapping';
import { assertDepartmentId, assertDepartmentName, assertUserName, assertUserid, isDepartmentId } from './validation';
import { mapWithConcurrency, walkTree } from './walk';

export { dingtalkFieldAliases, invitationPendingAttribute } from './mapping';

export interface DingtalkSettings {
  /** e.g. https://oapi.dingtalk.com */
  oapiBaseUrl: string;
  /** e.g. https://api.dingtalk.com (the default); only the new-API token lives there today */
  apiBaseUrl?: string;
  appKey: string;
  /** the corp id, for callbacks of legacy registrations; not needed for API calls */
  corpId?: string;
  /** per API; default 35 (DingTalk: 40/s) */
  ratePerSecond?: number;
  /** per API; default 1,400 (DingTalk: 1,500/min) */
  ratePerMinute?: number;
  /** overrides the wait after a rate-limit code */
  rateLimitBackoffMs?: number;
  /** user/list page size, 1–100 (default 100) */
  listPageSize?: number;
  /** calls in flight while reading the tree and members, 1–16 (default 8) */
  readConcurrency?: number;
  timeoutMs?: number;
}

export interface DingtalkSecrets {
  appSecret: string;
}

export const dingtalkCapabilities: ConnectorCapabilities = {
  read: true,
  write: true,
  // No freeze API: the planner turns offboarding into a staged (deletion-protected) delete.
  disableUser: false,
  deleteUser: true,
  deleteDepartment: true,
  manager: true,
  departmentLeader: true,
  realtimeEvents: true,
};

const departmentMissing = '60003';
const userMissing = '60121';
const useridExists = '60102';
/** the fake's (unverified) answer for a member who has not accepted the invitation */
const invitationPendingCode = '60148';

function invitationPending(userid: string, cause?: VendorError): VendorError {
  return new VendorError(
    'permanent',
    'invitation_pending',
    `user ${userid} has not accepted the DingTalk invitation yet${cause ? ` (DingTalk ${cause.vendorCode})` : ''}; they can be changed once they join, retrying will not help`,
  );
}

function noFreeze(action: string): VendorError {
  return new VendorError('permanent', 'unsupported', `${action}: DingTalk cannot freeze or unfreeze an account; offboarding to DingTalk is a staged delete`);
}

export function createDingtalkConnector(settings: DingtalkSettings, secrets: DingtalkSecrets, rateLimiters?: RateLimiterFactory): Connector {
  const pageSize = settings.listPageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw invalidInput('listPageSize', 'must be an integer from 1 to 100');
  const concurrency = settings.readConcurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw invalidInput('readConcurrency', 'must be an integer from 1 to 16');
  const client = new DingtalkClient({
    oapiBaseUrl: settings.oapiBaseUrl,
    apiBaseUrl: settings.apiBaseUrl,
    appKey: settings.appKey,
    appSecret: secrets?.appSecret,
    ratePerSecond: settings.ratePerSecond,
    ratePerMinute: settings.ratePerMinute,
    rateLimitBackoffMs: settings.rateLimitBackoffMs,
    timeoutMs: settings.timeoutMs,
    rateLimiters,
  });

  const getDepartment = (deptId: number) => client.post<DingtalkDepartment>('/topapi/v2/department/get', { dept_id: deptId });
  const getUser = (userid: string) => client.post<DingtalkUser>('/topapi/v2/user/get', { userid });

  // listsub walks the tree (one call per department, 8 in flight); listsub has no order or leaders,
  // so department/get adds them (one more call per department, also 8 in flight).
  async function* readSnapshot(): AsyncIterable<DirectoryPage> {
    const tree = await walkTree<DingtalkDepartmentBase>({ dept_id: rootDepartmentId, name: '' }, concurrency, async (d) =>
      (await client.post<DingtalkDepartmentBase[] | undefined>('/topapi/v2/department/listsub', { dept_id: d.dept_id })) ?? [],
    );
    const departments = await mapWithConcurrency(tree, concurrency, (d) => getDepartment(d.dept_id));
    yield { departments: departments.map(toCanonicalDepartment), users: [] };
    // A member of several departments is listed in each: keep the first sighting.
    const seen = new Set<string>();
    for (let i = 0; i < tree.length; i += concurrency) {
      const chunk = tree.slice(i, i + concurrency);
      const lists = await mapWithConcurrency(chunk, concurrency, async (d) => {
        const members: DingtalkUser[] = [];
        for await (const page of client.listUsers(d.dept_id, pageSize)) members.push(...page);
        return members;
      });
      const users: User[] = [];
      for (const member of lists.flat()) {
        if (seen.has(member.userid)) continue;
        seen.add(member.userid);
        users.push(toCanonicalUser(member));
      }
      if (users.length > 0) yield { departments: [], users };
    }
  }

  async function readByIds(ids: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult> {
    const result: ReadByIdsResult = { departments: [], users: [], missing: { departmentIds: [], userIds: [] } };
    const departments = await mapWithConcurrency(ids.departmentIds, concurrency, async (id) => {
      if (!isDepartmentId(id)) return undefined;
      try {
        return await getDepartment(Number(id));
      } catch (err) {
        if (err instanceof VendorError && err.vendorCode === departmentMissing) return undefined;
        throw err;
      }
    });
    departments.forEach((d, i) => (d ? result.departments.push(toCanonicalDepartment(d)) : result.missing.departmentIds.push(ids.departmentIds[i])));
    const users = await mapWithConcurrency(ids.userIds, concurrency, async (id) => {
      try {
        return await getUser(id);
      } catch (err) {
        if (err instanceof VendorError && err.vendorCode === userMissing) return undefined;
        throw err;
      }
    });
    users.forEach((u, i) => (u ? result.users.push(toCanonicalUser(u)) : result.missing.userIds.push(ids.userIds[i])));
    return result;
  }

  const parentOf = (parentId: string | null) => (parentId === null ? rootDepartmentId : assertDepartmentId(parentId, 'department.parentId'));
  // listsub answers one level: the parent's direct children, names included.
  async function findChildDepartment(parentId: string | null, name: string): Promise<Department | undefined> {
    const children = (await client.post<DingtalkDepartmentBase[] | undefined>('/topapi/v2/department/listsub', { dept_id: parentOf(parentId) })) ?? [];
    const found = children.find((d) => d.name === name);
    return found && toCanonicalDepartment({ parent_id: parentOf(parentId), ...found });
  }

  const commaList = (values: string[], check: (v: string) => unknown) => values.map((v) => String(check(v))).join(',');

  function departmentBody(changes: Partial<Omit<Department, 'id'>>): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    if (changes.name !== undefined) body.name = assertDepartmentName(changes.name, 'department.name');
    if (changes.parentId !== undefined) body.parent_id = parentOf(changes.parentId);
    if (changes.order !== undefined) body.order = changes.order;
    if (changes.leaderIds !== undefined) body.dept_manager_userid_list = commaList(changes.leaderIds, (id) => assertUserid(id, 'department.leaderIds'));
    return body;
  }

  /** The vendor fields for a change; username, status and attributes are handled by the callers. */
  function userBody(changes: Partial<Omit<User, 'id'>>): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    if (changes.name !== undefined) body.name = assertUserName(changes.name, 'user.name');
    if (changes.mobile !== undefined) {
      if (!changes.mobile) throw invalidInput('user.mobile', 'DingTalk needs a mobile number; it cannot be cleared');
      body.mobile = toDingtalkMobile(changes.mobile);
    }
    if (changes.email !== undefined) body.email = changes.email ?? '';
    if (changes.title !== undefined) body.title = changes.title ?? '';
    if (changes.employeeNumber !== undefined) body.job_number = changes.employeeNumber ?? '';
    if (changes.managerId !== undefined) body.manager_userid = changes.managerId ? assertUserid(changes.managerId, 'user.managerId') : '';
    if (changes.departmentIds !== undefined) {
      const ids = changes.departmentIds;
      if (ids.length > 100) throw invalidInput('user.departmentIds', 'DingTalk allows at most 100 departments per user');
      // DingTalk has no main department: the main one goes first, which is how it reads back.
      const main = changes.mainDepartmentId;
      const ordered = main && ids.includes(main) ? [main, ...ids.filter((id) => id !== main)] : ids;
      body.dept_id_list = ordered.length > 0 ? commaList(ordered, (id) => assertDepartmentId(id, 'user.departmentIds')) : String(rootDepartmentId);
    }
    return body;
  }

  async function createUser(user: User): Promise<ApplyResult> {
    const userid = assertUserid(user.id || user.username, user.id ? 'user.id' : 'user.username');
    if (!user.mobile) throw invalidInput('user.mobile', 'DingTalk needs a mobile number to create a member');
    const body: Record<string, unknown> = { userid, ...userBody({ ...user, name: assertUserName(user.name, 'user.name'), departmentIds: user.departmentIds ?? [] }) };
    try {
      const res = await client.post<{ userid?: string }>('/topapi/v2/user/create', body);
      return { externalId: res?.userid || userid };
    } catch (err) {
      // The id is taken: if by a member who has not joined yet, say so instead of failing the same way every run.
      if (err instanceof VendorError && err.vendorCode === useridExists) {
        const existing = await getUser(userid).catch(() => undefined);
        if (existing?.active === false) throw invitationPending(userid, err);
      }
      throw err;
    }
  }

  async function updateUser(id: string, changes: Partial<Omit<User, 'id'>>): Promise<ApplyResult> {
    const userid = assertUserid(id, 'user.id');
    if (changes.username !== undefined && changes.username !== userid) throw invalidInput('user.username', 'DingTalk userids cannot be changed once created');
    if (changes.status === 'disabled') throw noFreeze('UpdateUser status=disabled');
    let departmentIds = changes.departmentIds;
    if (departmentIds === undefined && changes.mainDepartmentId) {
      // A new main department alone means reordering the member's current list: read it first.
      departmentIds = ((await getUser(userid)).dept_id_list ?? []).map(String);
    }
    const body = userBody({ ...changes, departmentIds });
    if (Object.keys(body).length === 0) return {};
    try {
      await client.post('/topapi/v2/user/update', { userid, ...body });
    } catch (err) {
      if (err instanceof VendorError && err.vendorCode === invitationPendingCode) throw invitationPending(userid, err);
      throw err;
    }
    return {};
  }

  async function apply(op: ConnectorOperation): Promise<ApplyResult> {
    switch (op.action) {
      case 'CreateDepartment': {
        const { id, ...rest } = op.department;
        void id; // DingTalk chooses department ids
        const body = departmentBody(rest);
        body.parent_id ??= rootDepartmentId;
        if (body.dept_manager_userid_list === '') delete body.dept_manager_userid_list;
        const res = await client.post<{ dept_id?: number }>('/topapi/v2/department/create', body);
        if (typeof res?.dept_id !== 'number') throw new VendorError('permanent', 'invalid_response', 'department/create answered without result.dept_id');
        return { externalId: String(res.dept_id) };
      }
      case 'UpdateDepartment': {
        const deptId = assertDepartmentId(op.id, 'department.id');
        const body = departmentBody(op.changes);
        if (Object.keys(body).length === 0) return {};
        await client.post('/topapi/v2/department/update', { dept_id: deptId, ...body });
        return {};
      }
      case 'DeleteDepartment':
        await client.post('/topapi/v2/department/delete', { dept_id: assertDepartmentId(op.id, 'department.id') });
        return {};
      case 'CreateUser':
        return createUser(op.user);
      case 'UpdateUser':
        return updateUser(op.id, op.changes);
      case 'DisableUser':
      case 'EnableUser':
        throw noFreeze(op.action);
      case 'DeleteUser':
        await client.post('/topapi/v2/user/delete', { userid: assertUserid(op.id, 'user.id') });
        return {};
      default: {
        const unknown: never = op;
        throw invalidInput('action', `unknown operation ${(unknown as { action: string }).action}`);
      }
    }
  }

  return { kind: 'dingtalk', capabilities: dingtalkCapabilities, readSnapshot, readByIds, apply, findChildDepartment };
}
