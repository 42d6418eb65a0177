// A create that was sent but whose outcome was never recorded (the worker died in between) may
// already exist at the vendor. Before sending it again, look for it: by the id the create gets
// when the app takes it from the request (WeCom userid = username, a wished-for id), else by the
// entity's own keys in a read of the target. Found = adopted, so a crash never makes a duplicate.
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
async function findDepartment(target: Connector, wished: Department, rootId: string | null): Promise<string | undefined> {
  let seenDepartments = false;
  for await (const page of target.readSnapshot()) {
    heartbeat({ recovering: wished.name });
    const found = page.departments.find((d) => isSameDepartment(d, wished, rootId));
    if (found) return found.id;
    if (page.departments.length > 0) seenDepartments = true;
    else if (seenDepartments) return undefined;
  }
  return undefined;
}

async function findUser(target: Connector, wished: User): Promise<string | undefined> {
  for await (const page of target.readSnapshot()) {
    heartbeat({ recovering: wished.username });
    const found = page.users.find((u) => isSameUser(u, wished));
    if (found) return found.id;
  }
  return undefined;
}

/** The target id of an earlier attempt's create, or undefined when it never reached the vendor. */
export async function findEarlierCreate(target: Connector, targetKind: string, op: CreateOperation, rootId: string | null): Promise<string | undefined> {
  if (op.action === 'CreateUser') {
    const predicted = op.user.id || predictedUserId(targetKind, op.user);
    if (predicted) {
      const read = await target.readByIds({ departmentIds: [], userIds: [predicted] });
      const found = read.users.find((u) => isSameUser(u, op.user));
      return found?.id;
    }
    return findUser(target, op.user);
  }
  if (op.department.id) {
    const read = await target.readByIds({ departmentIds: [op.department.id], userIds: [] });
    if (read.departments.length > 0) return read.departments[0].id;
  }
  return findDepartment(target, op.department, rootId);
}
