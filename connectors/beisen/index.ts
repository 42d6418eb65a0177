// The Beisen iTalent connector: a read-only HR source. Beisen answers what changed in a time window
// (≤ 90 days): a full read walks every window from `historyStart` to now and keeps each record's
// latest version; an incremental read (`readChangesSince`) walks only the windows since the
// watermark for employees. Who is in the directory is decided by empStatus and the start date (mapping.ts).
import type { DirectoryPage, User } from '../../engine/model';
import type { RateLimiterFactory } from '../shared/rate-limiter';
import { invalidInput } from '../errors';
import { carriedStarts, encodeHrWatermark, parseHrWatermark, pendingStartsOf, pickByIds, preparedFullRead, type PendingStart } from '../shared/hr-watermark';
import type { ChangesSince, Connector, ConnectorCapabilities, ReadByIdsResult } from '../types';
import { readOnlySourceCapabilities } from '../types';
import { BeisenClient, employeeWindowPath, maxCapacity, organizationWindowPath } from './client';
import { laterStartDay, later, presenceOf, toCanonicalDepartment, toCanonicalUser, type BeisenEmployee, type BeisenOrganization, type UsernameSource } from './mapping';
import { chinaDateTime, chinaDay, maxWindowDays, parseChinaDateTime, timeWindows } from './time-window';

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

export const beisenCapabilities: ConnectorCapabilities = { ...readOnlySourceCapabilities, incrementalReads: true };

export const defaultHistoryStart = '2000-01-01';
const pageSize = 500;
const watermarkTime = { pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, valid: (t: string) => !Number.isNaN(parseChinaDateTime(t)), example: '2026-06-15T10:00:00' };

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

  type Raw = { organizations: Map<number, BeisenOrganization>; employees: Map<number, BeisenEmployee> };

  /** Organisations changed in the windows of [from, until), each at its latest version, into `into`. */
  async function readOrganizations(from: number, until: number, into: Map<number, BeisenOrganization>): Promise<void> {
    for (const window of timeWindows(new Date(from), new Date(until), windowDays)) {
      // timeWindowQueryType 1: by modifiedTime; disabled and deleted records come too, the mapping decides.
      const query = { ...window, timeWindowQueryType: '1', isWithDeleted: true };
      for (const org of await client.scrollWindow<BeisenOrganization>(organizationWindowPath, query, capacity)) into.set(org.oId, later(into.get(org.oId), org));
    }
  }

  async function readEmployees(from: number, until: number, into: Map<number, BeisenEmployee>): Promise<void> {
    for (const window of timeWindows(new Date(from), new Date(until), windowDays)) {
      const query = { ...window, timeWindowQueryType: '1', isWithDeleted: true, withDisabled: true, isGetLatestRecord: true, enableTranslate: true };
      for (const employee of await client.scrollWindow<BeisenEmployee>(employeeWindowPath, query, capacity)) {
        const id = employee.employeeInfo.userID;
        const current = into.get(id);
        into.set(id, current && latestOf(current) > latestOf(employee) ? current : employee);
      }
    }
  }

  /** Every record since historyStart; `at` is when the read begins. */
  async function readEverything(at: Date): Promise<Raw> {
    // One second past now: window text has whole seconds, and a change this second must be in.
    const until = at.getTime() + 1_000;
    const raw: Raw = { organizations: new Map(), employees: new Map() };
    await readOrganizations(historyStart, until, raw.organizations);
    await readEmployees(historyStart, until, raw.employees);
    return raw;
  }

  /**
   * The canonical directory of what was read. `complete`: every employee was read, so a manager not
   * among the present is gone; otherwise (an incremental read) a manager not read is left to the
   * engine, which finds their account through the task's links.
   */
  function directoryOf(raw: Raw, today: string, complete: boolean) {
    const liveOrgs = [...raw.organizations.values()].filter((o) => o.status !== 0 && !o.stdIsDeleted);
    const departmentIds = new Set(liveOrgs.map((o) => String(o.oId)));
    const departments = liveOrgs.map((o) => toCanonicalDepartment(o, departmentIds));
    const present = [...raw.employees.values()].filter((e) => presenceOf(e, today) === 'active');
    const people = new Set(present.map((e) => String(e.employeeInfo.userID)));
    const isPerson = (id: string) => people.has(id) || (!complete && !raw.employees.has(Number(id)));
    const users: User[] = present.map((e) => toCanonicalUser(e, usernameFrom, departmentIds, isPerson));
    return { departments, users };
  }

  /** People kept out only by a start date still to come: the next watermark carries them to their day. */
  function pendingStarts(employees: Iterable<BeisenEmployee>, today: string): PendingStart[] {
    return pendingStartsOf(employees, (e) => {
      const day = laterStartDay(e, today);
      return day ? { id: String(e.employeeInfo.userID), day, changed: latestOf(e).slice(0, 19) } : undefined;
    });
  }

  // What this instance read for the engine's next call: the full read a watermark was taken with
  // (served once, to the readSnapshot of the same run), and the records of the last changed-since read.
  const prepared = preparedFullRead<Raw>();
  let changes: { raw: Raw; today: string } | undefined;

  async function readDirectory() {
    const fresh = prepared.take();
    if (fresh) return directoryOf(fresh.raw, fresh.today, true);
    const at = now();
    return directoryOf(await readEverything(at), chinaDay(at), true);
  }

  async function* readSnapshot(): AsyncIterable<DirectoryPage> {
    const { departments, users } = await readDirectory();
    if (departments.length > 0) yield { departments, users: [] };
    for (let i = 0; i < users.length; i += pageSize) yield { departments: [], users: users.slice(i, i + pageSize) };
  }

  // Beisen reads nothing by id: after a changed-since read, the ids it listed (and the organisation
  // tree, read whole) are answered from it; otherwise one full read, filtered.
  async function readByIds(ids: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult> {
    return pickByIds(changes ? directoryOf(changes.raw, changes.today, false) : await readDirectory(), ids);
  }

  /** Before a full read: the mark (taken first), and the full read itself, kept for the readSnapshot that follows. */
  async function changeWatermark(): Promise<string> {
    const at = now();
    const today = chinaDay(at);
    const raw = await readEverything(at);
    prepared.keep(raw, today);
    return encodeHrWatermark({ since: chinaDateTime(at), starts: pendingStarts(raw.employees.values(), today) });
  }

  /**
   * The organisations and employees changed in [since, now], as Beisen's windows list them, plus the
   * people whose start day has come. The organisation tree is read whole (it places the changed
   * people; Beisen offers no read by id), split at `since` so only what changed is listed.
   */
  async function readChangesSince(text: string): Promise<ChangesSince> {
    const mark = parseHrWatermark(text, 'Beisen', watermarkTime);
    const at = now();
    const today = chinaDay(at);
    const until = at.getTime() + 1_000;
    // A mark ahead of this clock (another worker's) lists nothing new and stays where it is.
    const since = Math.min(parseChinaDateTime(mark.since), until);
    const raw: Raw = { organizations: new Map(), employees: new Map() };
    const changedOrgs = new Map<number, BeisenOrganization>();
    await readOrganizations(historyStart, Math.max(historyStart, since), raw.organizations);
    await readOrganizations(Math.max(historyStart, since), until, changedOrgs);
    for (const org of changedOrgs.values()) raw.organizations.set(org.oId, later(raw.organizations.get(org.oId), org));
    await readEmployees(since, until, raw.employees);
    const people = new Set([...raw.employees.keys()].map(String));
    const due = mark.starts.filter((s) => s.day <= today && !raw.employees.has(Number(s.id)));
    for (const second of new Set(due.map((s) => s.changed))) {
      const begins = parseChinaDateTime(second);
      const found = new Map<number, BeisenEmployee>();
      await readEmployees(begins, begins + 1_000, found);
      for (const s of due) {
        const record = s.changed === second ? found.get(Number(s.id)) : undefined;
        if (record) raw.employees.set(record.employeeInfo.userID, record);
      }
    }
    for (const s of due) people.add(s.id);
    changes = { raw, today };
    const starts = [...carriedStarts(mark.starts, today, (id) => raw.employees.has(Number(id))), ...pendingStarts(raw.employees.values(), today)];
    // oIds and userIDs are both numbers: kept apart, so organisation 11 is not person 11.
    const byEntity = { departmentIds: [...changedOrgs.keys()].map(String), userIds: [...people] };
    return {
      changedIds: [...new Set([...byEntity.departmentIds, ...byEntity.userIds])],
      byEntity,
      watermark: encodeHrWatermark({ since: chinaDateTime(new Date(Math.max(at.getTime(), since))), starts }),
    };
  }

  return {
    kind: 'beisen',
    capabilities: beisenCapabilities,
    readSnapshot,
    readByIds,
    changeWatermark,
    readChangesSince,
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
