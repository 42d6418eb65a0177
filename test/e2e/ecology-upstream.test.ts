/**
 * End to end on the real Temporal dev server and PGlite: 泛微 e-cology's HRM module is the identity
 * source. A paged full read (IP allow-list mode: no token) fills the hub — departments of the
 * configured subcompany only, managers from their ids, a resigned person (status 5) not onboarded —
 * a second run is a no-op, and changes made in e-cology (transfer, manager change, resignation,
 * rehire) reach the hub as updates of the same people. The tests share one story and run in order.
 */
import { startEcologyFake, type RunningEcologyFake } from '../../connectors/ecology/fake';
import { fakeControl } from '../../connectors/shared/test-helpers';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { startE2eSuite, type E2eStack, type E2eSuite } from './harness';

jest.setTimeout(60_000);

// Six employed people, so one resignation stays under the default mass-offboarding guard (20 %).
const ref = (code: string) => `{JSON}{"departmentcode":"${code}"}`;
const people = [
  { workcode: 'E1', lastname: 'Alice Wang', loginid: 'alice', departmentid: ref('ENG'), email: 'alice@acme.test', mobile: '13800000001', jobtitle: 'CTO' },
  { workcode: 'E2', lastname: 'Bob Li', loginid: 'bob', departmentid: ref('PLAT'), managerid: 'E1', jobtitle: 'Engineer', mobile: '13800000002' },
  { workcode: 'E3', lastname: 'Carol Zhang', loginid: 'carol', departmentid: ref('SALES'), managerid: 'E1', status: '0', mobile: '13800000003' },
  { workcode: 'E4', lastname: 'Dave Chen', loginid: 'dave', departmentid: ref('SALES'), managerid: 'E3', mobile: '13800000004' },
  { workcode: 'E6', lastname: 'Fay Sun', loginid: 'fay', departmentid: ref('PLAT'), managerid: 'E2', mobile: '13800000006' },
  { workcode: 'E7', lastname: 'Gus Liu', loginid: 'gus', departmentid: ref('PLAT'), managerid: 'E2', mobile: '13800000007' },
  { workcode: 'E5', lastname: 'Gone Already', loginid: 'gone', departmentid: ref('SALES'), status: '5', mobile: '13800000005' },
];

let suite: E2eSuite<RunningEcologyFake>;
let database: Database;
let ecology: RunningEcologyFake;
let stack: E2eStack;
let taskId: string;

const hub = () => createHubDirectory(database.db);
const hubUsers = async () => new Map((await hub().listUsersPage(null, 100)).map((u) => [u.username, u]));
const hubDepartmentNamed = async (name: string) => (await hub().listAllDepartments()).find((d) => d.name === name)!;
const edit = (users: Record<string, unknown>[]) => fakeControl(ecology, 'seed', { reset: false, users });

beforeAll(async () => {
  suite = await startE2eSuite('pglite', () => startEcologyFake({ allowedIps: ['127.0.0.1'] }));
  ({ database, fake: ecology, stack } = suite);
  await fakeControl(ecology, 'seed', {
    departments: [
      { departmentcode: 'ENG', departmentname: 'Engineering', showorder: 1 },
      { departmentcode: 'PLAT', departmentname: 'Platform', supdepid: ref('ENG') },
      { departmentcode: 'SALES', departmentname: 'Sales', showorder: 2 },
    ],
    users: people,
  });
  taskId = await stack.insertTask({
    name: 'e-cology to hub',
    direction: 'upstream',
    connector: { kind: 'ecology', settings: { baseUrl: ecology.baseUrl, auth: 'ip-allowlist', subcompanyId: 1, pageSize: 2 }, secrets: {} },
  });
}, 120_000);

afterAll(() => suite?.close());

test('a paged full read fills the hub: the department tree, managers, titles; the resigned person is not onboarded', async () => {
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  expect((await hub().listAllDepartments()).map((d) => d.name).sort()).toEqual(['Engineering', 'Platform', 'Sales']);
  expect((await hubDepartmentNamed('Platform')).parentId).toBe((await hubDepartmentNamed('Engineering')).id);
  const users = await hubUsers();
  expect([...users.keys()].sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'fay', 'gus']);
  expect(users.get('bob')).toMatchObject({ name: 'Bob Li', employeeNumber: 'E2', title: 'Engineer', mobile: '+8613800000002', managerId: users.get('alice')!.id, departmentIds: [(await hubDepartmentNamed('Platform')).id], status: 'active' });
  expect(users.get('dave')).toMatchObject({ managerId: users.get('carol')!.id });
});

test('a second run right after is a no-op', async () => {
  await stack.expectNoOpRun(taskId);
});

test('transfer, manager change and resignation in e-cology are updates of the same hub people; rehire brings one back', async () => {
  const before = await hubUsers();
  await edit([
    { workcode: 'E2', departmentid: ref('SALES') },
    { workcode: 'E4', managerid: 'E1' },
    { workcode: 'E3', status: '5' },
  ]);
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  expect((await stack.items(run.runId)).map((i) => i.action)).not.toContain('CreateUser');
  const after = await hubUsers();
  expect(after.get('bob')).toMatchObject({ id: before.get('bob')!.id, departmentIds: [(await hubDepartmentNamed('Sales')).id] });
  expect(after.get('dave')).toMatchObject({ managerId: before.get('alice')!.id });
  expect(after.get('carol')).toMatchObject({ status: 'disabled' });
  await stack.expectNoOpRun(taskId);
  await edit([{ workcode: 'E3', status: '1' }]);
  expect((await stack.run(taskId)).status).toBe('succeeded');
  expect((await hubUsers()).get('carol')).toMatchObject({ id: before.get('carol')!.id, status: 'active' });
  await stack.expectNoOpRun(taskId);
});
