// Moka's records in the canonical model. employee_status decides who is in the directory: 在职 and
// 试用 active, 待入职 not yet, 离职 gone; a start date still to come waits for its day (China time).
import type { Department, User } from '../../engine/model';
import { VendorError } from '../errors';

export interface MokaDepartment {
  nodeUid: number;
  nodeName: string;
  nodeCode?: string | null;
  /** null for the root */
  parentNodeUid?: number | null;
  sortNum?: number | null;
  /** 1 in use, 0 disabled */
  haveUsed?: number;
}

export interface MokaEmployee {
  employee_id: number;
  name: string;
  email?: string | null;
  mobile?: string | null;
  employee_no?: string | null;
  /** nodeUid of the main department */
  department_id?: number | null;
  position_name?: string | null;
  /** 1 在职 2 离职 3 试用 4 待入职 */
  employee_status: number;
  /** employee_id of the manager */
  report_leader_id?: number | null;
  entry_date?: string | null;
  update_time?: string | null;
}

export type Presence = 'not_yet' | 'active' | 'left';

export const employeeStatusPresence: Record<number, Presence> = { 1: 'active', 2: 'left', 3: 'active', 4: 'not_yet' };

export type UsernameSource = 'employeeNo' | 'emailLocalPart' | 'employeeId';

export function presenceOf(employee: MokaEmployee, today: string): Presence {
  const presence = employeeStatusPresence[employee.employee_status];
  if (!presence) throw new VendorError('permanent', 'invalid_response', `employee ${employee.employee_id}: unknown employee_status ${JSON.stringify(employee.employee_status)}`);
  const start = employee.entry_date?.slice(0, 10);
  return presence === 'active' && start && start > today ? 'not_yet' : presence;
}

/** The start day of a person kept out only because it is still to come (在职 / 试用), else undefined. */
export function laterStartDay(employee: MokaEmployee, today: string): string | undefined {
  const start = employee.entry_date?.slice(0, 10);
  return start && start > today && employeeStatusPresence[employee.employee_status] === 'active' ? start : undefined;
}

export function toCanonicalDepartment(d: MokaDepartment, known: Set<string>): Department {
  const parent = d.parentNodeUid === null || d.parentNodeUid === undefined ? null : String(d.parentNodeUid);
  return { id: String(d.nodeUid), name: d.nodeName, parentId: parent !== null && known.has(parent) ? parent : null, order: d.sortNum ?? 0, leaderIds: [] };
}

function usernameOf(e: MokaEmployee, source: UsernameSource): string {
  const id = String(e.employee_id);
  if (source === 'employeeNo') return e.employee_no?.trim() || id;
  if (source === 'emailLocalPart') return e.email?.split('@')[0]?.trim() || e.employee_no?.trim() || id;
  return id;
}

/** The manager when `isPerson` says so (a full read: present in it; an incremental one: present or not read). */
export function toCanonicalUser(e: MokaEmployee, source: UsernameSource, departments: Set<string>, isPerson: (id: string) => boolean): User {
  const department = e.department_id === null || e.department_id === undefined ? null : String(e.department_id);
  const inDepartment = department !== null && departments.has(department) ? department : null;
  const manager = e.report_leader_id === null || e.report_leader_id === undefined ? null : String(e.report_leader_id);
  return {
    id: String(e.employee_id),
    username: usernameOf(e, source),
    name: e.name,
    email: e.email?.trim() || null,
    mobile: e.mobile?.trim() || null,
    employeeNumber: e.employee_no?.trim() || null,
    title: e.position_name?.trim() || null,
    departmentIds: inDepartment ? [inDepartment] : [],
    mainDepartmentId: inDepartment,
    managerId: manager !== null && manager !== String(e.employee_id) && isPerson(manager) ? manager : null,
    status: 'active',
    attributes: {},
  };
}
