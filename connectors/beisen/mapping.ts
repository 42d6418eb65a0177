// Beisen's records in the canonical model. empStatus (the record's employeeStatus) decides who is in
// the directory: 待入职 not yet, 试用 / 正式 active, 离职 / 退休 gone; a start date still to come
// keeps even an active record out until its day (in China time), so a scheduled run on that day
// provisions the person.
import type { Department, User } from '../../engine/model';
import { VendorError } from '../errors';

export interface BeisenOrganization {
  oId: number;
  name: string;
  code?: string | null;
  /** 1 enabled, 0 disabled */
  status?: number;
  /** the parent in the administrative tree */
  pOIdOrgAdmin?: number | null;
  orderAdmin?: number | null;
  modifiedTime?: string;
  stdIsDeleted?: boolean;
}

export interface BeisenEmployee {
  employeeInfo: {
    userID: number;
    name: string;
    email?: string | null;
    mobilePhone?: string | null;
    modifiedTime?: string;
    stdIsDeleted?: boolean;
  };
  recordInfo: {
    userID?: number;
    oIdDepartment?: number | null;
    pOIdEmpAdmin?: number | null;
    jobNumber?: string | null;
    entryDate?: string | null;
    employeeStatus?: string | number | null;
    /** the name VENDORS.md gives the status; read when employeeStatus is absent */
    empStatus?: string | number | null;
    modifiedTime?: string;
    stdIsDeleted?: boolean;
    translateProperties?: Record<string, unknown> | null;
  };
}

export type Presence = 'not_yet' | 'active' | 'left';

/** empStatus: 1 待入职 2 试用 3 正式 4 调出 5 待调入 6 退休 8 离职 (docs/vendors.md). */
export const empStatusPresence: Record<string, Presence> = {
  '1': 'not_yet',
  '2': 'active',
  '3': 'active',
  // 调出: moved out of this tenant's organisation; 待调入: not arrived yet.
  '4': 'left',
  '5': 'not_yet',
  '6': 'left',
  '8': 'left',
};

export type UsernameSource = 'jobNumber' | 'emailLocalPart' | 'userID';

export function presenceOf(employee: BeisenEmployee, today: string): Presence {
  const raw = employee.recordInfo.employeeStatus ?? employee.recordInfo.empStatus;
  const presence = raw === null || raw === undefined ? undefined : empStatusPresence[String(raw)];
  if (!presence) throw new VendorError('permanent', 'invalid_response', `employee ${employee.employeeInfo.userID}: unknown empStatus ${JSON.stringify(raw)}`);
  if (employee.employeeInfo.stdIsDeleted || employee.recordInfo.stdIsDeleted) return 'left';
  const start = employee.recordInfo.entryDate?.slice(0, 10);
  if (presence === 'active' && start && start > today) return 'not_yet';
  return presence;
}

/** The start day of a person kept out only because it is still to come (active, not deleted), else undefined. */
export function laterStartDay(employee: BeisenEmployee, today: string): string | undefined {
  const start = employee.recordInfo.entryDate?.slice(0, 10);
  if (!start || start <= today) return undefined;
  const raw = employee.recordInfo.employeeStatus ?? employee.recordInfo.empStatus;
  if (raw === null || raw === undefined || empStatusPresence[String(raw)] !== 'active') return undefined;
  return employee.employeeInfo.stdIsDeleted || employee.recordInfo.stdIsDeleted ? undefined : start;
}

export function toCanonicalDepartment(org: BeisenOrganization, known: Set<string>): Department {
  const parent = org.pOIdOrgAdmin === null || org.pOIdOrgAdmin === undefined ? null : String(org.pOIdOrgAdmin);
  return {
    id: String(org.oId),
    name: org.name,
    parentId: parent !== null && known.has(parent) ? parent : null,
    order: org.orderAdmin ?? 0,
    leaderIds: [],
  };
}

function usernameOf(employee: BeisenEmployee, source: UsernameSource): string {
  const { employeeInfo, recordInfo } = employee;
  const id = String(employeeInfo.userID);
  if (source === 'jobNumber') return recordInfo.jobNumber?.trim() || id;
  if (source === 'emailLocalPart') return employeeInfo.email?.split('@')[0]?.trim() || recordInfo.jobNumber?.trim() || id;
  return id;
}

/**
 * A present employee; the department only when it is in the directory read, the manager when
 * `isPerson` says so (a full read: present in it; an incremental one: present or not read).
 */
export function toCanonicalUser(employee: BeisenEmployee, source: UsernameSource, departments: Set<string>, isPerson: (id: string) => boolean): User {
  const { employeeInfo, recordInfo } = employee;
  const department = recordInfo.oIdDepartment === null || recordInfo.oIdDepartment === undefined ? null : String(recordInfo.oIdDepartment);
  const inDepartment = department !== null && departments.has(department) ? department : null;
  const manager = recordInfo.pOIdEmpAdmin === null || recordInfo.pOIdEmpAdmin === undefined ? null : String(recordInfo.pOIdEmpAdmin);
  const title = recordInfo.translateProperties?.oIdJobPostText;
  return {
    id: String(employeeInfo.userID),
    username: usernameOf(employee, source),
    name: employeeInfo.name,
    email: employeeInfo.email?.trim() || null,
    mobile: employeeInfo.mobilePhone?.trim() || null,
    employeeNumber: recordInfo.jobNumber?.trim() || null,
    title: typeof title === 'string' && title.trim() ? title.trim() : null,
    departmentIds: inDepartment ? [inDepartment] : [],
    mainDepartmentId: inDepartment,
    managerId: manager !== null && manager !== String(employeeInfo.userID) && isPerson(manager) ? manager : null,
    status: 'active',
    attributes: {},
  };
}

/** The later of two versions of one record (a record changed in two windows is answered in both). */
export function later<T extends { modifiedTime?: string }>(a: T | undefined, b: T): T {
  return a && (a.modifiedTime ?? '') > (b.modifiedTime ?? '') ? a : b;
}
