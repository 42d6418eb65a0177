/**
 * End to end on the real Temporal dev server and PGlite: an HR system with a REST export (the
 * http-hr fake: POST with cursor paging, OAuth2 client credentials) is the identity source, mapped
 * by the task's JSONata in the sandbox. A full read fills the hub, a second run is a no-op, a
 * transfer, manager change, leave and rehire in HR reach the hub as updates of the same people, and
 * a record the mapping cannot read fails the run without touching the hub. Tests run in order.
 */
import { httpHrExampleMapping } from '../../connectors/http-hr/definition';
import { httpHrFakeDefaults, startHttpHrFake, type RunningHttpHrFake } from '../../connectors/http-hr/fake';
import { fakeControl } from '../../connectors/shared/test-helpers';
import { desc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { syncRuns } from '../../db/schema';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { startE2eSuite, type E2eStack, type E2eSuite } from './harness';
import { scanForSecrets } from './secret-scan';

jest.setTimeout(60_000);

const departments = [
  { code: 'ACME', name: 'Acme', parent_code: null, sort: 0 },
  { code: 'ENG', name: 'Engineering', parent_code: 'ACME', sort: 1 },
  { code: 'SALES', name: 'Sales', parent_code: 'ACME', sort: 2 },
];
// Seven people, so one leaver stays under the default mass-offboarding guard (20 %).
const employees = ['alice', 'bob', 'carol', 'dave', 'erin', 'fay', 'gus'].map((login, i) => ({
  emp_no: `E${i + 1}`,
  login,
  full_name: login[0].toUpperCase() + login.slice(1),
  work_email: `${login}@acme.test`,
  phone: `1380000000${i + 1}`,
  position: i === 0 ? 'CEO' : 'Staff',
  dept_code: i < 3 ? 'ENG' : 'SALES',
  manager_emp_no: i === 0 ? null : 'E1',
  state: 'ACTIVE',
}));

let suite: E2eSuite<RunningHttpHrFake>;
let database: Database;
let hr: RunningHttpHrFake;
let stack: E2eStack;
let taskId: string;
let current = employees.map((e) => ({ ...e }));

const hub = () => createHubDirectory(database.db);
const hubUsers = async () => new Map((await hub().listUsersPage(null, 100)).map((u) => [u.username, u]));
const hubDepartment = async (name: string) => (await hub().listAllDepartments()).find((d) => d.name === name)!;
const change = async (login: string, fields: Record<string, unknown>) => {
  current = current.map((e) => (e.login === login ? { ...e, ...fields } : e));
  await fakeControl(hr, 'seed', { employees: current, departments });
};

beforeAll(async () => {
  suite = await startE2eSuite('pglite', () => startHttpHrFake());
  ({ database, fake: hr, stack } = suite);
  await fakeControl(hr, 'seed', { employees: current, departments });
  taskId = await stack.insertTask({
    name: 'HR export to hub',
    direction: 'upstream',
    connector: {
      kind: 'http-hr',
      settings: {
        usersUrl: `${hr.baseUrl}/employees`,
        usersPath: 'data.items',
        departmentsUrl: `${hr.baseUrl}/departments`,
        departmentsPath: 'data.items',
        method: 'POST',
        requestBody: { fields: 'all' },
        paging: { style: 'cursor', cursorParam: 'cursor', nextCursorPath: 'data.next_cursor', sizeParam: 'limit', pageSize: 3 },
        auth: 'oauth2-client-credentials',
        tokenUrl: `${hr.baseUrl}/oauth/token`,
        ...httpHrExampleMapping,
      },
      secrets: { clientId: httpHrFakeDefaults.clientId, clientSecret: httpHrFakeDefaults.clientSecret },
    },
  });
}, 120_000);

afterAll(() => suite?.close());

test('a paged full read fills the hub with departments, people and managers', async () => {
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  expect((await hub().listAllDepartments()).map((d) => d.name).sort()).toEqual(['Acme', 'Engineering', 'Sales']);
  expect((await hubDepartment('Sales')).parentId).toBe((await hubDepartment('Acme')).id);
  const users = await hubUsers();
  expect(users.size).toBe(7);
  expect(users.get('dave')).toMatchObject({ name: 'Dave', employeeNumber: 'E4', mobile: '+8613800000004', departmentIds: [(await hubDepartment('Sales')).id], managerId: users.get('alice')!.id });
});

test('a second run right after is a no-op', async () => {
  await stack.expectNoOpRun(taskId);
});

test('transfer, manager change, leave and rehire in HR are updates of the same hub people', async () => {
  const before = await hubUsers();
  await change('bob', { dept_code: 'SALES' });
  await change('dave', { manager_emp_no: 'E3' });
  await change('gus', { state: 'TERMINATED' });
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  expect((await stack.items(run.runId)).map((i) => i.action)).not.toContain('CreateUser');
  const after = await hubUsers();
  expect(after.get('bob')).toMatchObject({ id: before.get('bob')!.id, departmentIds: [(await hubDepartment('Sales')).id] });
  expect(after.get('dave')).toMatchObject({ managerId: before.get('carol')!.id });
  expect(after.get('gus')).toMatchObject({ status: 'disabled' });
  await stack.expectNoOpRun(taskId);
  await change('gus', { state: 'ACTIVE' });
  expect((await stack.run(taskId)).status).toBe('succeeded');
  expect((await hubUsers()).get('gus')).toMatchObject({ id: before.get('gus')!.id, status: 'active' });
  await stack.expectNoOpRun(taskId);
});

test('a record the mapping cannot read fails the run, naming the setting and the record; the hub is untouched', async () => {
  const before = await hubUsers();
  await change('erin', { login: null });
  // The snapshot step fails for good (a permanent refusal): the run workflow fails, its row says why.
  await expect(stack.run(taskId)).rejects.toThrow('Workflow execution failed');
  const [latest] = await database.db.select().from(syncRuns).where(eq(syncRuns.taskId, taskId)).orderBy(desc(syncRuns.startedAt)).limit(1);
  expect(latest).toMatchObject({ status: 'failed', error: expect.stringContaining('connector.settings.userMapping: record 5: username:') });
  expect(await hubUsers()).toEqual(before);
});

test('the client secret appears in no history, log, answer or row', async () => {
  const { leaks } = await scanForSecrets({ env: suite.env, database, secretBox: stack.secretBox, secrets: [httpHrFakeDefaults.clientSecret] });
  expect(leaks).toEqual([]);
});
