// The Moka People connector: a read-only HR source. A run reads every department and employee
// (pageNum/pageSize lists); employee_status and the start date decide who is in the directory.
import type { DirectoryPage, User } from '../../engine/model';
import type { RateLimiterFactory } from '../shared/rate-limiter';
import { chinaDay } from '../shared/china-time';
import { invalidInput } from '../errors';
import type { Connector, ConnectorCapabilities, ReadByIdsResult } from '../types';
import { MokaClient, departmentsPath, employeesPath, maxPageSize } from './client';
import { presenceOf, toCanonicalDepartment, toCanonicalUser, type MokaDepartment, type MokaEmployee, type UsernameSource } from './mapping';

export { mokaBaseUrl } from './client';

export interface MokaSettings {
  baseUrl: string;
  /** 租户编码 */
  entCode: string;
  /** the apiCode Moka issued for the department list (/v1/org/department/batchData) */
  departmentsApiCode: string;
  /** the apiCode Moka issued for the employee list (/v1/batch/data) */
  employeesApiCode: string;
  userName?: string;
  pageSize?: number;
  usernameFrom?: UsernameSource;
  ratePerSecond?: number;
  ratePerMinute?: number;
  timeoutMs?: number;
}

export interface MokaSecrets {
  apiKey: string;
  privateKey: string;
}

export interface MokaConnectorOptions {
  now?: () => Date;
  /** the tenant's shared limiters (a run's context) */
  rateLimiters?: RateLimiterFactory;
}

export const mokaCapabilities: ConnectorCapabilities = {
  read: true,
  write: false,
  disableUser: false,
  deleteUser: false,
  deleteDepartment: false,
  manager: true,
  departmentLeader: false,
  realtimeEvents: false,
};

/** `yyyy-MM-dd`: the form Moka's startDate / endDate take. */
export type MokaDate = string;

export function createMokaConnector(settings: MokaSettings, secrets: MokaSecrets, options: MokaConnectorOptions = {}): Connector {
  const pageSize = settings.pageSize ?? maxPageSize;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > maxPageSize) throw invalidInput('pageSize', `must be an integer from 1 to ${maxPageSize}`);
  if (!settings.departmentsApiCode) throw invalidInput('departmentsApiCode', 'required');
  if (!settings.employeesApiCode) throw invalidInput('employeesApiCode', 'required');
  const usernameFrom = settings.usernameFrom ?? 'employeeNo';
  const now = options.now ?? (() => new Date());
  const client = new MokaClient({
    baseUrl: settings.baseUrl,
    entCode: settings.entCode,
    apiKey: secrets?.apiKey,
    privateKey: secrets?.privateKey,
    userName: settings.userName,
    ratePerSecond: settings.ratePerSecond,
    ratePerMinute: settings.ratePerMinute,
    timeoutMs: settings.timeoutMs,
    rateLimiters: options.rateLimiters,
  });

  async function readDirectory() {
    const rawDepartments: MokaDepartment[] = [];
    for await (const list of client.pages<MokaDepartment>(departmentsPath, settings.departmentsApiCode, {}, pageSize)) rawDepartments.push(...list);
    const live = rawDepartments.filter((d) => d.haveUsed !== 0);
    const departmentIds = new Set(live.map((d) => String(d.nodeUid)));
    const departments = live.map((d) => toCanonicalDepartment(d, departmentIds));
    const employees: MokaEmployee[] = [];
    for await (const list of readEmployees()) employees.push(...list);
    const today = chinaDay(now());
    const present = employees.filter((e) => presenceOf(e, today) === 'active');
    const people = new Set(present.map((e) => String(e.employee_id)));
    const users: User[] = present.map((e) => toCanonicalUser(e, usernameFrom, departmentIds, people));
    return { departments, users };
  }

  /** Employees, all of them or (both dates given) those changed in [startDate, endDate]. */
  function readEmployees(range?: { startDate: MokaDate; endDate: MokaDate }): AsyncGenerator<MokaEmployee[]> {
    return client.pages<MokaEmployee>(employeesPath, settings.employeesApiCode, range ?? {}, pageSize);
  }

  async function* readSnapshot(): AsyncIterable<DirectoryPage> {
    const { departments, users } = await readDirectory();
    if (departments.length > 0) yield { departments, users: [] };
    for (let i = 0; i < users.length; i += 500) yield { departments: [], users: users.slice(i, i + 500) };
  }

  // Moka's events are not wired to this kind: a run naming ids reads the directory and filters it.
  async function readByIds(ids: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult> {
    const { departments, users } = await readDirectory();
    const foundDepartments = departments.filter((d) => ids.departmentIds.includes(d.id));
    const foundUsers = users.filter((u) => ids.userIds.includes(u.id));
    return {
      departments: foundDepartments,
      users: foundUsers,
      missing: {
        departmentIds: ids.departmentIds.filter((id) => !foundDepartments.some((d) => d.id === id)),
        userIds: ids.userIds.filter((id) => !foundUsers.some((u) => u.id === id)),
      },
    };
  }

  const connector: Connector & { readChangedEmployees: typeof readEmployees } = {
    kind: 'moka',
    capabilities: mokaCapabilities,
    readSnapshot,
    readByIds,
    apply: async (op) => {
      throw invalidInput('action', `Moka is a read-only source: ${op.action} is not supported`);
    },
    readChangedEmployees: readEmployees,
  };
  return connector;
}
