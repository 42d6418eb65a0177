// The fake's contact book and WeCom's rules over it. Every mutation validates fully before it
// changes anything, so a refused call leaves the directory exactly as it was.
import type { WecomDepartment, WecomExtAttr, WecomUser } from '../mapping';
import { departmentNameForbidden, useridPattern } from '../validation';

/** An errcode answer from the fake. */
export class WecomFakeError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(`${errcode} ${errmsg}`);
  }
}

export interface StoredUser extends Required<Pick<WecomUser, 'userid' | 'name' | 'department' | 'main_department' | 'position' | 'mobile' | 'email' | 'direct_leader' | 'enable' | 'status'>> {
  extattr?: { attrs?: WecomExtAttr[] };
}

type Body = Record<string, unknown>;

const rootId = 1;
const maxDepth = 15;

const fail = (errcode: number, errmsg: string): never => {
  throw new WecomFakeError(errcode, errmsg);
};

function str(body: Body, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fail(40058, `invalid ${field}`);
}

function int(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return Number.isInteger(n) ? (n as number) : fail(40058, `invalid ${field}`);
}

function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : fail(40058, `invalid ${field}`);
}

export class WecomDirectory {
  private readonly departmentMap = new Map<number, Required<WecomDepartment>>();
  /** keyed by lower-case userid: WeCom userids are unique regardless of case */
  private readonly userMap = new Map<string, StoredUser>();
  // Indexes kept in step by every write below, so no rule scans the directory (100k members in the
  // benchmark): the writes go through setUser/removeUser and setDepartment/removeDepartment only.
  /** mobile → lower-case userid */
  private readonly byMobile = new Map<string, string>();
  /** lower-case email → lower-case userid (WeCom compares emails without case) */
  private readonly byEmail = new Map<string, string>();
  /** parentid → child department ids (the root is nobody's child) */
  private readonly childIds = new Map<number, Set<number>>();
  /** department id → how many members list it */
  private readonly memberCount = new Map<number, number>();
  private maxDepartmentId = rootId;
  readonly departments: ReadonlyMap<number, Required<WecomDepartment>> = this.departmentMap;
  readonly users: ReadonlyMap<string, StoredUser> = this.userMap;
  /** members who have activated WeCom: their mobile no longer changes through the API */
  readonly activated = new Set<string>();
  /** members WeCom sent its invitation to on create (to_invite, true unless sent false) */
  readonly invited = new Set<string>();

  constructor(rootName = 'Company') {
    this.setDepartment({ id: rootId, name: rootName, name_en: '', parentid: 0, order: 100000000, department_leader: [] });
  }

  private setDepartment(next: Required<WecomDepartment>): void {
    const current = this.departmentMap.get(next.id);
    if (current && current.id !== rootId) this.childIds.get(current.parentid)?.delete(current.id);
    this.departmentMap.set(next.id, next);
    if (next.id !== rootId) {
      let siblings = this.childIds.get(next.parentid);
      if (!siblings) this.childIds.set(next.parentid, (siblings = new Set()));
      siblings.add(next.id);
    }
    this.maxDepartmentId = Math.max(this.maxDepartmentId, next.id);
  }

  private removeDepartment(id: number): void {
    const current = this.departmentMap.get(id);
    if (!current) return;
    this.childIds.get(current.parentid)?.delete(id);
    this.departmentMap.delete(id);
  }

  /** Stores `next` under `key` (its lower-case userid), replacing what `key` held, indexes included. */
  private setUser(key: string, next: StoredUser): void {
    this.removeUser(key);
    this.userMap.set(key, next);
    if (next.mobile) this.byMobile.set(next.mobile, key);
    if (next.email) this.byEmail.set(next.email.toLowerCase(), key);
    for (const id of next.department) this.memberCount.set(id, (this.memberCount.get(id) ?? 0) + 1);
  }

  private removeUser(key: string): void {
    const current = this.userMap.get(key);
    if (!current) return;
    if (current.mobile && this.byMobile.get(current.mobile) === key) this.byMobile.delete(current.mobile);
    if (current.email && this.byEmail.get(current.email.toLowerCase()) === key) this.byEmail.delete(current.email.toLowerCase());
    for (const id of current.department) {
      const left = (this.memberCount.get(id) ?? 0) - 1;
      if (left > 0) this.memberCount.set(id, left);
      else this.memberCount.delete(id);
    }
    this.userMap.delete(key);
  }

  department(id: unknown, code = 60003): Required<WecomDepartment> {
    const n = int(id, 'id');
    return (n !== undefined && this.departments.get(n)) || fail(code, `department not found: ${String(id)}`);
  }

  user(userid: unknown): StoredUser {
    return (typeof userid === 'string' && this.users.get(userid.toLowerCase())) || fail(60111, `userid not found: ${String(userid)}`);
  }

  private depth(id: number): number {
    let depth = 1;
    for (let d = this.departments.get(id); d && d.id !== rootId; d = this.departments.get(d.parentid)) depth += 1;
    return depth;
  }

  private children(id: number): Array<Required<WecomDepartment>> {
    return [...(this.childIds.get(id) ?? [])].map((child) => this.departmentMap.get(child)!);
  }

  /** the department and everything below it, parents first */
  subtree(id: number): Array<Required<WecomDepartment>> {
    const out = [this.department(id)];
    for (let i = 0; i < out.length; i += 1) out.push(...this.children(out[i].id).sort((a, b) => b.order - a.order || a.id - b.id));
    return out;
  }

  private height(id: number): number {
    return 1 + Math.max(0, ...this.children(id).map((c) => this.height(c.id)));
  }

  private checkName(name: string | undefined, parentid: number, selfId?: number): string {
    if (name === undefined || name.trim() === '' || [...name].length > 64) return fail(60001, 'department name length invalid (1-64)');
    if (departmentNameForbidden.test(name)) fail(60009, `department name contains invalid characters: ${name}`);
    if (this.children(parentid).some((d) => d.name === name && d.id !== selfId)) fail(60008, `department name exists under parent ${parentid}: ${name}`);
    return name;
  }

  private checkLeaders(value: unknown, field: string): string[] | undefined {
    const list = stringList(value, field);
    return list?.map((id) => this.user(id).userid);
  }

  createDepartment(body: Body): number {
    const parentid = int(body.parentid, 'parentid') ?? fail(60004, 'parent department not found: missing parentid');
    this.department(parentid, 60004);
    const name = this.checkName(str(body, 'name'), parentid);
    let id = int(body.id, 'id');
    if (id !== undefined) {
      if (id <= rootId || id > 0xffffffff) fail(40058, `invalid department id ${id}`);
      if (this.departments.has(id)) fail(60008, `department id exists: ${id}`);
    } else {
      id = this.maxDepartmentId + 1;
    }
    if (this.depth(parentid) + 1 > maxDepth) fail(60002, `department level exceeds ${maxDepth}`);
    const leaders = this.checkLeaders(body.department_leader, 'department_leader') ?? [];
    const order = int(body.order, 'order') ?? 0;
    this.setDepartment({ id, name, name_en: str(body, 'name_en') ?? '', parentid, order, department_leader: leaders });
    return id;
  }

  updateDepartment(body: Body): void {
    const current = this.department(body.id);
    const parentid = int(body.parentid, 'parentid') ?? current.parentid;
    if (parentid !== current.parentid) {
      if (current.id === rootId) fail(60010, 'the root department cannot be moved');
      this.department(parentid, 60004);
      if (this.subtree(current.id).some((d) => d.id === parentid)) fail(60010, 'department cannot move below itself');
      if (this.depth(parentid) + this.height(current.id) > maxDepth) fail(60002, `department level exceeds ${maxDepth}`);
    }
    const name = body.name !== undefined || parentid !== current.parentid ? this.checkName(str(body, 'name') ?? current.name, parentid, current.id) : current.name;
    const leaders = this.checkLeaders(body.department_leader, 'department_leader') ?? current.department_leader;
    const order = int(body.order, 'order') ?? current.order;
    this.setDepartment({ ...current, name, parentid, order, department_leader: leaders, name_en: str(body, 'name_en') ?? current.name_en });
  }

  deleteDepartment(id: unknown): void {
    const dep = this.department(id);
    if (dep.id === rootId) fail(60007, 'the root department cannot be deleted');
    if ((this.childIds.get(dep.id)?.size ?? 0) > 0) fail(60006, 'department has sub-departments');
    if ((this.memberCount.get(dep.id) ?? 0) > 0) fail(60005, 'department has members');
    this.removeDepartment(dep.id);
  }

  private checkUnique(field: 'mobile' | 'email', value: string, selfKey?: string): void {
    if (!value) return;
    const owner = field === 'email' ? this.byEmail.get(value.toLowerCase()) : this.byMobile.get(value);
    if (owner !== undefined && owner !== selfKey) fail(field === 'mobile' ? 60104 : 60106, `${field} exists: ${value}`);
  }

  private checkDepartments(value: unknown): number[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0 || value.length > 100) return fail(60123, 'invalid department: 1-100 departments required');
    return value.map((v) => this.department(v, 60123).id);
  }

  /** Builds the record a create or update would leave, validating everything first. */
  private nextUser(body: Body, current?: StoredUser): StoredUser {
    const selfKey = current?.userid.toLowerCase();
    const name = str(body, 'name') ?? current?.name;
    if (!name || name.length > 64) return fail(60112, 'invalid name');
    const department = this.checkDepartments(body.department) ?? current?.department ?? [rootId];
    let main = int(body.main_department, 'main_department') ?? current?.main_department ?? department[0];
    if (!department.includes(main)) {
      if (body.main_department !== undefined) fail(60123, `main_department ${main} is not one of the user's departments`);
      main = department[0];
    }
    let mobile = str(body, 'mobile') ?? current?.mobile ?? '';
    // WeCom keeps the member's own mobile once they have activated: the change is silently ignored.
    if (current && selfKey && this.activated.has(selfKey)) mobile = current.mobile;
    const email = str(body, 'email') ?? current?.email ?? '';
    if (!mobile && !email) fail(60129, 'mobile and email are both empty');
    this.checkUnique('mobile', mobile, selfKey);
    this.checkUnique('email', email, selfKey);
    const leaders = stringList(body.direct_leader, 'direct_leader');
    if (leaders && leaders.length > 5) fail(40058, 'at most 5 direct_leader');
    const direct_leader = leaders?.map((id) => this.user(id).userid) ?? current?.direct_leader ?? [];
    const enableIn = int(body.enable, 'enable');
    if (enableIn !== undefined && enableIn !== 0 && enableIn !== 1) fail(40058, 'invalid enable');
    const enable = enableIn ?? current?.enable ?? 1;
    const wasActivated = selfKey !== undefined && this.activated.has(selfKey);
    const status = enable === 0 ? 2 : current && current.status !== 2 ? current.status : wasActivated ? 1 : 4;
    const extattr = (body.extattr as StoredUser['extattr']) ?? current?.extattr;
    return { userid: current?.userid ?? '', name, department, main_department: main, position: str(body, 'position') ?? current?.position ?? '', mobile, email, direct_leader, enable, status, ...(extattr ? { extattr } : {}) };
  }

  private checkNewUserid(userid: string | undefined, selfKey?: string): string {
    if (!userid) return fail(41009, 'missing userid');
    if (!useridPattern.test(userid)) fail(40003, `invalid userid: ${userid}`);
    if (this.users.has(userid.toLowerCase()) && userid.toLowerCase() !== selfKey) fail(60102, `userid exists: ${userid}`);
    return userid;
  }

  createUser(body: Body, options: { activated?: boolean } = {}): void {
    const userid = this.checkNewUserid(str(body, 'userid'));
    const next = { ...this.nextUser(body), userid };
    if (options.activated && next.status === 4) next.status = 1;
    this.setUser(userid.toLowerCase(), next);
    if (options.activated) this.activated.add(userid.toLowerCase());
  }

  updateUser(body: Body): void {
    const current = this.user(body.userid);
    const key = current.userid.toLowerCase();
    const newUserid = body.new_userid === undefined ? undefined : this.checkNewUserid(str(body, 'new_userid'), key);
    const next = this.nextUser(body, current);
    if (newUserid === undefined || newUserid === current.userid) {
      this.setUser(key, next);
      return;
    }
    this.removeUser(key);
    this.setUser(newUserid.toLowerCase(), { ...next, userid: newUserid });
    if (this.activated.delete(key)) this.activated.add(newUserid.toLowerCase());
    this.replaceReferences(current.userid, newUserid);
  }

  deleteUsers(userids: unknown[]): void {
    const found = userids.map((id) => this.user(id));
    for (const u of found) {
      this.removeUser(u.userid.toLowerCase());
      this.activated.delete(u.userid.toLowerCase());
      this.replaceReferences(u.userid, undefined);
    }
  }

  /** A renamed or deleted member is renamed or removed wherever they lead. */
  private replaceReferences(userid: string, replacement: string | undefined): void {
    const swap = (list: string[]) => list.flatMap((id) => (id === userid ? (replacement ? [replacement] : []) : [id]));
    for (const u of this.users.values()) u.direct_leader = swap(u.direct_leader);
    for (const d of this.departments.values()) d.department_leader = swap(d.department_leader);
  }

  /** Membership rows in the order user/list_id pages them. */
  membershipRows(): Array<{ userid: string; department: number }> {
    return [...this.users.values()].flatMap((u) => u.department.map((department) => ({ userid: u.userid, department })));
  }
}
