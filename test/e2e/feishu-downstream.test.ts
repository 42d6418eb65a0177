/**
 * End to end on the real Temporal dev server and Postgres: the hub provisions a Feishu fake
 * (contact v3) through the real workflows and activities. The tests share one story and run in order.
 */
import type { RunningFeishuFake } from '../../connectors/feishu/fake';
import { fakeState } from '../../connectors/shared/test-helpers';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { E2eStack, feishuCredentials, hubMobile, seedHubCompany, startE2eSuite, type E2eSuite } from './harness';
import { scanForSecrets } from './secret-scan';

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

let suite: E2eSuite<RunningFeishuFake>;
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

/** Hub ids by username and department name; the hub gives them UUIDs. */
let hubIds: Map<string, string>;

/** Stored with the task like a real-time one's, so the secret scan can look for them too. */
const eventSecrets = { eventEncryptKey: 'e2e-feishu-encrypt-key-0001', eventVerificationToken: 'e2e-feishu-verification-token' };

beforeAll(async () => {
  suite = await startE2eSuite('postgres', E2eStack.startFeishu);
  ({ database, fake: feishu, stack } = suite);
  hubIds = await seedHubCompany(hub());
  const task = stack.feishuTask(feishu);
  taskId = await stack.insertTask({ ...task, connector: { ...task.connector, secrets: { ...task.connector.secrets, ...eventSecrets } } });
}, 120_000);

afterAll(() => suite?.close());

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
    mobile: `+86${hubMobile(2)}`,
    department_ids: [engineering],
    leader_user_id: 'alice',
    employee_no: 'E2',
    job_title: 'Engineer',
    status: { is_frozen: false, is_resigned: false },
  });
  expect(userOf(s, 'dave')).toMatchObject({ department_ids: [sales], leader_user_id: 'carol', employee_no: 'E4' });

  await stack.expectAllCreated(run.runId, { users: 5, departments: 3 });
});

test('a second run right after is a no-op', async () => {
  await stack.expectNoOpRun(taskId);
});

test('setting A as B’s manager in the hub reaches Feishu and holds on the next run', async () => {
  await hub().updateUser(hubIds.get('erin')!, { managerId: hubIds.get('alice')! }, 'test');
  const run = await stack.run(taskId);
  expect(run.status).toBe('succeeded');
  expect((await stack.items(run.runId)).map((i) => [i.action, i.targetId, i.status])).toEqual([['SetManager', 'erin', 'succeeded']]);
  expect(userOf(await state(), 'erin')?.leader_user_id).toBe('alice');

  await stack.expectNoOpRun(taskId);
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
  await stack.expectNoOpRun(taskId);
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
  // Two of the four active accounts: the guard holds them too, and says so.
  for (const item of staged) expect(item.reason).toMatch(/^deletion protection: every delete waits for approval; mass offboarding guard: .* 2 of the 4 active accounts .*; deleted in the hub$/);
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
  const sales = hubIds.get('Sales')!;
  const dave = await hub().createUser(
    { username: 'dave', name: 'Dave Chen', email: 'dave@acme.test', mobile: hubMobile(4), employeeNumber: 'E4', title: 'Senior sales', departmentIds: [sales], mainDepartmentId: sales },
    'test',
  );
  hubIds.set('dave', dave.id);
  const run = await stack.run(taskId);
  expect(run.status).toBe('succeeded');
  const items = await stack.items(run.runId);
  expect(items.find((i) => i.displayName === 'Dave Chen')).toMatchObject({ action: 'CreateUser', status: 'succeeded', targetId: 'dave' });

  const s = await state();
  const daves = s.users.filter((u) => u.mobile === `+86${hubMobile(4)}`);
  expect(daves).toHaveLength(1);
  expect(daves[0]).toMatchObject({
    user_id: 'dave',
    department_ids: [departmentIdOf(s, 'Sales')],
    job_title: 'Senior sales',
    status: { is_frozen: false, is_resigned: false },
  });
});

test('no connector secret reached a workflow history, a log line, an API answer, a stored row or a run export', async () => {
  const { leaks, searched } = await scanForSecrets({
    env: suite.env,
    database,
    secretBox: stack.secretBox,
    secrets: [feishuCredentials.appSecret, eventSecrets.eventEncryptKey, eventSecrets.eventVerificationToken],
  });
  expect(leaks).toEqual([]);
  expect(Math.min(searched.histories, searched.logLines, searched.apiAnswers, searched.rows, searched.exports)).toBeGreaterThan(0);
});
