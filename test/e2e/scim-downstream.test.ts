/**
 * End to end on the real Temporal dev server and Postgres: the hub provisions a third-party SCIM 2.0
 * server (`scim2-server` from PyPI, in memory) through the real workflows and activities with the
 * SCIM connector's generic profile. The tests share one story and run in order.
 */
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { startScimServer, type RunningScimServer } from '../support/scim-server';
import { E2eStack, seedHubCompany, startE2eSuite, type E2eSuite } from './harness';
import { scanForSecrets } from './secret-scan';

jest.setTimeout(60_000);

const enterprise = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

interface ScimUserState {
  id: string;
  userName: string;
  externalId?: string;
  displayName?: string;
  title?: string;
  active?: boolean;
  emails?: { value: string; primary?: boolean }[];
  [enterprise]?: { employeeNumber?: string; department?: string; manager?: { value?: string } };
}
interface ScimGroupState {
  id: string;
  displayName: string;
  members?: { value: string }[];
}

let suite: E2eSuite<RunningScimServer>;
let database: Database;
let scim: RunningScimServer;
let stack: E2eStack;
let taskId: string;
let hubIds: Map<string, string>;

const hub = () => createHubDirectory(database.db);

async function list<T>(resource: 'Users' | 'Groups'): Promise<T[]> {
  const res = await fetch(`${scim.baseUrl}/${resource}?count=1000`, { headers: { authorization: `Bearer ${scim.token}` } });
  return ((await res.json()) as { Resources?: T[] }).Resources ?? [];
}
const state = async () => ({ users: await list<ScimUserState>('Users'), groups: await list<ScimGroupState>('Groups') });
const userOf = (s: { users: ScimUserState[] }, userName: string) => s.users.find((u) => u.userName === userName);
const groupOf = (s: { groups: ScimGroupState[] }, name: string) => {
  const found = s.groups.find((g) => g.displayName === name);
  if (!found) throw new Error(`no SCIM group named ${name}`);
  return found;
};
const membersOf = (s: { groups: ScimGroupState[]; users: ScimUserState[] }, name: string) =>
  (groupOf(s, name).members ?? []).map((m) => s.users.find((u) => u.id === m.value)?.userName).sort();

beforeAll(async () => {
  suite = await startE2eSuite('postgres', startScimServer);
  ({ database, fake: scim, stack } = suite);
  hubIds = await seedHubCompany(hub());
  taskId = await stack.insertTask(stack.downstreamTask('SCIM', { kind: 'scim', settings: { profile: 'generic', baseUrl: scim.baseUrl }, secrets: { token: scim.token } }));
}, 120_000);

afterAll(() => suite?.close());

test('onboarding creates every department as a Group and every person as a User with the enterprise extension, manager and membership', async () => {
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0, skipped: 0 } });
  const s = await state();
  expect(s.groups.map((g) => g.displayName).sort()).toEqual(['Acme', 'Engineering', 'Sales']);
  expect(s.users).toHaveLength(5);
  const alice = userOf(s, 'alice')!;
  expect(userOf(s, 'bob')).toMatchObject({
    externalId: 'bob',
    displayName: 'Bob Li',
    title: 'Engineer',
    active: true,
    emails: [{ value: 'bob@acme.test', primary: true }],
    [enterprise]: { employeeNumber: 'E2', department: 'Engineering', manager: { value: alice.id } },
  });
  expect(userOf(s, 'dave')?.[enterprise]?.manager?.value).toBe(userOf(s, 'carol')!.id);
  expect(membersOf(s, 'Engineering')).toEqual(['alice', 'bob']);
  expect(membersOf(s, 'Sales')).toEqual(['carol', 'dave', 'erin']);
  await stack.expectAllCreated(run.runId, { users: 5, departments: 3 });
});

test('a second run right after is a no-op', async () => {
  await stack.expectNoOpRun(taskId);
});

test('a new manager reaches manager.value, and holds on the next run', async () => {
  await hub().updateUser(hubIds.get('erin')!, { managerId: hubIds.get('alice')! }, 'test');
  const run = await stack.run(taskId);
  expect(run.status).toBe('succeeded');
  const s = await state();
  expect((await stack.items(run.runId)).map((i) => [i.action, i.status])).toEqual([['SetManager', 'succeeded']]);
  expect(userOf(s, 'erin')?.[enterprise]?.manager?.value).toBe(userOf(s, 'alice')!.id);
  await stack.expectNoOpRun(taskId);
});

test('a move to another department changes the group membership and the enterprise department', async () => {
  const sales = hubIds.get('Sales')!;
  await hub().updateUser(hubIds.get('bob')!, { departmentIds: [sales], mainDepartmentId: sales }, 'test');
  const run = await stack.run(taskId);
  expect(run.status).toBe('succeeded');
  expect((await stack.items(run.runId)).map((i) => [i.action, i.status])).toEqual([['ChangeUserDepartment', 'succeeded']]);
  const s = await state();
  expect(membersOf(s, 'Engineering')).toEqual(['alice']);
  expect(membersOf(s, 'Sales')).toEqual(['bob', 'carol', 'dave', 'erin']);
  expect(userOf(s, 'bob')?.[enterprise]?.department).toBe('Sales');
  await stack.expectNoOpRun(taskId);
});

test('offboarding a user in the hub sets active:false and keeps the account', async () => {
  await hub().offboard(hubIds.get('carol')!, 'test');
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', pendingDeletions: 0 });
  expect((await stack.items(run.runId)).map((i) => [i.action, i.status])).toEqual([['DisableUser', 'succeeded']]);
  const s = await state();
  expect(userOf(s, 'carol')?.active).toBe(false);
  expect(userOf(s, 'dave')?.active).toBe(true);
  await stack.expectNoOpRun(taskId);
});

test('a user deleted in the hub is a staged DeleteUser, executed only on approval', async () => {
  await hub().deleteUser(hubIds.get('dave')!, 'test');
  const taskQueue = stack.newTaskQueue();
  const run = await stack.run(taskId, {}, taskQueue);
  expect(run).toMatchObject({ status: 'succeeded', pendingDeletions: 1, plan: { stagedDeletes: 1 } });
  expect(userOf(await state(), 'dave')).toBeDefined();
  const [row] = await stack.pendingDeletionsOf(run.runId);
  expect(row).toMatchObject({ targetId: userOf(await state(), 'dave')!.id, status: 'PENDING' });
  const result = await stack.decideDeletions(taskQueue, run.approvalWorkflowId!, { execute: [row.id] });
  expect(result).toMatchObject({ succeeded: 1, failed: 0 });
  const s = await state();
  expect(userOf(s, 'dave')).toBeUndefined();
  expect(membersOf(s, 'Sales')).toEqual(['bob', 'carol', 'erin']);
  await stack.expectNoOpRun(taskId);
});

test('no SCIM token reached a workflow history, a log line, an API answer, a stored row or a run export', async () => {
  const { leaks, searched } = await scanForSecrets({ env: suite.env, database, secretBox: stack.secretBox, secrets: [scim.token] });
  expect(leaks).toEqual([]);
  expect(Math.min(searched.histories, searched.logLines, searched.apiAnswers, searched.rows, searched.exports)).toBeGreaterThan(0);
});
