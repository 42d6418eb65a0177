// The fake's contact book and DingTalk's rules over it. Every mutation validates fully before it
// changes anything, so a refused call leaves the directory exactly as it was.
import { rootDepartmentId, type DingtalkDepartment, type DingtalkUser } from '../mapping';
import { useridPattern } from '../validation';

/** Error codes the fake answers. Those marked unverified are plausible picks, listed in the README. */
export const fakeErrcodes = {
  invalidParameter: 40035,
  outOfScope: 50004,
  departmentNotFound: 60003,
  parentNotFound: 60004,
  /** unverified: DingTalk's "department has members" code */
  departmentHasMembers: 60005,
  /** unverified: DingTalk's "department has sub-departments" code */
  departmentHasChildren: 60006,
  /** unverified */
  rootUndeletable: 60007,
  departmentNameExists: 60008,
  useridExists: 60102,
  mobileExists: 60104,
  userNotFound: 60121,
  /** unverified, invented: the member has not accepted the invitation yet */
  invitationPending: 60148,
} as const;

export class DingtalkFakeError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`${errcode} ${errmsg}`);
  }
}

export type StoredDepartment = Required<DingtalkDepartment>;
export type StoredUser = Required<DingtalkUser>;

type Body = Record<string, unknown>;

const fail = (errcode: number, errmsg: string): never => {
  throw new DingtalkFakeError(errcode, errmsg);
};

function str(body: Body, field: string, max = 256): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') return fail(fakeErrcodes.invalidParameter, `invalid ${field}`);
  const s = String(v);
  return [...s].length > max ? fail(fakeErrcodes.invalidParameter, `${field} is longer than ${max}`) : s;
}

function int(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return Number.isSafeInteger(n) ? (n as number) : fail(fakeErrcodes.invalidParameter, `invalid ${field}`);
}

/** The API takes comma-separated strings ("2,3"); seeds may use arrays. */
function list(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return fail(fakeErrcodes.invalidParameter, `${field} must be a comma-separated string`);
  return value === '' ? [] : value.split(',').map((s) => s.trim());
}

export class DingtalkDirectory {
  readonly departments = new Map<number, StoredDepartment>();
  readonly users = new Map<string, StoredUser>();
  /** departments (with their subtrees) outside the app's contact scope: 50004 */
  readonly outOfScope = new Set<number>();
  /** when on, members created through the API must accept an invitation before they join */
  inviteConfirmation = false;
  private nextDepartmentId = 100;

  constructor(rootName = 'Company') {
    this.departments.set(rootDepartmentId, { dept_id: rootDepartmentId, name: rootName, parent_id: 0, order: 0, dept_manager_userid_list: [] });
  }

  private inScope(id: number): boolean {
    for (let d = this.departments.get(id); d; d = d.dept_id === rootDepartmentId ? undefined : this.departments.get(d.parent_id)) {
      if (this.outOfScope.has(d.dept_id)) return false;
    }
    return true;
  }

  department(id: unknown, code: number = fakeErrcodes.departmentNotFound): StoredDepartment {
    const n = int(id, 'dept_id');
    const found = (n !== undefined && this.departments.get(n)) || fail(code, `department not found: ${String(id)}`);
    if (!this.inScope(found.dept_id)) fail(fakeErrcodes.outOfScope, `department ${found.dept_id} is outside the app's contact scope`);
    return found;
  }

  /** one level below `id`, in order, only what the app may see */
  children(id: number): StoredDepartment[] {
    return [...this.departments.values()]
      .filter((d) => d.parent_id === id && d.dept_id !== rootDepartmentId && !this.outOfScope.has(d.dept_id))
      .sort((a, b) => a.order - b.order || a.dept_id - b.dept_id);
  }

  private allChildren(id: number): StoredDepartment[] {
    return [...this.departments.values()].filter((d) => d.parent_id === id && d.dept_id !== rootDepartmentId);
  }

  private isBelow(candidate: number, ancestor: number): boolean {
    for (let d = this.departments.get(candidate); d && d.dept_id !== rootDepartmentId; d = this.departments.get(d.parent_id)) {
      if (d.dept_id === ancestor) return true;
    }
    return false;
  }

  private checkName(name: string | undefined, parentId: number, selfId?: number): string {
    if (name === undefined || name.trim() === '' || [...name].length > 64) return fail(fakeErrcodes.invalidParameter, 'department name must be 1-64 characters');
    if (this.allChildren(parentId).some((d) => d.name === name && d.dept_id !== selfId)) fail(fakeErrcodes.departmentNameExists, `department name exists under parent ${parentId}: ${name}`);
    return name;
  }

  private checkUserids(value: unknown, field: string): string[] | undefined {
    return list(value, field)?.map((id) => this.user(id).userid);
  }

  createDepartment(body: Body, id?: number): number {
    const parentId = int(body.parent_id, 'parent_id') ?? fail(fakeErrcodes.invalidParameter, 'parent_id is required');
    this.department(parentId, fakeErrcodes.parentNotFound);
    const name = this.checkName(str(body, 'name'), parentId);
    const leaders = this.checkUserids(body.dept_manager_userid_list, 'dept_manager_userid_list') ?? [];
    const order = int(body.order, 'order') ?? 0;
    if (id !== undefined && (!Number.isSafeInteger(id) || id <= rootDepartmentId || this.departments.has(id))) fail(fakeErrcodes.invalidParameter, `department id ${id} is invalid or taken`);
    const deptId = id ?? (this.nextDepartmentId = Math.max(this.nextDepartmentId, ...this.departments.keys()) + 1);
    this.departments.set(deptId, { dept_id: deptId, name, parent_id: parentId, order, dept_manager_userid_list: leaders });
    return deptId;
  }

  updateDepartment(body: Body): void {
    const current = this.department(body.dept_id);
    const parentId = int(body.parent_id, 'parent_id') ?? current.parent_id;
    if (parentId !== current.parent_id) {
      if (current.dept_id === rootDepartmentId) fail(fakeErrcodes.invalidParameter, 'the root department cannot be moved');
      this.department(parentId, fakeErrcodes.parentNotFound);
      if (parentId === current.dept_id || this.isBelow(parentId, current.dept_id)) fail(fakeErrcodes.invalidParameter, 'a department cannot move below itself');
    }
    const nameChanges = body.name !== undefined || parentId !== current.parent_id;
    const name = nameChanges ? this.checkName(str(body, 'name') ?? current.name, parentId, current.dept_id) : current.name;
    const leaders = this.checkUserids(body.dept_manager_userid_list, 'dept_manager_userid_list') ?? current.dept_manager_userid_list;
    const order = int(body.order, 'order') ?? current.order;
    this.departments.set(current.dept_id, { ...current, name, parent_id: parentId, order, dept_manager_userid_list: leaders });
  }

  deleteDepartment(id: unknown): void {
    const dep = this.department(id);
    if (dep.dept_id === rootDepartmentId) fail(fakeErrcodes.rootUndeletable, 'the root department cannot be deleted');
    if (this.allChildren(dep.dept_id).length > 0) fail(fakeErrcodes.departmentHasChildren, 'department has sub-departments');
    if ([...this.users.values()].some((u) => u.dept_id_list.includes(dep.dept_id))) fail(fakeErrcodes.departmentHasMembers, 'department has members');
    this.departments.delete(dep.dept_id);
  }

  user(userid: unknown): StoredUser {
    return (typeof userid === 'string' && this.users.get(userid)) || fail(fakeErrcodes.userNotFound, `user not found: ${String(userid)}`);
  }

  /** members of one department who have joined, in the order user/list pages them */
  members(deptId: number): StoredUser[] {
    return [...this.users.values()].filter((u) => u.active && u.dept_id_list.includes(deptId));
  }

  private checkDepartments(value: unknown): number[] | undefined {
    const ids = list(value, 'dept_id_list');
    if (ids === undefined) return undefined;
    if (ids.length === 0 || ids.length > 100) return fail(fakeErrcodes.invalidParameter, 'dept_id_list needs 1-100 departments');
    return ids.map((id) => this.department(id).dept_id);
  }

  /** The record a create or update would leave, validated first. */
  private nextUser(body: Body, current?: StoredUser): StoredUser {
    const name = str(body, 'name', 80) ?? current?.name;
    if (!name) return fail(fakeErrcodes.invalidParameter, 'name is required (1-80 characters)');
    const mobile = str(body, 'mobile') ?? current?.mobile;
    if (!mobile) return fail(fakeErrcodes.invalidParameter, 'mobile is required');
    for (const other of this.users.values()) {
      if (other.userid !== current?.userid && other.mobile === mobile) fail(fakeErrcodes.mobileExists, `mobile exists: ${mobile}`);
    }
    const manager = str(body, 'manager_userid') ?? current?.manager_userid ?? '';
    if (manager !== '' && manager !== current?.userid) this.user(manager);
    return {
      userid: current?.userid ?? '',
      name,
      mobile,
      email: str(body, 'email') ?? current?.email ?? '',
      job_number: str(body, 'job_number', 64) ?? current?.job_number ?? '',
      title: str(body, 'title', 200) ?? current?.title ?? '',
      dept_id_list: this.checkDepartments(body.dept_id_list) ?? current?.dept_id_list ?? [rootDepartmentId],
      manager_userid: manager,
      active: current?.active ?? true,
    };
  }

  createUser(body: Body, options: { active?: boolean } = {}): string {
    let userid = str(body, 'userid');
    if (userid !== undefined) {
      if (!useridPattern.test(userid)) fail(fakeErrcodes.invalidParameter, `invalid userid: ${userid}`);
      if (this.users.has(userid)) fail(fakeErrcodes.useridExists, `userid exists: ${userid}`);
    }
    const next = this.nextUser(body);
    userid ??= this.generateUserid();
    this.users.set(userid, { ...next, userid, active: options.active ?? !this.inviteConfirmation });
    return userid;
  }

  updateUser(body: Body): void {
    const current = this.user(body.userid);
    if (!current.active) fail(fakeErrcodes.invitationPending, `user ${current.userid} has not accepted the invitation yet`);
    this.users.set(current.userid, this.nextUser(body, current));
  }

  deleteUser(userid: unknown): void {
    const u = this.user(userid);
    this.users.delete(u.userid);
    for (const other of this.users.values()) if (other.manager_userid === u.userid) other.manager_userid = '';
    for (const d of this.departments.values()) d.dept_manager_userid_list = d.dept_manager_userid_list.filter((id) => id !== u.userid);
  }

  private generateUserid(): string {
    for (let n = this.users.size + 1; ; n += 1) {
      const id = `0${String(n).padStart(6, '0')}`;
      if (!this.users.has(id)) return id;
    }
  }
}
