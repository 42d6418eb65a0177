// The Moka People connector: a read-only HR source. A full read lists every department and employee
// (pageNum/pageSize lists); an incremental one (`readChangesSince`) the employees changed in a date
// range. employee_status and the start date decide who is in the directory.
import type { DirectoryPage, User } from '../../engine/model';
import type { RateLimiterFactory } from '../shared/rate-limiter';
import { chinaDay } from '../shared/china-time';
import { invalidInput } from '../errors';
import { carriedStarts, encodeHrWatermark, parseHrWatermark, pendingStartsOf, pickByIds, preparedFullRead, type PendingStart } from '../shared/hr-watermark';
import type { ChangesSince, Connector, ConnectorCapabilities, ReadByIdsResult } from '../types';
import { readOnlySourceCapabilities } from '../types';
import { MokaClient, departmentsPath, employeesPath, maxPageSize } from './client';
import { laterStartDay, presenceOf, toCanonicalDepartment, toCanonicalUser, type MokaDepartment, type MokaEmployee, type UsernameSource } from './mapping';

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

export const mokaCapabilities: ConnectorCapabilities = { ...readOnlySourceCapabilities, incrementalReads: true };

/** `yyyy-MM-dd`: the form Moka's startDate / endDate take. */
export type MokaDate = string;

const mokaDay = /^\d{4}-\d{2}-\d{2}$/;
const watermarkTime = { pattern: mokaDay, valid: (day: string) => !Number.isNaN(Date.parse(`${day}T00:00:00Z`)) && new Date(`${day}T00:00:00Z`).toISOString().startsWith(day), example: '2026-06-15' };

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

  type Raw = { departments: MokaDepartment[]; employees: Map<number, MokaEmployee> };

  async function readDepartments(): Promise<MokaDepartment[]> {
    const departments: MokaDepartment[] = [];
    for await (const list of client.pages<MokaDepartment>(departmentsPath, settings.departmentsApiCode, {}, pageSize)) departments.push(...list);
    return departments;
  }

  async function readEverything(): Promise<Raw> {
    const departments = await readDepartments();
    const employees = new Map<number, MokaEmployee>();
    for await (const list of readEmployees()) for (const e of list) employees.set(e.employee_id, e);
    return { departments, employees };
  }

  /**
   * The canonical directory of what was read. `complete`: every employee was read, so a manager not
   * among the present is gone; otherwise (an incremental read) a manager not read is left to the
   * engine, which finds their account through the task's links.
   */
  function directoryOf(raw: Raw, today: string, complete: boolean) {
    const live = raw.departments.filter((d) => d.haveUsed !== 0);
    const departmentIds = new Set(live.map((d) => String(d.nodeUid)));
    const departments = live.map((d) => toCanonicalDepartment(d, departmentIds));
    const present = [...raw.employees.values()].filter((e) => presenceOf(e, today) === 'active');
    const people = new Set(present.map((e) => String(e.employee_id)));
    const isPerson = (id: string) => people.has(id) || (!complete && !raw.employees.has(Number(id)));
    const users: User[] = present.map((e) => toCanonicalUser(e, usernameFrom, departmentIds, isPerson));
    return { departments, users };
  }

  /** Employees, all of them or (both dates given) those changed in [startDate, endDate]. */
  function readEmployees(range?: { startDate: MokaDate; endDate: MokaDate }): AsyncGenerator<MokaEmployee[]> {
    return client.pages<MokaEmployee>(employeesPath, settings.employeesApiCode, range ?? {}, pageSize);
  }

  /** People kept out only by a start date still to come: the next watermark carries them to their day. */
  function pendingStarts(employees: Iterable<MokaEmployee>, today: string): PendingStart[] {
    return pendingStartsOf(employees, (e) => {
      const day = laterStartDay(e, today);
      const changed = e.update_time?.slice(0, 10);
      return day && changed && mokaDay.test(changed) ? { id: String(e.employee_id), day, changed } : undefined;
    });
  }

  // What this instance read for the engine's next call: the full read a watermark was taken with
  // (served once, to the readSnapshot of the same run), and the records of the last changed-since read.
  const prepared = preparedFullRead<Raw>();
  let changes: { raw: Raw; today: string } | undefined;

  async function readDirectory() {
    const fresh = prepared.take();
    if (fresh) return directoryOf(fresh.raw, fresh.today, true);
    const today = chinaDay(now());
    return directoryOf(await readEverything(), today, true);
  }

  async function* readSnapshot(): AsyncIterable<DirectoryPage> {
    const { departments, users } = await readDirectory();
    if (departments.length > 0) yield { departments, users: [] };
    for (let i = 0; i < users.length; i += 500) yield { departments: [], users: users.slice(i, i + 500) };
  }

  // Moka's events are not wired to this kind: after a changed-since read, the ids it listed (and the
  // departments, read whole) are answered from it; otherwise a run naming ids reads the directory and filters it.
  async function readByIds(ids: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult> {
    return pickByIds(changes ? directoryOf(changes.raw, changes.today, false) : await readDirectory(), ids);
  }

  /** Before a full read: the mark (the day, taken first), and the full read itself, kept for the readSnapshot that follows. */
  async function changeWatermark(): Promise<string> {
    const today = chinaDay(now());
    const raw = await readEverything();
    prepared.keep(raw, today);
    return encodeHrWatermark({ since: today, starts: pendingStarts(raw.employees.values(), today) });
  }

  /**
   * The employees changed from the watermark's day to today (Moka's startDate / endDate are whole
   * days, both included: the watermark's day is read again, harmless), the people whose start day has
   * come, and the departments the changed people are in with their ancestors (a new department must
   * be created with its first member). Moka's department list takes no date: it is read whole, to
   * place people, and other department changes wait for the full run.
   */
  async function readChangesSince(text: string): Promise<ChangesSince> {
    const mark = parseHrWatermark(text, 'Moka', watermarkTime);
    const today = chinaDay(now());
    // A mark ahead of this clock (another worker's) would be refused by Moka as a reversed range.
    const since = mark.since > today ? today : mark.since;
    const raw: Raw = { departments: await readDepartments(), employees: new Map() };
    for await (const list of readEmployees({ startDate: since, endDate: today })) for (const e of list) raw.employees.set(e.employee_id, e);
    const people = new Set([...raw.employees.keys()].map(String));
    const due = mark.starts.filter((s) => s.day <= today && !raw.employees.has(Number(s.id)));
    for (const day of new Set(due.map((s) => s.changed))) {
      const wanted = new Set(due.filter((s) => s.changed === day).map((s) => Number(s.id)));
      for await (const list of readEmployees({ startDate: day, endDate: day })) for (const e of list) if (wanted.has(e.employee_id)) raw.employees.set(e.employee_id, e);
    }
    for (const s of due) people.add(s.id);
    const departments = new Set<string>();
    const parents = new Map(raw.departments.map((d) => [d.nodeUid, d.parentNodeUid ?? null]));
    for (const e of raw.employees.values()) {
      // Bounded: a parent cycle in Moka must not loop for ever.
      for (let at = e.department_id ?? null, depth = 0; at !== null && depth < 100 && parents.has(at); at = parents.get(at) ?? null, depth++) departments.add(String(at));
    }
    changes = { raw, today };
    const starts = [...carriedStarts(mark.starts, today, (id) => raw.employees.has(Number(id))), ...pendingStarts(raw.employees.values(), today)];
    // nodeUids and employee_ids are both small numbers: kept apart, so department 11 is not person 11.
    const byEntity = { departmentIds: [...departments], userIds: [...people] };
    return { changedIds: [...new Set([...byEntity.departmentIds, ...byEntity.userIds])], byEntity, watermark: encodeHrWatermark({ since: today, starts }) };
  }

  const connector: Connector & { readChangedEmployees: typeof readEmployees } = {
    kind: 'moka',
    capabilities: mokaCapabilities,
    readSnapshot,
    readByIds,
    changeWatermark,
    readChangesSince,
    apply: async (op) => {
      throw invalidInput('action', `Moka is a read-only source: ${op.action} is not supported`);
    },
    readChangedEmployees: readEmployees,
  };
  return connector;
}
