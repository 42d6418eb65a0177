// WeCom records <-> canonical model. Ids are the strings of WeCom's ids; root 1 is the top (parentId null).
import { canonicalMobile, chinaCountryCode, homeOrInternational } from '../../engine/mobile';
import type { Department, User } from '../../engine/model';
import { rootDepartmentId } from './validation';
import { invalidInput } from '../errors';
import { orNull } from '../shared/vendor-values';

export interface WecomDepartment {
  id: number;
  name: string;
  name_en?: string;
  parentid: number;
  order?: number;
  department_leader?: string[];
}

export interface WecomExtAttr {
  type?: number;
  name: string;
  value?: string;
  text?: { value: string };
}

export interface WecomUser {
  userid: string;
  name: string;
  department?: number[];
  main_department?: number;
  position?: string;
  mobile?: string;
  email?: string;
  direct_leader?: string[];
  enable?: number;
  status?: number;
  extattr?: { attrs?: WecomExtAttr[] };
}

/** vendor field → canonical field, for the field-mapping UI */
export const wecomFieldAliases: Readonly<Record<string, string>> = {
  userid: 'username',
  name: 'name',
  email: 'email',
  mobile: 'mobile',
  position: 'title',
  department: 'departmentIds',
  main_department: 'mainDepartmentId',
  direct_leader: 'managerId',
  enable: 'status',
  status: 'status',
  'extattr.employeeNumber': 'employeeNumber',
  parentid: 'parentId',
  order: 'order',
  department_leader: 'leaderIds',
};

/** WeCom has no employee-number field: it lives in this custom attribute (the name is configurable). */
export const defaultEmployeeNumberAttribute = 'employeeNumber';

export function toCanonicalDepartment(d: WecomDepartment): Department {
  return {
    id: String(d.id),
    name: d.name,
    parentId: d.id === rootDepartmentId || !d.parentid ? null : String(d.parentid),
    order: typeof d.order === 'number' ? d.order : 0,
    leaderIds: [...(d.department_leader ?? [])],
  };
}

export function readExtAttr(user: WecomUser, attribute: string): string | null {
  const attr = user.extattr?.attrs?.find((a) => a.name === attribute);
  return orNull(attr?.text?.value ?? attr?.value);
}

export function toCanonicalUser(u: WecomUser, employeeNumberAttribute = defaultEmployeeNumberAttribute): User {
  const departmentIds = (u.department ?? []).map(String);
  return {
    id: u.userid,
    username: u.userid,
    name: u.name,
    email: orNull(u.email),
    mobile: canonicalMobile(u.mobile, chinaCountryCode),
    employeeNumber: readExtAttr(u, employeeNumberAttribute),
    title: orNull(u.position),
    departmentIds,
    mainDepartmentId: u.main_department ? String(u.main_department) : (departmentIds[0] ?? null),
    managerId: u.direct_leader?.[0] ?? null,
    status: u.enable === 0 || u.status === 2 ? 'disabled' : 'active',
    attributes: {},
  };
}

export function employeeNumberExtAttr(value: string | null, attribute: string): { attrs: WecomExtAttr[] } {
  return { attrs: [{ type: 0, name: attribute, text: { value: value ?? '' } }] };
}

/** WeCom's own form: a mainland number bare, any other as `+区号 号码` (`+852 91234567`). */
export function toWecomMobile(mobile: string): string {
  const written = homeOrInternational(mobile, chinaCountryCode, ' ');
  if (written === null) throw invalidInput('user.mobile', 'is not a phone number (write it as +<country code> <number>)');
  return written;
}
