// Feishu contact v3 records <-> canonical model. Links use the custom ids (user_id, department_id):
// open ids differ per app, custom ids are the tenant's own and survive an app re-install.
import { createHash } from 'node:crypto';
import { canonicalMobile, toE164 } from '../../engine/mobile';
import type { Department, User } from '../../engine/model';
import { invalidInput } from '../errors';
import { orNull } from '../shared/vendor-values';

export const rootDepartmentId = '0';
export const employeeTypes = [1, 2, 3, 4, 5] as const;
export type FeishuEmployeeType = (typeof employeeTypes)[number];

/** What every call asks for: custom ids in, custom ids out. */
export const idTypes = { user_id_type: 'user_id', department_id_type: 'department_id' } as const;

export interface FeishuDepartment {
  name: string;
  department_id?: string;
  open_department_id?: string;
  parent_department_id?: string;
  leader_user_id?: string;
  order?: string;
  status?: { is_deleted?: boolean };
}

export interface FeishuUserStatus {
  is_frozen?: boolean;
  is_resigned?: boolean;
  is_activated?: boolean;
  is_exited?: boolean;
  is_unjoin?: boolean;
}

export interface FeishuUser {
  user_id?: string;
  open_id?: string;
  union_id?: string;
  name: string;
  email?: string;
  mobile?: string;
  department_ids?: string[];
  leader_user_id?: string;
  employee_no?: string;
  job_title?: string;
  employee_type?: number;
  status?: FeishuUserStatus;
}

/** vendor field → canonical field, for the field-mapping UI */
export const feishuFieldAliases: Readonly<Record<string, string>> = {
  user_id: 'username',
  name: 'name',
  email: 'email',
  mobile: 'mobile',
  employee_no: 'employeeNumber',
  job_title: 'title',
  department_ids: 'departmentIds',
  leader_user_id: 'managerId',
  'status.is_frozen': 'status',
  employee_type: 'attributes.employeeType',
  parent_department_id: 'parentId',
  order: 'order',
  'department.leader_user_id': 'leaderIds',
};

export function departmentKey(d: FeishuDepartment): string {
  return d.department_id || d.open_department_id || '';
}

export function toCanonicalDepartment(d: FeishuDepartment): Department {
  const parent = d.parent_department_id;
  const order = Number(d.order ?? 0);
  return {
    id: departmentKey(d),
    name: d.name,
    parentId: !parent || parent === rootDepartmentId ? null : parent,
    order: Number.isSafeInteger(order) ? order : 0,
    leaderIds: d.leader_user_id ? [d.leader_user_id] : [],
  };
}

/** Feishu answers mobiles in E.164 (+86138…); one without a country code is in `countryCode`. */
export function toCanonicalMobile(mobile: string | undefined, countryCode: string): string | null {
  return canonicalMobile(mobile, countryCode);
}

/** Feishu's form is E.164 itself: +8613800000000, +85291234567. */
export function toFeishuMobile(mobile: string, countryCode: string): string {
  const e164 = toE164(mobile, countryCode);
  if (e164 === null) throw invalidInput('user.mobile', 'is not a phone number (write it as +<country code> <number>)');
  return e164;
}

export function toCanonicalUser(u: FeishuUser, countryCode: string): User {
  const id = u.user_id || u.open_id || '';
  // Membership of the root "0" alone is no department in the canonical model.
  const departmentIds = (u.department_ids ?? []).filter((d) => d !== '' && d !== rootDepartmentId);
  const attributes: Record<string, unknown> = {};
  if (typeof u.employee_type === 'number') attributes.employeeType = u.employee_type;
  if (u.open_id) attributes.openId = u.open_id;
  return {
    id,
    username: id,
    name: u.name,
    email: orNull(u.email),
    mobile: toCanonicalMobile(u.mobile, countryCode),
    employeeNumber: orNull(u.employee_no),
    title: orNull(u.job_title),
    departmentIds,
    // Feishu lists the primary department first (unverified: it also has orders[].is_primary_dept).
    mainDepartmentId: departmentIds[0] ?? null,
    managerId: orNull(u.leader_user_id),
    status: u.status?.is_frozen ? 'disabled' : 'active',
    attributes,
  };
}

/** Department names Feishu refuses: empty, or containing "/" (it is the path separator). */
export function assertDepartmentName(name: unknown, field: string): string {
  if (typeof name !== 'string' || name.trim() === '') throw invalidInput(field, 'department name is required');
  if (name.includes('/')) throw invalidInput(field, `department name "${name}" contains "/", which Feishu refuses`);
  if ([...name].length > 100) throw invalidInput(field, `department name "${name.slice(0, 20)}…" is longer than 100 characters`);
  return name;
}

export function assertId(id: unknown, field: string): string {
  if (typeof id !== 'string' || id === '') throw invalidInput(field, 'id is required');
  if (id.includes('/')) throw invalidInput(field, `"${id}" cannot be a Feishu id (contains "/")`);
  return id;
}

export function employeeTypeOf(attributes: Record<string, unknown> | undefined, fallback: FeishuEmployeeType): FeishuEmployeeType {
  const value = attributes?.employeeType;
  if (value === undefined || value === null) return fallback;
  if (!employeeTypes.includes(value as FeishuEmployeeType)) {
    throw invalidInput('user.attributes.employeeType', `must be 1 (regular), 2 (intern), 3 (outsourced), 4 (labor) or 5 (consultant), got ${JSON.stringify(value)}`);
  }
  return value as FeishuEmployeeType;
}

/**
 * client_token for a create: derived from what the create is (app, entity, wished-for id or the
 * body), never from the run, so a retried create carries the same token and Feishu returns the
 * first result instead of a second entity.
 */
export function createClientToken(appId: string, entity: 'department' | 'user', identity: unknown): string {
  const hex = createHash('sha256').update(JSON.stringify([appId, entity, identity])).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
