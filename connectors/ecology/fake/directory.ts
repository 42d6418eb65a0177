// The fake's HRM tables (分部, 部门, 岗位, 人员) and e-cology's sync rules over them: writes are keyed
// on department code and workcode, a department delete only cancels it, each record is answered
// on its own (one bad record does not stop the others), and a refused record changes nothing.
import type { EcologyDepartment, EcologyJobtitle, EcologySubcompany, EcologyUser } from '../mapping';

/** A per-record refusal: the record's key answered `{code, msg}`. */
export class EcologyRecordError extends Error {
  constructor(
    readonly code: string,
    readonly msg: string,
  ) {
    super(`${code} ${msg}`);
  }
}

type Row = Record<string, unknown>;

const fail = (msg: string): never => {
  throw new EcologyRecordError('0', msg);
};

function text(row: Row, field: string): string | undefined {
  const value = row[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return fail(`${field} 格式错误`);
}

/** `{JSON}{"departmentcode":"X"}`: how a write names a related record by one of its fields. */
export function jsonReference(value: string | undefined): Row | undefined {
  if (value === undefined || !value.startsWith('{JSON}')) return undefined;
  try {
    const parsed = JSON.parse(value.slice('{JSON}'.length)) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Row) : fail(`引用格式错误: ${value}`);
  } catch {
    return fail(`引用格式错误: ${value}`);
  }
}

const now = () => new Date().toISOString().replace('T', ' ').slice(0, 19);

export class EcologyDirectory {
  readonly subcompanies = new Map<number, EcologySubcompany>();
  readonly departments = new Map<number, EcologyDepartment>();
  readonly jobtitles = new Map<number, EcologyJobtitle>();
  readonly users = new Map<number, EcologyUser>();
  private nextId = 1;

  constructor() {
    this.subcompanies.set(1, { id: 1, subcompanycode: 'HQ', subcompanyname: '总部', supsubcomid: 0, canceled: '0' });
    this.nextId = 2;
  }

  private id(): number {
    while (this.subcompanies.has(this.nextId)) this.nextId += 1;
    return this.nextId++;
  }

  departmentByCode(code: string): EcologyDepartment | undefined {
    return [...this.departments.values()].find((d) => d.departmentcode === code);
  }

  userByWorkcode(workcode: string): EcologyUser | undefined {
    return [...this.users.values()].find((u) => u.workcode === workcode);
  }

  private subcompany(value: string | undefined): EcologySubcompany {
    const ref = jsonReference(value);
    const found = ref
      ? [...this.subcompanies.values()].find((s) => s.subcompanycode === ref.subcompanycode)
      : this.subcompanies.get(Number(value));
    return found && found.canceled !== '1' ? found : fail(`分部不存在: ${String(value)}`);
  }

  /** a department named by id or `{JSON}{"departmentcode":…}`; canceled ones cannot be used */
  private department(value: string | undefined, field: string): EcologyDepartment {
    const ref = jsonReference(value);
    const found = ref ? this.departmentByCode(String(ref.departmentcode ?? '')) : this.departments.get(Number(value));
    return found && found.canceled !== '1' ? found : fail(`${field}: 部门不存在: ${String(value)}`);
  }

  /** synDepartment: one record; add creates (a used code is refused), edit updates, delete cancels. */
  synDepartment(row: Row): void {
    const action = text(row, '@action');
    const code = text(row, 'departmentcode')?.trim();
    if (!code) fail('departmentcode 不能为空');
    const existing = this.departmentByCode(code!);
    if (action === 'delete') {
      if (!existing || existing.canceled === '1') fail(`部门不存在: ${code}`);
      if (this.activeMembers(existing!.id) > 0) fail('部门下存在人员，不能封存');
      if ([...this.departments.values()].some((d) => d.supdepid === existing!.id && d.canceled !== '1')) fail('部门下存在下级部门，不能封存');
      existing!.canceled = '1';
      existing!.modified = now();
      return;
    }
    if (action !== 'add' && action !== 'edit') fail(`@action 无效: ${String(action)}`);
    if (action === 'add' && existing) fail(`部门编号已存在: ${code}`);
    if (action === 'edit' && (!existing || existing.canceled === '1')) fail(`部门不存在: ${code}`);
    const name = text(row, 'departmentname') ?? existing?.departmentname;
    if (!name?.trim()) fail('departmentname 不能为空');
    const subcompany = row.subcompanyid1 !== undefined ? this.subcompany(text(row, 'subcompanyid1')) : existing ? this.subcompanies.get(existing.subcompanyid1)! : fail('subcompanyid1 不能为空');
    let supdepid = existing?.supdepid ?? 0;
    if (row.supdepid !== undefined) {
      const value = text(row, 'supdepid');
      supdepid = value === '' || value === '0' ? 0 : this.department(value, 'supdepid').id;
    }
    if (existing && supdepid !== 0) {
      for (let d = this.departments.get(supdepid); d; d = d.supdepid ? this.departments.get(d.supdepid) : undefined) {
        if (d.id === existing.id) fail('上级部门不能是自己或下级部门');
      }
    }
    const showorder = row.showorder !== undefined ? Number(text(row, 'showorder')) : (existing?.showorder ?? 0);
    if (!Number.isFinite(showorder)) fail('showorder 格式错误');
    const department: EcologyDepartment = {
      id: existing?.id ?? this.id(),
      departmentcode: code!,
      departmentname: name!,
      departmentmark: name!,
      supdepid,
      subcompanyid1: subcompany.id,
      showorder,
      canceled: '0',
      modified: now(),
    };
    this.departments.set(department.id, department);
  }

  private activeMembers(departmentId: number): number {
    return [...this.users.values()].filter((u) => u.departmentid === departmentId && Number(u.status) <= 3).length;
  }

  private jobtitle(name: string): number {
    const found = [...this.jobtitles.values()].find((j) => j.jobtitlename === name);
    if (found) return found.id;
    const id = this.id();
    this.jobtitles.set(id, { id, jobtitlemark: name, jobtitlename: name });
    return id;
  }

  /** synHrmresource: one record, an upsert keyed on workcode; managerid is a workcode. */
  synHrmresource(row: Row): void {
    const workcode = text(row, 'workcode')?.trim();
    if (!workcode) fail('workcode 不能为空');
    const existing = this.userByWorkcode(workcode!);
    const lastname = text(row, 'lastname') ?? existing?.lastname;
    if (!lastname?.trim()) fail('lastname 不能为空');
    const department = row.departmentid !== undefined ? this.department(text(row, 'departmentid'), 'departmentid') : existing ? this.departments.get(existing.departmentid) : fail('departmentid 不能为空');
    const loginid = text(row, 'loginid') ?? existing?.loginid ?? '';
    if (loginid && [...this.users.values()].some((u) => u.loginid.toLowerCase() === loginid.toLowerCase() && u.workcode !== workcode)) fail(`登录名已存在: ${loginid}`);
    let managerid = existing?.managerid ?? 0;
    if (row.managerid !== undefined) {
      const manager = text(row, 'managerid') ?? '';
      if (manager === '') managerid = 0;
      else {
        const found = this.userByWorkcode(manager);
        if (!found) fail(`上级不存在: ${manager}`);
        if (found!.workcode === workcode) fail('上级不能是自己');
        managerid = found!.id;
      }
    }
    const status = text(row, 'status') ?? existing?.status ?? '1';
    if (!/^[0-7]$/.test(status)) fail(`status 无效: ${status}`);
    const jobtitleName = text(row, 'jobtitle');
    const user: EcologyUser = {
      id: existing?.id ?? this.id(),
      workcode: workcode!,
      loginid,
      lastname: lastname!,
      departmentid: department!.id,
      departmentcode: department!.departmentcode,
      subcompanyid1: department!.subcompanyid1,
      managerid,
      email: text(row, 'email') ?? existing?.email ?? '',
      mobile: text(row, 'mobile') ?? existing?.mobile ?? '',
      jobtitle: jobtitleName === undefined ? (existing?.jobtitle ?? 0) : jobtitleName === '' ? 0 : this.jobtitle(jobtitleName),
      status,
      modified: now(),
    };
    this.users.set(user.id, user);
  }

  /** a user's department code follows the department (a re-coded department moves no one) */
  userView(user: EcologyUser): EcologyUser {
    return { ...user, departmentcode: this.departments.get(user.departmentid)?.departmentcode ?? '' };
  }
}
