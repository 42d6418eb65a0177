// DingTalk records <-> canonical model. Ids are the strings of DingTalk's ids; root 1 is the top (parentId null).
import { canonicalMobile, chinaCountryCode, homeOrInternational } from '../../engine/mobile';
import type { Department, User } from '../../engine/model';
import { invalidInput } from '../errors';
import { orNull } from '../shared/vendor-values';

export const rootDepartmentId = 1;

/** `topapi/v2/department/listsub` items: one level, base fields only (no order, no leaders). */
export interface DingtalkDepartmentBase {
  dept_id: number;
  name: string;
  parent_id?: number;
}

/** `topapi/v2/department/get` result. */
export interface DingtalkDepartment extends DingtalkDepartmentBase {
  order?: number;
  dept_manager_userid_list?: string[];
}

/** `topapi/v2/user/get` result and `user/list` items. */
export interface DingtalkUser {
  userid: string;
  name: string;
  mobile?: string;
  email?: string;
  job_number?: string;
  title?: string;
  dept_id_list?: number[];
  manager_userid?: string;
  /** false until the member has joined (accepted the invitation / activated) */
  active?: boolean;
}

/** vendor field → canonical field, for the field-mapping UI */
export const dingtalkFieldAliases: Readonly<Record<string, string>> = {
  userid: 'username',
  name: 'name',
  email: 'email',
  mobile: 'mobile',
  job_number: 'employeeNumber',
  title: 'title',
  dept_id_list: 'departmentIds',
  manager_userid: 'managerId',
  active: 'attributes.dingtalkInvitationPending',
  parent_id: 'parentId',
  order: 'order',
  dept_manager_userid_list: 'leaderIds',
};

/** The attribute that tells the plan and the run items a member has not joined yet. */
export const invitationPendingAttribute = 'dingtalkInvitationPending';

export function toCanonicalDepartment(d: DingtalkDepartment): Department {
  return {
    id: String(d.dept_id),
    name: d.name,
    parentId: d.dept_id === rootDepartmentId || !d.parent_id ? null : String(d.parent_id),
    order: typeof d.order === 'number' ? d.order : 0,
    leaderIds: [...(d.dept_manager_userid_list ?? [])],
  };
}

export function toCanonicalUser(u: DingtalkUser): User {
  const departmentIds = (u.dept_id_list ?? []).map(String);
  return {
    id: u.userid,
    username: u.userid,
    name: u.name,
    email: orNull(u.email),
    mobile: canonicalMobile(u.mobile, chinaCountryCode),
    employeeNumber: orNull(u.job_number),
    title: orNull(u.title),
    departmentIds,
    // DingTalk has no main department: the first of dept_id_list plays that part (writes put it first).
    mainDepartmentId: departmentIds[0] ?? null,
    managerId: orNull(u.manager_userid),
    // DingTalk cannot freeze an account: everyone it lists is active.
    status: 'active',
    attributes: u.active === false ? { [invitationPendingAttribute]: true } : {},
  };
}

/** DingTalk's form: a mainland number bare, any other as `+xx-xxxxxx` (`+852-91234567`). */
export function toDingtalkMobile(mobile: string): string {
  const written = homeOrInternational(mobile, chinaCountryCode, '-');
  if (written === null) throw invalidInput('user.mobile', 'is not a phone number (write it as +<country code> <number>)');
  return written;
}
