// The fake's contact book and Feishu's rules over it. Entities are keyed by their open ids (which
// never change); custom ids are looked up per *_id_type. Every mutation validates fully before it
// changes anything, so a refused call leaves the directory exactly as it was.
import { randomBytes } from 'node:crypto';
import type { FeishuDepartment, FeishuUser, FeishuUserStatus } from '../mapping';

/** A {code,msg} answer from the fake. */
export class FeishuFakeError extends Error {
  constructor(
    readonly code: number,
    readonly msg: string,
  ) {
    super(`${code} ${msg}`);
  }
}

export type UserIdType = 'open_id' | 'union_id' | 'user_id';
export type DepartmentIdType = 'open_department_id' | 'department_id';
export interface IdTypes {
  user: UserIdType;
  department: DepartmentIdType;
}

interface StoredDepartment {
  openId: string;
  customId: string;
  name: string;
  parentOpenId: string;
  leaderOpenId: string;
  order: number;
}

interface StoredUser {
  openId: string;
  unionId: string;
  userId: string;
  name: string;
  email: string;
  mobile: string;
  departmentOpenIds: string[];
  leaderOpenId: string;
  employeeNo: string;
  jobTitle: string;
  employeeType: number;
  status: Required<FeishuUserStatus>;
  /** where a resigned user was, for a resurrect without departments (unverified Feishu behaviour) */
  formerDepartmentOpenIds: string[];
}

type Body = Record<string, unknown>;

export const rootOpenId = '0';
const invalidParam = 99992402;
const fail = (code: number, msg: string): never => {
  throw new FeishuFakeError(code, msg);
};
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

function optionalString(body: Body, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : fail(invalidParam, `field validation failed: ${field} must be a string`);
}

function stringArray(body: Body, field: string): string[] | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : fail(invalidParam, `field validation failed: ${field} must be a string array`);
}

function orderOf(body: Body): number | undefined {
  const v = body.order;
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : fail(invalidParam, 'field validation failed: order');
}

export class FeishuDirectory {
  readonly departments = new Map<string, StoredDepartment>();
  readonly users = new Map<string, StoredUser>();

  constructor(tenantName = 'Tenant') {
    this.departments.set(rootOpenId, { openId: rootOpenId, customId: '0', name: tenantName, parentOpenId: '', leaderOpenId: '', order: 0 });
  }

  department(id: unknown, type: DepartmentIdType, code = 40004): StoredDepartment {
    if (typeof id === 'string' && id !== '') {
      if (id === '0') return this.departments.get(rootOpenId)!;
      if (type === 'open_department_id') {
        const found = this.departments.get(id);
        if (found) return found;
      } else {
        for (const d of this.departments.values()) if (d.customId === id) return d;
      }
    }
    return fail(code, code === 44101 ? `parent department not found: ${String(id)}` : `department not found or out of scope: ${String(id)}`);
  }

  user(id: unknown, type: UserIdType): StoredUser {
    if (typeof id === 'string' && id !== '') {
      for (const u of this.users.values()) if ((type === 'open_id' ? u.openId : type === 'union_id' ? u.unionId : u.userId) === id) return u;
    }
    return fail(41050, `user not found or out of scope: ${String(id)}`);
  }

  departmentView(d: StoredDepartment, types: IdTypes): FeishuDepartment & Body {
    const parent = this.departments.get(d.parentOpenId);
    const leader = this.users.get(d.leaderOpenId);
    return {
      name: d.name,
      department_id: d.customId,
      open_department_id: d.openId,
      parent_department_id: d.openId === rootOpenId ? '' : parent ? this.departmentRef(parent, types.department) : '0',
      leader_user_id: leader ? this.userRef(leader, types.user) : '',
      order: String(d.order),
      status: { is_deleted: false },
      member_count: this.members(d.openId).length,
    };
  }

  userView(u: StoredUser, types: IdTypes): FeishuUser & Body {
    const leader = this.users.get(u.leaderOpenId);
    return {
      union_id: u.unionId,
      user_id: u.userId,
      open_id: u.openId,
      name: u.name,
      email: u.email,
      mobile: u.mobile,
      department_ids: u.departmentOpenIds.map((id) => this.departmentRef(this.departments.get(id)!, types.department)),
      leader_user_id: leader ? this.userRef(leader, types.user) : '',
      employee_no: u.employeeNo,
      job_title: u.jobTitle,
      employee_type: u.employeeType,
      status: { ...u.status },
    };
  }

  private departmentRef(d: StoredDepartment, type: DepartmentIdType): string {
    return d.openId === rootOpenId ? '0' : type === 'department_id' ? d.customId : d.openId;
  }

  private userRef(u: StoredUser, type: UserIdType): string {
    return type === 'user_id' ? u.userId : type === 'union_id' ? u.unionId : u.openId;
  }

  /** direct sub-departments, or the whole subtree parents first */
  children(openId: string, recursive: boolean): StoredDepartment[] {
    const direct = (id: string) => [...this.departments.values()].filter((d) => d.parentOpenId === id).sort((a, b) => a.order - b.order);
    const out = direct(openId);
    if (recursive) for (let i = 0; i < out.length; i += 1) out.push(...direct(out[i].openId));
    return out;
  }

  /** direct members who have not resigned */
  members(openId: string): StoredUser[] {
    return [...this.users.values()].filter((u) => !u.status.is_resigned && u.departmentOpenIds.includes(openId));
  }

  private checkSiblings(parentOpenId: string, self: string | undefined, name: string | undefined, order: number | undefined): void {
    for (const sibling of this.children(parentOpenId, false)) {
      if (sibling.openId === self) continue;
      if (name !== undefined && sibling.name === name) fail(43000, `department name already exists under this parent: ${name}`);
      if (order !== undefined && sibling.order === order) fail(43005, `department order already used by a sibling: ${order}`);
    }
  }

  private checkName(name: unknown): string {
    if (typeof name !== 'string' || name.trim() === '') return fail(invalidParam, 'field validation failed: name is required');
    if (name.includes('/') || [...name].length > 100) return fail(invalidParam, 'field validation failed: name must be 1-100 characters without "/"');
    return name;
  }

  private leaderOf(body: Body, field: string, types: IdTypes): string | undefined {
    const ref = optionalString(body, field);
    if (ref === undefined) return undefined;
    if (ref === '') return '';
    const leader = this.user(ref, types.user);
    return leader.status.is_resigned ? fail(41050, `user has resigned: ${ref}`) : leader.openId;
  }

  createDepartment(body: Body, types: IdTypes): StoredDepartment {
    const name = this.checkName(body.name);
    const parentRef = optionalString(body, 'parent_department_id');
    if (parentRef === undefined) fail(invalidParam, 'field validation failed: parent_department_id is required');
    const parent = this.department(parentRef, types.department, 44101);
    const customId = optionalString(body, 'department_id');
    if (customId !== undefined) {
      if (customId === '' || customId === '0' || customId.startsWith('od-') || customId.length > 64) fail(invalidParam, 'field validation failed: department_id');
      if ([...this.departments.values()].some((d) => d.customId === customId)) fail(43007, `custom department_id already exists: ${customId}`);
    }
    const order = orderOf(body);
    this.checkSiblings(parent.openId, undefined, name, order);
    const leaderOpenId = this.leaderOf(body, 'leader_user_id', types) ?? '';
    const siblingOrders = this.children(parent.openId, false).map((d) => d.order);
    const stored: StoredDepartment = {
      openId: `od-${hex(16)}`,
      customId: customId ?? `D${hex(4)}`,
      name,
      parentOpenId: parent.openId,
      leaderOpenId,
      // Without an order Feishu puts the department last (unverified: the step it uses).
      order: order ?? Math.max(0, ...siblingOrders) + 1000,
    };
    this.departments.set(stored.openId, stored);
    return stored;
  }

  patchDepartment(ref: string, body: Body, types: IdTypes): StoredDepartment {
    const d = this.department(ref, types.department);
    if (d.openId === rootOpenId) fail(40002, 'the root department cannot be changed');
    const name = body.name === undefined ? undefined : this.checkName(body.name);
    const parentRef = optionalString(body, 'parent_department_id');
    const parent = parentRef === undefined ? this.departments.get(d.parentOpenId)! : this.department(parentRef, types.department, 44101);
    for (let p: StoredDepartment | undefined = parent; p; p = this.departments.get(p.parentOpenId)) {
      if (p.openId === d.openId) fail(invalidParam, 'field validation failed: a department cannot move under itself');
    }
    const order = orderOf(body);
    const moved = parent.openId !== d.parentOpenId;
    this.checkSiblings(parent.openId, d.openId, name ?? (moved ? d.name : undefined), order);
    const leaderOpenId = this.leaderOf(body, 'leader_user_id', types);
    Object.assign(d, {
      name: name ?? d.name,
      parentOpenId: parent.openId,
      order: order ?? d.order,
      leaderOpenId: leaderOpenId ?? d.leaderOpenId,
    });
    return d;
  }

  deleteDepartment(ref: string, types: IdTypes): void {
    const d = this.department(ref, types.department);
    if (d.openId === rootOpenId) fail(40002, 'the root department cannot be deleted');
    if (this.children(d.openId, false).length > 0) fail(43012, 'department has sub-departments');
    if (this.members(d.openId).length > 0) fail(43011, 'department has members');
    this.departments.delete(d.openId);
  }

  private checkContacts(self: StoredUser | undefined, mobile: string | undefined, email: string | undefined): void {
    for (const other of this.users.values()) {
      if (other === self || other.status.is_resigned) continue;
      if (mobile && other.mobile === mobile) fail(41001, 'mobile already exists');
      if (email && other.email.toLowerCase() === email.toLowerCase()) fail(41002, 'email already exists');
    }
  }

  private departmentsOf(body: Body, types: IdTypes): string[] | undefined {
    const refs = stringArray(body, 'department_ids');
    if (refs === undefined) return undefined;
    if (refs.length === 0 || refs.length > 50) fail(invalidParam, 'field validation failed: department_ids must hold 1-50 departments');
    return [...new Set(refs.map((ref) => this.department(ref, types.department).openId))];
  }

  private employeeTypeOf(body: Body, required: boolean): number | undefined {
    if (body.employee_type === undefined && !required) return undefined;
    const n = body.employee_type;
    return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 5 ? n : fail(invalidParam, 'field validation failed: employee_type must be 1-5');
  }

  /** Numbers without a country code are taken as +86, as Feishu does (unverified for other regions). */
  private mobileOf(body: Body): string | undefined {
    const mobile = optionalString(body, 'mobile');
    if (mobile === undefined || mobile === '') return mobile;
    if (!/^\+?\d{5,20}$/.test(mobile)) fail(invalidParam, 'field validation failed: mobile');
    return mobile.startsWith('+') ? mobile : `+86${mobile}`;
  }

  createUser(body: Body, types: IdTypes): StoredUser {
    const name = optionalString(body, 'name');
    if (!name) fail(invalidParam, 'field validation failed: name is required');
    const mobile = this.mobileOf(body);
    const email = optionalString(body, 'email') ?? '';
    if (!mobile) fail(41009, 'mobile is required (no email or mobile given)');
    const employeeType = this.employeeTypeOf(body, true)!;
    const departmentOpenIds = this.departmentsOf(body, types) ?? fail(invalidParam, 'field validation failed: department_ids is required');
    const userId = optionalString(body, 'user_id');
    if (userId !== undefined && !/^[A-Za-z0-9_\-.@]{1,64}$/.test(userId)) fail(invalidParam, 'field validation failed: user_id');
    if (userId && [...this.users.values()].some((u) => u.userId === userId)) fail(41011, `user_id already exists: ${userId}`);
    this.checkContacts(undefined, mobile, email);
    const leaderOpenId = this.leaderOf(body, 'leader_user_id', types) ?? '';
    const stored: StoredUser = {
      openId: `ou_${hex(16)}`,
      unionId: `on_${hex(16)}`,
      userId: userId || hex(4),
      name: name!,
      email,
      mobile: mobile!,
      departmentOpenIds,
      leaderOpenId,
      employeeNo: optionalString(body, 'employee_no') ?? '',
      jobTitle: optionalString(body, 'job_title') ?? '',
      employeeType,
      status: { is_frozen: false, is_resigned: false, is_activated: true, is_exited: false, is_unjoin: false },
      formerDepartmentOpenIds: [],
    };
    this.users.set(stored.openId, stored);
    return stored;
  }

  patchUser(ref: string, body: Body, types: IdTypes): StoredUser {
    const u = this.user(ref, types.user);
    if (u.status.is_resigned) fail(41050, `user has resigned: ${ref}`);
    const name = optionalString(body, 'name');
    if (name === '') fail(invalidParam, 'field validation failed: name is required');
    const mobile = this.mobileOf(body);
    if (mobile === '') fail(41009, 'mobile cannot be cleared');
    const email = optionalString(body, 'email');
    this.checkContacts(u, mobile, email);
    const departmentOpenIds = this.departmentsOf(body, types);
    const leaderOpenId = this.leaderOf(body, 'leader_user_id', types);
    if (leaderOpenId === u.openId) fail(invalidParam, 'field validation failed: a user cannot lead themself');
    const employeeType = this.employeeTypeOf(body, false);
    if (body.is_frozen !== undefined && typeof body.is_frozen !== 'boolean') fail(invalidParam, 'field validation failed: is_frozen');
    Object.assign(u, {
      name: name ?? u.name,
      mobile: mobile ?? u.mobile,
      email: email ?? u.email,
      departmentOpenIds: departmentOpenIds ?? u.departmentOpenIds,
      leaderOpenId: leaderOpenId ?? u.leaderOpenId,
      employeeNo: optionalString(body, 'employee_no') ?? u.employeeNo,
      jobTitle: optionalString(body, 'job_title') ?? u.jobTitle,
      employeeType: employeeType ?? u.employeeType,
    });
    if (typeof body.is_frozen === 'boolean') u.status.is_frozen = body.is_frozen;
    return u;
  }

  /** DELETE = resign: the account stays (resurrectable) but leaves every department and leadership. */
  resignUser(ref: string, types: IdTypes): void {
    const u = this.user(ref, types.user);
    if (u.status.is_resigned) fail(41050, `user has already resigned: ${ref}`);
    u.formerDepartmentOpenIds = u.departmentOpenIds;
    u.departmentOpenIds = [];
    u.status = { ...u.status, is_resigned: true, is_frozen: false };
    for (const d of this.departments.values()) if (d.leaderOpenId === u.openId) d.leaderOpenId = '';
    for (const other of this.users.values()) if (other.leaderOpenId === u.openId) other.leaderOpenId = '';
  }

  resurrectUser(ref: string, body: Body, types: IdTypes): void {
    const u = this.user(ref, types.user);
    if (!u.status.is_resigned) fail(invalidParam, `user has not resigned: ${ref}`);
    const list = body.departments;
    if (list !== undefined && (!Array.isArray(list) || !list.every((d) => typeof d === 'object' && d !== null))) {
      fail(invalidParam, 'field validation failed: departments');
    }
    const requested = (list as Body[] | undefined)?.map((d) => this.department(d.department_id, types.department).openId);
    this.checkContacts(u, u.mobile, u.email);
    const former = u.formerDepartmentOpenIds.filter((id) => this.departments.has(id));
    u.departmentOpenIds = requested?.length ? [...new Set(requested)] : former.length ? former : [rootOpenId];
    u.status = { ...u.status, is_resigned: false, is_frozen: false };
  }
}
