// A create that was sent but whose outcome was never recorded (the worker died in between) may
// already exist at the vendor. Before sending it again, look for it with one cheap call: by the id
// the create gets when the app takes it from the request (the definition's createdUserId: WeCom,
// Feishu and DingTalk userids; a wished-for id), or a department by name under its parent
// (Connector.findChildDepartment). Only a connector with neither pays a read of the target.
// Found = adopted, so a crash never makes a duplicate.
import type { Department, User } from '../engine/model';
import type { Connector, ConnectorOperation } from '../connectors/types';
import { predictedUserId } from '../connectors/registry';
import { heartbeat } from './heartbeat';

type CreateOperation = Extract<ConnectorOperation, { action: 'CreateUser' | 'CreateDepartment' }>;

const same = (a: string | null | undefined, b: string | null | undefined) => !!a && !!b && a.trim().toLowerCase() === b.trim().toLowerCase();

function isSameUser(found: User, wished: User): boolean {
  return same(found.username, wished.username) || same(found.employeeNumber, wished.employeeNumber) || same(found.email, wished.email);
}

function isSameDepartment(found: Department, wished: Department, rootId: string | null): boolean {
  const parentOf = (id: string | null) => (id === null || id === rootId ? null : id);
  return found.name === wished.name && parentOf(found.parentId) === parentOf(wished.parentId);
}

/** Reads departments page by page; connectors yield departments before users, so the first users-only page ends the scan. */
async function readDepartments(target: Connector): Promise<Department[]> {
  const departments: Department[] = [];
  for await (const page of target.readSnapshot()) {
    heartbeat({ recovering: 'departments' });
    if (page.departments.length > 0) departments.push(...page.departments);
    else if (departments.length > 0) break;
  }
  return departments;
}

async function findUser(target: Connector, wished: User): Promise<string | undefined> {
  for await (const page of target.readSnapshot()) {
    heartbeat({ recovering: wished.username });
    const found = page.users.find((u) => isSameUser(u, wished));
    if (found) return found.id;
  }
  return undefined;
}

/**
 * Looks up creates of earlier attempts for one apply attempt. The target's departments are read
 * once and shared: after a crash several department creates may be in doubt, and each full read
 * of a large directory costs many calls.
 */
export class EarlierCreates {
  private departments?: Promise<Department[]>;

  constructor(
    private readonly target: Connector,
    private readonly targetKind: string,
    private readonly rootId: string | null,
  ) {}

  /** The target id of an earlier attempt's create, or undefined when it never reached the vendor. */
  async find(op: CreateOperation): Promise<string | undefined> {
    if (op.action === 'CreateUser') {
      const predicted = op.user.id || predictedUserId(this.targetKind, op.user);
      if (predicted) {
        const read = await this.target.readByIds({ departmentIds: [], userIds: [predicted] });
        const found = read.users.find((u) => isSameUser(u, op.user));
        return found?.id;
      }
      if (this.target.findCreatedUser) return this.target.findCreatedUser(op.user);
      return findUser(this.target, op.user);
    }
    if (op.department.id) {
      const read = await this.target.readByIds({ departmentIds: [op.department.id], userIds: [] });
      if (read.departments.length > 0) return read.departments[0].id;
    }
    if (this.target.findChildDepartment) {
      const parentId = op.department.parentId === this.rootId ? null : op.department.parentId;
      heartbeat({ recovering: op.department.name });
      return (await this.target.findChildDepartment(parentId, op.department.name))?.id;
    }
    this.departments ??= readDepartments(this.target);
    // A failed read is not kept: the next look-up (or attempt) reads again.
    const departments = await this.departments.catch((error: unknown) => {
      this.departments = undefined;
      throw error;
    });
    return departments.find((d) => isSameDepartment(d, op.department, this.rootId))?.id;
  }
}

/** The target id of an earlier attempt's create, or undefined when it never reached the vendor. */
export async function findEarlierCreate(target: Connector, targetKind: string, op: CreateOperation, rootId: string | null): Promise<string | undefined> {
  return new EarlierCreates(target, targetKind, rootId).find(op);
}
