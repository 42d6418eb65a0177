// The Beisen iTalent connector: a read-only HR source. Beisen answers what changed in a time window
// (≤ 90 days); the engine compares whole directories, so a read walks every window from
// `historyStart` to now and keeps each record's latest version. Who is in the directory is decided
// by empStatus and the start date (mapping.ts).
import type { DirectoryPage, User } from '../../engine/model';
import type { RateLimiterFactory } from '../shared/rate-limiter';
import { invalidInput } from '../errors';
import type { Connector, ConnectorCapabilities, ReadByIdsResult } from '../types';
import { BeisenClient, employeeWindowPath, maxCapacity, organizationWindowPath } from './client';
import { later, presenceOf, toCanonicalDepartment, toCanonicalUser, type BeisenEmployee, type BeisenOrganization, type UsernameSource } from './mapping';
import { chinaDay, maxWindowDays, parseChinaDateTime, timeWindows } from './time-window';

export { beisenBaseUrl } from './client';

export interface BeisenSettings {
  baseUrl: string;
  tenantId: string;
  appId: string;
  /** the first day a window covers (China time), e.g. 2015-01-01: before the tenant's oldest record */
  historyStart?: string;
  /** days per time window, 1–90 (default 90) */
  windowDays?: number;
  /** records per page, 1–300 (default 300) */
  capacity?: number;
  /** what a user's username is made of: jobNumber (default), emailLocalPart or userID */
  usernameFrom?: UsernameSource;
  ratePerSecond?: number;
  ratePerMinute?: number;
  timeoutMs?: number;
}

export interface BeisenSecrets {
  secret: string;
}

export interface BeisenConnectorOptions {
  /** the clock (tests): which windows exist and whether a start date has come */
  now?: () => Date;
  /** the tenant's shared limiters (a run's context) */
  rateLimiters?: RateLimiterFactory;
}

export const beisenCapabilities: ConnectorCapabilities = {
  read: true,
  write: false,
  disableUser: false,
  deleteUser: false,
  deleteDepartment: false,
  manager: true,
  departmentLeader: false,
  realtimeEvents: false,
};

export const defaultHistoryStart = '2000-01-01';
const pageSize = 500;

export function createBeisenConnector(settings: BeisenSettings, secrets: BeisenSecrets, options: BeisenConnectorOptions = {}): Connector {
  const windowDays = settings.windowDays ?? maxWindowDays;
  if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > maxWindowDays) throw invalidInput('windowDays', `must be an integer from 1 to ${maxWindowDays}`);
  const capacity = settings.capacity ?? maxCapacity;
  if (!Number.isInteger(capacity) || capacity < 1 || capacity > maxCapacity) throw invalidInput('capacity', `must be an integer from 1 to ${maxCapacity}`);
  const historyStart = parseChinaDateTime(settings.historyStart ?? defaultHistoryStart);
  if (Number.isNaN(historyStart)) throw invalidInput('historyStart', 'must be a date such as 2015-01-01');
  const usernameFrom = settings.usernameFrom ?? 'jobNumber';
  const now = options.now ?? (() => new Date());
  const client = new BeisenClient({
    baseUrl: settings.baseUrl,
    tenantId: settings.tenantId,
    appId: settings.appId,
    secret: secrets?.secret,
    ratePerSecond: settings.ratePerSecond,
    ratePerMinute: settings.ratePerMinute,
    timeoutMs: settings.timeoutMs,
    rateLimiters: options.rateLimiters,
  });

  async function readDirectory() {
    // One second past now: window text has whole seconds, and a change this second must be in.
    const until = new Date(now().getTime() + 1_000);
    const organizations = new Map<number, BeisenOrganization>();
    const employees = new Map<number, BeisenEmployee>();
    for (const window of timeWindows(new Date(historyStart), until, windowDays)) {
      // timeWindowQueryType 1: by modifiedTime; disabled and deleted records come too, the mapping decides.
      const query = { ...window, timeWindowQueryType: '1', isWithDeleted: true };
      for (const org of await client.scrollWindow<BeisenOrganization>(organizationWindowPath, query, capacity)) {
        organizations.set(org.oId, later(organizations.get(org.oId), org));
      }
      const employeeQuery = { ...query, withDisabled: true, isGetLatestRecord: true, enableTranslate: true };
      for (const employee of await client.scrollWindow<BeisenEmployee>(employeeWindowPath, employeeQuery, capacity)) {
        const id = employee.employeeInfo.userID;
        const current = employees.get(id);
        employees.set(id, current && latestOf(current) > latestOf(employee) ? current : employee);
      }
    }
    const liveOrgs = [...organizations.values()].filter((o) => o.status !== 0 && !o.stdIsDeleted);
    const departmentIds = new Set(liveOrgs.map((o) => String(o.oId)));
    const departments = liveOrgs.map((o) => toCanonicalDepartment(o, departmentIds));
    const today = chinaDay(now());
    const present = [...employees.values()].filter((e) => presenceOf(e, today) === 'active');
    const people = new Set(present.map((e) => String(e.employeeInfo.userID)));
    const users: User[] = present.map((e) => toCanonicalUser(e, usernameFrom, departmentIds, people));
    return { departments, users };
  }

  async function* readSnapshot(): AsyncIterable<DirectoryPage> {
    const { departments, users } = await readDirectory();
    if (departments.length > 0) yield { departments, users: [] };
    for (let i = 0; i < users.length; i += pageSize) yield { departments: [], users: users.slice(i, i + pageSize) };
  }

  // Beisen pushes no events, so this serves only a run that names ids: one full read, filtered.
  async function readByIds(ids: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult> {
    const { departments, users } = await readDirectory();
    const wantedDepartments = new Set(ids.departmentIds);
    const wantedUsers = new Set(ids.userIds);
    const foundDepartments = departments.filter((d) => wantedDepartments.has(d.id));
    const foundUsers = users.filter((u) => wantedUsers.has(u.id));
    return {
      departments: foundDepartments,
      users: foundUsers,
      missing: {
        departmentIds: ids.departmentIds.filter((id) => !foundDepartments.some((d) => d.id === id)),
        userIds: ids.userIds.filter((id) => !foundUsers.some((u) => u.id === id)),
      },
    };
  }

  return {
    kind: 'beisen',
    capabilities: beisenCapabilities,
    readSnapshot,
    readByIds,
    apply: async (op) => {
      throw invalidInput('action', `Beisen is a read-only source: ${op.action} is not supported`);
    },
  };
}

function latestOf(employee: BeisenEmployee): string {
  const a = employee.employeeInfo.modifiedTime ?? '';
  const b = employee.recordInfo.modifiedTime ?? '';
  return a > b ? a : b;
}
