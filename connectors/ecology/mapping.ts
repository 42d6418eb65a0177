// 泛微 e-cology E9 HRM records <-> canonical model. A department's id is its departmentcode and a
// person's is the workcode: the keys e-cology's sync writes take, so reads and writes agree.
import { canonicalMobile, chinaCountryCode, homeOrInternational } from '../../engine/mobile';
import type { Department, User } from '../../engine/model';
import { invalidInput } from '../errors';
import { orNull } from '../shared/vendor-values';

export interface EcologySubcompany {
  id: number;
  subcompanycode: string;
  subcompanyname: string;
  supsubcomid: number;
  canceled: string;
}

export interface EcologyDepartment {
  id: number;
  departmentcode: string;
  departmentname: string;
  departmentmark?: string;
  supdepid: number;
  subcompanyid1: number;
  showorder?: number;
  /** '1' = 封存 (canceled): what a delete does */
  canceled?: string;
  modified?: string;
}

export interface EcologyJobtitle {
  id: number;
  jobtitlemark: string;
  jobtitlename: string;
}

export interface EcologyUser {
  id: number;
  workcode: string;
  loginid: string;
  lastname: string;
  departmentid: number;
  departmentcode: string;
  subcompanyid1: number;
  /** the manager's numeric id on reads (writes name the manager's workcode) */
  managerid: number;
  email: string;
  mobile: string;
  /** a jobtitle (岗位) id on reads */
  jobtitle: number;
  /** 0 试用 1 正式 2 临时 3 试用延期 4 解聘 5 离职 6 退休 7 无效 */
  status: string;
  modified?: string;
}

/** Statuses of people still employed; 4–7 (terminated, resigned, retired, invalid) read as disabled. */
const employedStatuses = new Set(['0', '1', '2', '3']);
/** What offboarding writes: 5 离职 (resigned). */
export const resignedStatus = '5';
export const permanentStatus = '1';

/** vendor field → canonical field, for the field-mapping UI */
export const ecologyFieldAliases: Readonly<Record<string, string>> = {
  workcode: 'employeeNumber',
  loginid: 'username',
  lastname: 'name',
  email: 'email',
  mobile: 'mobile',
  jobtitle: 'title',
  departmentid: 'departmentIds',
  managerid: 'managerId',
  status: 'status',
  supdepid: 'parentId',
  showorder: 'order',
};

/** A record without a code (made in e-cology by hand) still needs an id: its numeric one, marked. */
export const departmentKey = (d: Pick<EcologyDepartment, 'id' | 'departmentcode'>) => d.departmentcode || `#${d.id}`;
export const userKey = (u: Pick<EcologyUser, 'id' | 'workcode'>) => u.workcode || `#${u.id}`;

export function toCanonicalDepartment(d: EcologyDepartment, codeOf: (id: number) => string | undefined): Department {
  return {
    id: departmentKey(d),
    name: d.departmentname,
    parentId: d.supdepid ? (codeOf(d.supdepid) ?? null) : null,
    order: typeof d.showorder === 'number' ? d.showorder : Number(d.showorder ?? 0) || 0,
    leaderIds: [],
  };
}

export interface UserLookups {
  departmentCode(id: number): string | undefined;
  workcode(id: number): string | undefined;
  jobtitle(id: number): string | undefined;
}

export function toCanonicalUser(u: EcologyUser, lookups: UserLookups): User {
  const department = u.departmentcode || lookups.departmentCode(u.departmentid);
  return {
    id: userKey(u),
    username: u.loginid || userKey(u),
    name: u.lastname,
    email: orNull(u.email),
    mobile: canonicalMobile(u.mobile, chinaCountryCode),
    employeeNumber: orNull(u.workcode),
    title: u.jobtitle ? (lookups.jobtitle(Number(u.jobtitle)) ?? null) : null,
    departmentIds: department ? [department] : [],
    mainDepartmentId: department ?? null,
    managerId: u.managerid ? (lookups.workcode(Number(u.managerid)) ?? null) : null,
    status: employedStatuses.has(String(u.status)) ? 'active' : 'disabled',
    attributes: {},
  };
}

/** e-cology keeps a mainland number bare, any other as +区号 号码. */
export function toEcologyMobile(mobile: string): string {
  const written = homeOrInternational(mobile, chinaCountryCode, ' ');
  if (written === null) throw invalidInput('user.mobile', 'is not a phone number (write it as +<country code> <number>)');
  return written;
}

/** How a write names a department: by its code, `{JSON}{"departmentcode":"X"}`. */
export const departmentReference = (code: string) => `{JSON}${JSON.stringify({ departmentcode: code })}`;
