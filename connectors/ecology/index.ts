// The 泛微 e-cology E9 connector: the HRM departments and people of one subcompany (分部), read in
// pages and written through synDepartment / synHrmresource keyed on department code and workcode.
// A department delete cancels (封存) it; offboarding sets status 5 (离职); rehiring sets 1 (正式).
import { randomBytes } from 'node:crypto';
import type { Department, DirectoryPage, User } from '../../engine/model';
import { invalidInput } from '../errors';
import type { ApplyResult, Connector, ConnectorCapabilities, ConnectorOperation, ReadByIdsResult } from '../types';
import { EcologyClient, type EcologyAuth } from './client';
import {
  departmentReference,
  permanentStatus,
  resignedStatus,
  toCanonicalDepartment,
  toCanonicalUser,
  toEcologyMobile,
  type EcologyDepartment,
  type EcologyJobtitle,
  type EcologySubcompany,
  type EcologyUser,
} from './mapping';

export { ecologyFieldAliases } from './mapping';

export interface EcologySettings {
  baseUrl: string;
  auth: EcologyAuth;
  /** the subcompany (分部) whose departments and people are synced; top-level departments live directly under it */
  subcompanyId: number;
  /** where people in no department are put (e-cology needs one); Sync Center neither reads it as a department nor manages it */
  defaultDepartmentCode?: string;
  /** records per page of the paged reads (e-cology's default 20) */
  pageSize?: number;
  timeoutMs?: number;
}

export interface EcologySecrets {
  tokenKey?: string;
}

export const ecologyCapabilities: ConnectorCapabilities = {
  read: true,
  write: true,
  // status 5 (离职) is e-cology's own offboarding; a person record is never deleted through this API.
  disableUser: true,
  deleteUser: false,
  deleteDepartment: true,
  manager: true,
  departmentLeader: false,
  realtimeEvents: false,
};

/** codes are keys e-cology stores as text: refuse what would not round-trip */
function assertCode(value: string | null | undefined, field: string): string {
  const code = (value ?? '').trim();
  if (!code) throw invalidInput(field, 'is required: e-cology keys records on it');
  if (code.startsWith('#')) throw invalidInput(field, `${code} is an e-cology record without a code; give it one in e-cology first`);
  if (code.length > 100) throw invalidInput(field, 'is longer than 100 characters');
  return code;
}

/** A department code Sync Center makes: e-cology needs one, the hub keeps none. */
export const newDepartmentCode = () => `SC${randomBytes(5).toString('hex').toUpperCase()}`;

interface Snapshot {
  subcompany: EcologySubcompany;
  departments: EcologyDepartment[];
  users: EcologyUser[];
  jobtitles: Map<number, string>;
}

export function createEcologyConnector(settings: EcologySettings, secrets: EcologySecrets): Connector {
  const client = new EcologyClient({ baseUrl: settings.baseUrl, auth: settings.auth, tokenKey: secrets?.tokenKey, timeoutMs: settings.timeoutMs });
  const pageSize = settings.pageSize ?? 100;
  const subcompanyId = Number(settings.subcompanyId);

  async function all<T>(api: string): Promise<T[]> {
    const out: T[] = [];
    for await (const page of client.readAll<T>(api, pageSize)) out.push(...page);
    return out;
  }

  async function readDepartments(): Promise<Pick<Snapshot, 'subcompany' | 'departments'>> {
    const subcompany = (await all<EcologySubcompany>('getHrmsubcompanyWithPage')).find((s) => Number(s.id) === subcompanyId && String(s.canceled) !== '1');
    if (!subcompany) throw invalidInput('connector.settings.subcompanyId', `subcompany ${subcompanyId} does not exist in e-cology (or is canceled)`);
    const departments = (await all<EcologyDepartment>('getHrmdepartmentWithPage')).filter((d) => Number(d.subcompanyid1) === subcompanyId && String(d.canceled ?? '0') !== '1');
    if (settings.defaultDepartmentCode && !departments.some((d) => d.departmentcode === settings.defaultDepartmentCode)) {
      throw invalidInput('connector.settings.defaultDepartmentCode', `department ${settings.defaultDepartmentCode} does not exist in subcompany ${subcompanyId}`);
    }
    return { subcompany, departments };
  }

  async function read(): Promise<Snapshot> {
    const { subcompany, departments } = await readDepartments();
    const jobtitles = new Map((await all<EcologyJobtitle>('getJobtitleInfoWithPage')).map((j) => [Number(j.id), j.jobtitlename]));
    const users = await all<EcologyUser>('getHrmUserInfoWithPage');
    return { subcompany, departments, users, jobtitles };
  }

  function toCanonical(snapshot: Snapshot): { departments: Department[]; users: User[] } {
    const codes = new Map(snapshot.departments.map((d) => [Number(d.id), d.departmentcode]));
    const workcodes = new Map(snapshot.users.map((u) => [Number(u.id), u.workcode]));
    const lookups = { departmentCode: (id: number) => codes.get(id), workcode: (id: number) => workcodes.get(id), jobtitle: (id: number) => snapshot.jobtitles.get(id) };
    const fallback = settings.defaultDepartmentCode;
    return {
      departments: snapshot.departments.filter((d) => d.departmentcode !== fallback).map((d) => toCanonicalDepartment(d, (id) => codes.get(id))),
      // People of this subcompany only; those in the default department are in none.
      users: snapshot.users
        .filter((u) => Number(u.subcompanyid1) === subcompanyId)
        .map((u) => toCanonicalUser(u, lookups))
        .map((u) => (fallback && u.mainDepartmentId === fallback ? { ...u, departmentIds: [], mainDepartmentId: null } : u)),
    };
  }

  async function* readSnapshot(): AsyncIterable<DirectoryPage> {
    const { departments, users } = toCanonical(await read());
    yield { departments, users: [] };
    for (let i = 0; i < users.length; i += 500) yield { departments: [], users: users.slice(i, i + 500) };
  }

  // The read APIs take no id filter we can rely on (unverified): one full read answers any ids.
  async function readByIds(ids: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult> {
    const { departments, users } = toCanonical(await read());
    const byDepartment = new Map(departments.map((d) => [d.id, d]));
    const byUser = new Map(users.map((u) => [u.id, u]));
    const result: ReadByIdsResult = { departments: [], users: [], missing: { departmentIds: [], userIds: [] } };
    for (const id of ids.departmentIds) {
      const found = byDepartment.get(id);
      if (found) result.departments.push(found);
      else result.missing.departmentIds.push(id);
    }
    for (const id of ids.userIds) {
      const found = byUser.get(id);
      if (found) result.users.push(found);
      else result.missing.userIds.push(id);
    }
    return result;
  }

  function departmentRecord(code: string, changes: Partial<Omit<Department, 'id'>>): Record<string, unknown> {
    const record: Record<string, unknown> = { departmentcode: code };
    if (changes.name !== undefined) {
      const name = changes.name.trim();
      if (!name) throw invalidInput('department.name', 'is required');
      record.departmentname = name;
      record.departmentmark = name;
    }
    if (changes.parentId !== undefined) record.supdepid = changes.parentId === null ? '0' : departmentReference(assertCode(changes.parentId, 'department.parentId'));
    if (changes.order !== undefined) record.showorder = String(changes.order);
    return record;
  }

  function userRecord(workcode: string, changes: Partial<Omit<User, 'id'>>): Record<string, unknown> {
    const record: Record<string, unknown> = { workcode };
    if (changes.username !== undefined) record.loginid = changes.username;
    if (changes.name !== undefined) {
      if (!changes.name.trim()) throw invalidInput('user.name', 'is required');
      record.lastname = changes.name;
    }
    if (changes.email !== undefined) record.email = changes.email ?? '';
    if (changes.mobile !== undefined) record.mobile = changes.mobile ? toEcologyMobile(changes.mobile) : '';
    if (changes.title !== undefined) record.jobtitle = changes.title ?? '';
    const department = changes.mainDepartmentId ?? changes.departmentIds?.[0];
    if (changes.departmentIds !== undefined && changes.departmentIds.length > 1) throw invalidInput('user.departmentIds', 'e-cology keeps one department per person');
    if (department) record.departmentid = departmentReference(assertCode(department, 'user.departmentIds'));
    else if (changes.departmentIds !== undefined && settings.defaultDepartmentCode) record.departmentid = departmentReference(settings.defaultDepartmentCode);
    if (changes.managerId !== undefined) record.managerid = changes.managerId ? assertCode(changes.managerId, 'user.managerId') : '';
    if (changes.status !== undefined) record.status = changes.status === 'disabled' ? resignedStatus : permanentStatus;
    return record;
  }

  async function apply(op: ConnectorOperation): Promise<ApplyResult> {
    switch (op.action) {
      case 'CreateDepartment': {
        const { id, ...rest } = op.department;
        // The plan lets the app choose; e-cology takes the code from us, so a fresh one is made (a
        // lost answer is found again by name under the parent: findChildDepartment).
        const code = id ? assertCode(id, 'department.id') : newDepartmentCode();
        const record = { '@action': 'add', subcompanyid1: String(subcompanyId), ...departmentRecord(code, rest) };
        await client.sync('synDepartment', code, record);
        return { externalId: code };
      }
      case 'UpdateDepartment': {
        const code = assertCode(op.id, 'department.id');
        const record = departmentRecord(code, op.changes);
        if (Object.keys(record).length === 1) return {};
        await client.sync('synDepartment', code, { '@action': 'edit', ...record });
        return {};
      }
      case 'DeleteDepartment': {
        const code = assertCode(op.id, 'department.id');
        await client.sync('synDepartment', code, { '@action': 'delete', departmentcode: code });
        return {};
      }
      case 'CreateUser': {
        const { id, employeeNumber, ...rest } = op.user;
        const workcode = assertCode(id || employeeNumber, id ? 'user.id' : 'user.employeeNumber');
        if (!rest.mainDepartmentId && rest.departmentIds.length === 0 && !settings.defaultDepartmentCode) {
          throw invalidInput('user.departmentIds', 'e-cology needs a department for every person: put them in one, or set connector.settings.defaultDepartmentCode');
        }
        await client.sync('synHrmresource', workcode, userRecord(workcode, { ...rest, status: rest.status ?? 'active' }));
        return { externalId: workcode };
      }
      case 'UpdateUser': {
        const workcode = assertCode(op.id, 'user.id');
        const { employeeNumber, ...rest } = op.changes;
        if (employeeNumber !== undefined && employeeNumber !== workcode) throw invalidInput('user.employeeNumber', 'is the workcode e-cology keys people on: it cannot change');
        const record = userRecord(workcode, rest);
        if (Object.keys(record).length === 1) return {};
        await client.sync('synHrmresource', workcode, record);
        return {};
      }
      case 'DisableUser':
        await client.sync('synHrmresource', assertCode(op.id, 'user.id'), { workcode: op.id, status: resignedStatus });
        return {};
      case 'EnableUser':
        await client.sync('synHrmresource', assertCode(op.id, 'user.id'), { workcode: op.id, status: permanentStatus });
        return {};
      case 'DeleteUser':
        throw invalidInput('action', 'e-cology people are not deleted through its API; offboard them (status 5) instead');
      default: {
        const unknown: never = op;
        throw invalidInput('action', `unknown operation ${(unknown as { action: string }).action}`);
      }
    }
  }

  // Departments only (no people): a lost create's retry reads the subcompany's department list once.
  async function findChildDepartment(parentId: string | null, name: string): Promise<Department | undefined> {
    const { departments } = toCanonical({ ...(await readDepartments()), users: [], jobtitles: new Map() });
    return departments.find((d) => d.parentId === parentId && d.name === name);
  }

  return { kind: 'ecology', capabilities: ecologyCapabilities, readSnapshot, readByIds, apply, findChildDepartment };
}
