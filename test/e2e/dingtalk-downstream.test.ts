/**
 * End to end on the real Temporal dev server and PGlite: the hub provisions a DingTalk fake through
 * the real workflows and activities. DingTalk cannot freeze an account, so offboarding is a staged
 * delete that waits for an approver. The tests share one story and run in order.
 */
import type { RunningDingtalkFake } from '../../connectors/dingtalk/fake';
import { fakeState } from '../../connectors/shared/test-helpers';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { E2eStack, hubMobile, seedHubCompany, startE2eSuite, type E2eSuite } from './harness';

jest.setTimeout(60_000);

/** What GET /__fake/state answers, in DingTalk's own shape. */
interface DingtalkState {
  department: { dept_id: number; name: string; parent_id: number; dept_manager_userid_list: string[] }[];
  userlist: { userid: string; name: string; mobile: string; dept_id_list: number[]; manager_userid: string; job_number: string; title: string; active: boolean }[];
}

let suite: E2eSuite<RunningDingtalkFake>;
let database: Database;
let dingtalk: RunningDingtalkFake;
let stack: E2eStack;
let taskId: string;

const hub = () => createHubDirectory(database.db);
const state = () => fakeState<DingtalkState>(dingtalk);
const userOf = (s: DingtalkState, userid: string) => s.userlist.find((u) => u.userid === userid);

function departmentOf(s: DingtalkState, name: string) {
  const found = s.department.find((d) => d.name === name);
  if (!found) throw new Error(`no DingTalk department named ${name}`);
  return found;
}

/** Hub ids by username and department name; the hub gives them UUIDs. */
let hubIds: Map<string, string>;

beforeAll(async () => {
  suite = await startE2eSuite('pglite', E2eStack.startDingtalk);
  ({ database, fake: dingtalk, stack } = suite);
  hubIds = await seedHubCompany(hub());
  // The default policy: offboarding disables where it can; DingTalk cannot, so it stages a delete.
  taskId = await stack.insertTask(stack.dingtalkTask(dingtalk, { offboarding: 'disable' }));
}, 120_000);

afterAll(() => suite?.close());

test('onboarding creates each person in DingTalk with dept_id_list, manager_userid, job_number and title', async () => {
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0, skipped: 0 } });
  const s = await state();
  const acme = departmentOf(s, 'Acme');
  const engineering = departmentOf(s, 'Engineering');
  const sales = departmentOf(s, 'Sales');
  expect(acme.parent_id).toBe(1);
  expect(engineering).toMatchObject({ parent_id: acme.dept_id, dept_manager_userid_list: ['alice'] });
  expect(sales.parent_id).toBe(acme.dept_id);

  expect(s.userlist).toHaveLength(5);
  expect(userOf(s, 'alice')).toMatchObject({ dept_id_list: [engineering.dept_id], manager_userid: '', job_number: 'E1', title: 'CTO' });
  expect(userOf(s, 'bob')).toMatchObject({
    name: 'Bob Li',
    mobile: hubMobile(2),
    dept_id_list: [engineering.dept_id],
    manager_userid: 'alice',
    job_number: 'E2',
    title: 'Engineer',
    active: true,
  });
  expect(userOf(s, 'dave')).toMatchObject({ dept_id_list: [sales.dept_id], manager_userid: 'carol', job_number: 'E4' });

  await stack.expectAllCreated(run.runId, { users: 5, departments: 3 });
});

test('a second run right after is a no-op', async () => {
  await stack.expectNoOpRun(taskId);
});

test('moving a department and a person in the hub moves them in DingTalk', async () => {
  await hub().updateDepartment(hubIds.get('Sales')!, { parentId: hubIds.get('Engineering')! }, 'test');
  await hub().updateUser(hubIds.get('bob')!, { departmentIds: [hubIds.get('Sales')!], mainDepartmentId: hubIds.get('Sales')! }, 'test');
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  const s = await state();
  const sales = departmentOf(s, 'Sales');
  expect(sales.parent_id).toBe(departmentOf(s, 'Engineering').dept_id);
  expect(userOf(s, 'bob')).toMatchObject({ dept_id_list: [sales.dept_id], manager_userid: 'alice' });
  expect(userOf(s, 'dave')?.dept_id_list).toEqual([sales.dept_id]);
  await stack.expectNoOpRun(taskId);
});

test('offboarding a user in the hub stages a DeleteUser (DingTalk cannot freeze); the account stays until an approver executes it', async () => {
  await hub().offboard(hubIds.get('dave')!, 'test');
  const taskQueue = stack.newTaskQueue();
  const run = await stack.run(taskId, {}, taskQueue);
  expect(run).toMatchObject({ status: 'succeeded', pendingDeletions: 1, plan: { actions: 1, stagedDeletes: 1 } });
  const items = await stack.items(run.runId);
  expect(items).toHaveLength(1);
  expect(items[0]).toMatchObject({ action: 'DeleteUser', targetId: 'dave', displayName: 'Dave Chen', status: 'staged' });
  expect(items[0].reason).toContain('the target cannot disable accounts');
  expect(userOf(await state(), 'dave')).toMatchObject({ active: true, job_number: 'E4' });

  const [pending] = await stack.pendingDeletionsOf(run.runId);
  expect(pending).toMatchObject({ action: 'DeleteUser', targetId: 'dave', status: 'PENDING' });
  expect(pending.reason).toContain('the target cannot disable accounts');

  // A run while the delete waits shows it staged again but opens no second approval, and leaves the account alone.
  const waiting = await stack.run(taskId);
  expect(waiting).toMatchObject({ status: 'succeeded', pendingDeletions: 0, plan: { stagedDeletes: 1 } });
  expect((await stack.items(waiting.runId)).map((i) => [i.action, i.targetId, i.status])).toEqual([['DeleteUser', 'dave', 'staged']]);
  expect(await stack.pendingDeletionsOf(waiting.runId)).toEqual([]);
  expect(userOf(await state(), 'dave')).toBeDefined();

  const result = await stack.decideDeletions(taskQueue, run.approvalWorkflowId!, { execute: [pending.id] });
  expect(result).toMatchObject({ succeeded: 1, canceled: 0, failed: 0 });
  expect(userOf(await state(), 'dave')).toBeUndefined();
  expect((await stack.pendingDeletionsOf(run.runId)).map((r) => r.status)).toEqual(['SUCCEEDED']);
});

test('after the approved delete, the next run is a no-op', async () => {
  await stack.expectNoOpRun(taskId);
  expect((await state()).userlist.map((u) => u.userid).sort()).toEqual(['alice', 'bob', 'carol', 'erin']);
});
