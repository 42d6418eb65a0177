/**
 * End to end on the real Temporal dev server and Postgres: the hub provisions a Feishu fake
 * (contact v3) through the real workflows and activities. The tests share one story and run in order.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { RunningFeishuFake } from '../../connectors/feishu/fake';
import { fakeState } from '../../connectors/shared/test-helpers';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { E2eStack, quietTemporalLogs } from './harness';

jest.setTimeout(60_000);

/** What GET /__fake/state answers, in Feishu's own shape (ids are the tenant's custom ids). */
interface FeishuState {
  departments: { department_id: string; name: string; parent_department_id: string; leader_user_id: string }[];
  users: {
    user_id: string;
    name: string;
    mobile: string;
    department_ids: string[];
    leader_user_id: string;
    employee_no: string;
    job_title: string;
    status: { is_frozen: boolean; is_resigned: boolean };
  }[];
}

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let database: Database;
let feishu: RunningFeishuFake;
let stack: E2eStack;
let taskId: string;

const hub = () => createHubDirectory(database.db);
const state = () => fakeState<FeishuState>(feishu);
const userOf = (s: FeishuState, userId: string) => s.users.find((u) => u.user_id === userId);

function departmentIdOf(s: FeishuState, name: string): string {
  const found = s.departments.find((d) => d.name === name);
  if (!found) throw new Error(`no Feishu department named ${name}`);
  return found.department_id;
}

/** Hub ids by username, for updates; hub users get UUIDs. */
const hubIds = new Map<string, string>();

async function seedHub(): Promise<void> {
  const h = hub();
  // Distinct orders: Feishu assigns its own to an order of 0, which would differ on every run.
  const acme = await h.createDepartment({ name: 'Acme', order: 1000 }, 'test');
  const engineering = await h.createDepartment({ name: 'Engineering', parentId: acme.id, order: 1000 }, 'test');
  const sales = await h.createDepartment({ name: 'Sales', parentId: acme.id, order: 2000 }, 'test');
  const people: [username: string, name: string, number: string, title: string, department: string, manager: string | null][] = [
    ['alice', 'Alice Wang', 'E1', 'CTO', engineering.id, null],
    ['bob', 'Bob Li', 'E2', 'Engineer', engineering.id, 'alice'],
    ['carol', 'Carol Zhang', 'E3', 'Sales lead', sales.id, 'alice'],
    ['dave', 'Dave Chen', 'E4', 'Sales', sales.id, 'carol'],
    ['erin', 'Erin Zhou', 'E5', 'Sales', sales.id, 'carol'],
  ];
  for (const [i, [username, name, employeeNumber, title, department, manager]] of people.entries()) {
    const user = await h.createUser(
      {
        username,
        name,
        email: `${username}@acme.test`,
        mobile: `1380000000${i + 1}`,
        employeeNumber,
        title,
        departmentIds: [department],
        mainDepartmentId: department,
        managerId: manager ? hubIds.get(manager) : null,
      },
      'test',
    );
    hubIds.set(username, user.id);
  }
  await h.updateDepartment(engineering.id, { leaderIds: [hubIds.get('alice')!] }, 'test');
}

beforeAll(async () => {
  quietTemporalLogs();
  [env, bundle, database, feishu] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase('postgres'), E2eStack.startFeishu()]);
  stack = new E2eStack(env, bundle, database);
  await seedHub();
  taskId = await stack.insertTask(stack.feishuTask(feishu));
}, 120_000);

afterAll(async () => {
  await feishu?.close();
  await database?.close();
  await env?.teardown();
});

test('onboarding creates each person in the right Feishu department with leader_user_id, employee_no and job_title', async () => {
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0, skipped: 0 } });
  const s = await state();
  const acme = departmentIdOf(s, 'Acme');
  const engineering = departmentIdOf(s, 'Engineering');
  const sales = departmentIdOf(s, 'Sales');
  expect(s.departments.find((d) => d.name === 'Acme')?.parent_department_id).toBe('0');
  expect(s.departments.find((d) => d.name === 'Engineering')).toMatchObject({ parent_department_id: acme, leader_user_id: 'alice' });
  expect(s.departments.find((d) => d.name === 'Sales')?.parent_department_id).toBe(acme);

  expect(s.users).toHaveLength(5);
  expect(userOf(s, 'alice')).toMatchObject({ department_ids: [engineering], leader_user_id: '', employee_no: 'E1', job_title: 'CTO' });
  expect(userOf(s, 'bob')).toMatchObject({
    name: 'Bob Li',
    mobile: '+8613800000002',
    department_ids: [engineering],
    leader_user_id: 'alice',
    employee_no: 'E2',
    job_title: 'Engineer',
    status: { is_frozen: false, is_resigned: false },
  });
  expect(userOf(s, 'dave')).toMatchObject({ department_ids: [sales], leader_user_id: 'carol', employee_no: 'E4' });

  expect(await stack.runRow(run.runId)).toMatchObject({
    status: 'succeeded',
    counters: expect.objectContaining({ usersSucceeded: 5, usersTotal: 5, departmentsSucceeded: 3, departmentsTotal: 3 }),
  });
});

test('a second run right after is a no-op', async () => {
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', plan: { actions: 0 } });
  expect(await stack.items(run.runId)).toEqual([]);
});

test('setting A as B’s manager in the hub reaches Feishu and holds on the next run', async () => {
  await hub().updateUser(hubIds.get('erin')!, { managerId: hubIds.get('alice')! }, 'test');
  const run = await stack.run(taskId);
  expect(run.status).toBe('succeeded');
  expect((await stack.items(run.runId)).map((i) => [i.action, i.targetId, i.status])).toEqual([['SetManager', 'erin', 'succeeded']]);
  expect(userOf(await state(), 'erin')?.leader_user_id).toBe('alice');

  const again = await stack.run(taskId);
  expect(again.plan.actions).toBe(0);
  expect(userOf(await state(), 'erin')?.leader_user_id).toBe('alice');
});

test('offboarding a user in the hub freezes the Feishu account', async () => {
  await hub().offboard(hubIds.get('carol')!, 'test');
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', pendingDeletions: 0 });
  expect((await stack.items(run.runId)).map((i) => [i.action, i.targetId, i.status])).toEqual([['DisableUser', 'carol', 'succeeded']]);
  const s = await state();
  expect(userOf(s, 'carol')?.status).toMatchObject({ is_frozen: true, is_resigned: false });
  expect(userOf(s, 'dave')?.status).toMatchObject({ is_frozen: false, is_resigned: false });
  expect((await stack.run(taskId)).plan.actions).toBe(0);
});

test('deleting users in the hub stages DeleteUser; only the one an approver executes is resigned, the cancelled one stays', async () => {
  await hub().deleteUser(hubIds.get('dave')!, 'test');
  await hub().deleteUser(hubIds.get('erin')!, 'test');
  // The approval workflow is the run's child on the run's task queue: the decision needs a worker there.
  const taskQueue = stack.newTaskQueue();
  const run = await stack.run(taskId, {}, taskQueue);
  expect(run).toMatchObject({ status: 'succeeded', pendingDeletions: 2, plan: { stagedDeletes: 2 } });
  const staged = (await stack.items(run.runId)).filter((i) => i.action === 'DeleteUser');
  expect(Object.fromEntries(staged.map((i) => [i.targetId, i.status]))).toEqual({ dave: 'staged', erin: 'staged' });
  for (const item of staged) expect(item.reason).toMatch(/^deletion protection: .*removed from the source; offboarding policy is delete$/);
  let s = await state();
  expect(userOf(s, 'dave')?.status.is_resigned).toBe(false);
  expect(userOf(s, 'erin')?.status.is_resigned).toBe(false);

  const rows = await stack.pendingDeletionsOf(run.runId);
  expect(Object.fromEntries(rows.map((r) => [r.targetId, r.status]))).toEqual({ dave: 'PENDING', erin: 'PENDING' });
  const idOf = (target: string) => rows.find((r) => r.targetId === target)!.id;
  const result = await stack.decideDeletions(taskQueue, run.approvalWorkflowId!, { execute: [idOf('dave')], cancel: [idOf('erin')] });
  expect(result).toMatchObject({ succeeded: 1, canceled: 1, failed: 0 });

  s = await state();
  expect(userOf(s, 'dave')?.status.is_resigned).toBe(true);
  expect(userOf(s, 'erin')).toMatchObject({ leader_user_id: 'alice', status: { is_frozen: false, is_resigned: false } });
  expect(Object.fromEntries((await stack.pendingDeletionsOf(run.runId)).map((r) => [r.targetId, r.status]))).toEqual({ dave: 'SUCCEEDED', erin: 'CANCELED' });
});

test('a resigned user who comes back to the hub is resurrected in Feishu, not duplicated', async () => {
  const sales = (await hub().listAllDepartments()).find((d) => d.name === 'Sales')!;
  const dave = await hub().createUser(
    { username: 'dave', name: 'Dave Chen', email: 'dave@acme.test', mobile: '13800000004', employeeNumber: 'E4', title: 'Senior sales', departmentIds: [sales.id], mainDepartmentId: sales.id },
    'test',
  );
  hubIds.set('dave', dave.id);
  const run = await stack.run(taskId);
  expect(run.status).toBe('succeeded');
  const items = await stack.items(run.runId);
  expect(items.find((i) => i.displayName === 'Dave Chen')).toMatchObject({ action: 'CreateUser', status: 'succeeded', targetId: 'dave' });

  const s = await state();
  const daves = s.users.filter((u) => u.mobile === '+8613800000004');
  expect(daves).toHaveLength(1);
  expect(daves[0]).toMatchObject({
    user_id: 'dave',
    department_ids: [departmentIdOf(s, 'Sales')],
    job_title: 'Senior sales',
    status: { is_frozen: false, is_resigned: false },
  });
});
