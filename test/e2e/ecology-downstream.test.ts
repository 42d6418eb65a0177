/**
 * End to end on the real Temporal dev server and PGlite: the hub provisions a 泛微 e-cology E9 fake
 * (HRM REST, token auth) through the real workflows and activities — hire with managers as
 * workcodes, transfer, manager change, leave (status 5), rehire (status 1), and a department delete
 * staged until an approver executes it (then canceled, 封存). Each step ends with a no-op run.
 * The tests share one story and run in order.
 */
import { startEcologyFake, type RunningEcologyFake } from '../../connectors/ecology/fake';
import type { EcologyDepartment, EcologyUser } from '../../connectors/ecology/mapping';
import { fakeState } from '../../connectors/shared/test-helpers';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { hubCompany, seedHubCompany, startE2eSuite, type E2eStack, type E2eSuite } from './harness';
import { scanForSecrets } from './secret-scan';

jest.setTimeout(60_000);

const tokenKey = 'e2e-ecology-token-key-0001';

let suite: E2eSuite<RunningEcologyFake>;
let database: Database;
let ecology: RunningEcologyFake;
let stack: E2eStack;
let taskId: string;
let hubIds: Map<string, string>;

const hub = () => createHubDirectory(database.db);
const state = () => fakeState<{ departments: EcologyDepartment[]; users: EcologyUser[] }>(ecology);
const person = async (workcode: string) => (await state()).users.find((u) => u.workcode === workcode)!;
const departmentNamed = async (name: string) => (await state()).departments.find((d) => d.departmentname === name)!;
const workcodeOfId = async (id: number) => (await state()).users.find((u) => u.id === id)?.workcode;

beforeAll(async () => {
  suite = await startE2eSuite('pglite', () => startEcologyFake({ tokenKey }));
  ({ database, fake: ecology, stack } = suite);
  hubIds = await seedHubCompany(hub());
  const connector = { kind: 'ecology' as const, settings: { baseUrl: ecology.baseUrl, auth: 'token', subcompanyId: 1, pageSize: 3 }, secrets: { tokenKey } };
  taskId = await stack.insertTask(stack.downstreamTask('e-cology', connector, { offboarding: 'disable', matchRules: ['employeeNumber'] }));
}, 120_000);

afterAll(() => suite?.close());

test('hire: the department tree goes under the subcompany and each person is upserted by workcode, managers as workcodes', async () => {
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0, skipped: 0 } });
  await stack.expectAllCreated(run.runId, { users: 5, departments: 3 });
  const acme = await departmentNamed('Acme');
  const engineering = await departmentNamed('Engineering');
  const sales = await departmentNamed('Sales');
  expect(acme).toMatchObject({ supdepid: 0, subcompanyid1: 1, canceled: '0' });
  expect([engineering.supdepid, sales.supdepid]).toEqual([acme.id, acme.id]);
  const users = (await state()).users;
  expect(users.map((u) => u.workcode).sort()).toEqual(hubCompany.map((p) => p.employeeNumber));
  const bob = await person('E2');
  expect(bob).toMatchObject({ loginid: 'bob', lastname: 'Bob Li', email: 'bob@acme.test', mobile: '13800000002', departmentcode: engineering.departmentcode, status: '1' });
  expect(await workcodeOfId(bob.managerid)).toBe('E1');
  expect(await workcodeOfId((await person('E4')).managerid)).toBe('E3');
});

test('a second run right after is a no-op', async () => {
  await stack.expectNoOpRun(taskId);
});

test('transfer and manager change: one synHrmresource edit each, same record', async () => {
  const before = await person('E2');
  await hub().updateUser(hubIds.get('bob')!, { departmentIds: [hubIds.get('Sales')!], mainDepartmentId: hubIds.get('Sales')!, title: 'Sales engineer' }, 'test');
  await hub().updateUser(hubIds.get('dave')!, { managerId: hubIds.get('alice')! }, 'test');
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  expect((await stack.items(run.runId)).map((i) => i.action)).not.toContain('CreateUser');
  const bob = await person('E2');
  expect(bob).toMatchObject({ id: before.id, departmentcode: (await departmentNamed('Sales')).departmentcode });
  expect(await workcodeOfId((await person('E4')).managerid)).toBe('E1');
  await stack.expectNoOpRun(taskId);
});

test('leave sets status 5 (离职); rehire sets status 1 (正式) on the same record', async () => {
  await hub().offboard(hubIds.get('erin')!, 'test');
  const leave = await stack.run(taskId);
  expect(leave).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  expect((await stack.items(leave.runId)).map((i) => [i.action, i.status])).toEqual([['DisableUser', 'succeeded']]);
  expect(await person('E5')).toMatchObject({ status: '5' });
  await stack.expectNoOpRun(taskId);
  await hub().updateUser(hubIds.get('erin')!, { status: 'active' }, 'test');
  const rehire = await stack.run(taskId);
  expect(rehire).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  expect(await person('E5')).toMatchObject({ status: '1' });
  expect((await state()).users).toHaveLength(5);
  await stack.expectNoOpRun(taskId);
});

test('a new hire whose manager is hired in the same run gets the manager as a workcode', async () => {
  const gus = await hub().createUser({ username: 'gus', name: 'Gus Liu', email: 'gus@acme.test', employeeNumber: 'E7', title: 'Engineer', departmentIds: [hubIds.get('Engineering')!], mainDepartmentId: hubIds.get('Engineering')!, managerId: hubIds.get('bob')! }, 'test');
  await hub().createUser({ username: 'hal', name: 'Hal Ma', email: 'hal@acme.test', employeeNumber: 'E8', title: 'Intern', departmentIds: [hubIds.get('Engineering')!], mainDepartmentId: hubIds.get('Engineering')!, managerId: gus.id }, 'test');
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  expect(await workcodeOfId((await person('E8')).managerid)).toBe('E7');
  await stack.expectNoOpRun(taskId);
});

test('a department deleted in the hub is staged; e-cology cancels (封存) it only once an approver executes it', async () => {
  const temp = await hub().createDepartment({ name: 'Temp', parentId: hubIds.get('Acme')! }, 'test');
  expect((await stack.run(taskId)).status).toBe('succeeded');
  expect(await departmentNamed('Temp')).toMatchObject({ canceled: '0' });
  await hub().deleteDepartment(temp.id, 'test');
  const taskQueue = stack.newTaskQueue();
  const run = await stack.run(taskId, {}, taskQueue);
  expect(run).toMatchObject({ status: 'succeeded', pendingDeletions: 1 });
  const [pending] = await stack.pendingDeletionsOf(run.runId);
  expect(pending).toMatchObject({ action: 'DeleteDepartment', status: 'PENDING' });
  expect(await departmentNamed('Temp')).toMatchObject({ canceled: '0' });
  const result = await stack.decideDeletions(taskQueue, run.approvalWorkflowId!, { execute: [pending.id] });
  expect(result).toMatchObject({ succeeded: 1, failed: 0 });
  expect(await departmentNamed('Temp')).toMatchObject({ canceled: '1' });
  await stack.expectNoOpRun(taskId);
});

test("a record e-cology refuses fails that item with e-cology's own code and message; the rest of the run goes on", async () => {
  const hal = (await hub().listUsersPage(null, 100)).find((u) => u.username === 'hal')!;
  await hub().updateUser(hal.id, { name: 'Hal Ma-Li' }, 'test');
  // Someone added in e-cology by hand holds the login name carol is renamed to: e-cology refuses her record.
  const sales = await departmentNamed('Sales');
  await fetch(`${ecology.url}/__fake/seed`, {
    method: 'POST',
    body: JSON.stringify({ reset: false, users: [{ workcode: 'X1', lastname: 'Outsider', loginid: 'carol2', departmentid: `{JSON}{"departmentcode":"${sales.departmentcode}"}` }] }),
  });
  await hub().updateUser(hubIds.get('carol')!, { username: 'carol2' }, 'test');
  const run = await stack.run(taskId);
  expect(run.status).toBe('partially_failed');
  const items = await stack.items(run.runId);
  const failed = items.filter((i) => i.status === 'failed');
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ action: 'UpdateUser', displayName: 'Carol Zhang' });
  expect(JSON.stringify(failed[0])).toContain('登录名已存在: carol2');
  expect(await person('E8')).toMatchObject({ lastname: 'Hal Ma-Li' });
  expect(await person('E3')).toMatchObject({ loginid: 'carol' });
});

test('the token key appears in no history, log, answer or row', async () => {
  const { leaks } = await scanForSecrets({ env: suite.env, database, secretBox: stack.secretBox, secrets: [tokenKey] });
  expect(leaks).toEqual([]);
});
