/**
 * End to end on the real Temporal dev server and Postgres, every task under the default guard (20%):
 * two upstream sources side by side (an HR CSV and a WeCom directory) leave each other's people
 * alone; a bad HR export that leaves everyone in no department is held, not applied (and an approver
 * can execute those moves, re-checked against the export); an empty export's held freezes, moves
 * and department deletes all go through when approved; a delete in the
 * hub stages a downstream delete although the task's offboarding policy is `disable`.
 * The tests share one story and run in order.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { startWecomFake, type RunningWecomFake } from '../../connectors/wecom/fake';
import { fakeControl } from '../../connectors/wecom/fake/test-helpers';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { hubUsers, pendingDeletions } from '../../db/schema';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { corpSecret, E2eStack, header, quietTemporalLogs, wecomDirectory } from './harness';

jest.setTimeout(90_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let database: Database;
let stack: E2eStack;
let wecomUp: RunningWecomFake;
let wecomDown: RunningWecomFake;
let csvPath: string;
let hrId: string;
let wecomUpId: string;
let downstreamId: string;

const contractorsCorp = 'ww-e2e-contractors';
const hrPeople = ['ann', 'ben', 'cat', 'dan', 'eve', 'fox'].map((u, i) => [u, `HR ${u}`, `${u}@hr.test`, `E${i + 1}`, 'Staff', i % 2 ? 'Acme/Sales' : 'Acme/Engineering', '', 'active']);
const contractors = ['kim', 'lou', 'max', 'ned', 'oz', 'pam'];

const hub = () => createHubDirectory(database.db);
const writeHrExport = (rows: string[][]) => (csvPath = stack.writeCsv('hr.csv', [header, ...rows]));

async function seedContractors(names: string[]): Promise<void> {
  const seeded = await fakeControl(wecomUp, 'seed', {
    department: [{ id: 1, name: 'Contractors Co', parentid: 0 }, { id: 2, name: 'Field', parentid: 1 }],
    userlist: names.map((userid) => ({ userid, name: `Contractor ${userid}`, department: [2], email: `${userid}@contractors.test` })),
  });
  expect(seeded.status).toBe(200);
}

async function hubUser(email: string) {
  const [row] = await database.db.select().from(hubUsers).where(eq(hubUsers.email, email));
  return row;
}

const byAction = async (runId: string) => (await stack.items(runId)).map((i) => `${i.action}:${i.status}`);
const statusesOf = async (runId: string, ids: string[]) => {
  const rows = await stack.pendingDeletionsOf(runId);
  return ids.map((id) => rows.find((r) => r.id === id)?.status);
};
/** Polls until `done`; a timeout shows every pending deletion's state. */
async function until(done: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) {
      const rows = await database.db.select().from(pendingDeletions);
      throw new Error(`timed out waiting for the approval workflow: ${JSON.stringify(rows.map((r) => [r.action, r.status, r.errorCode, r.errorMessage]))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  quietTemporalLogs();
  [env, bundle, database, wecomUp, wecomDown] = await Promise.all([
    startLocalTemporal(),
    bundleSyncWorkflows(),
    openTestDatabase('postgres'),
    startWecomFake({ corpId: contractorsCorp, corpSecret }),
    E2eStack.startWecom(),
  ]);
  stack = new E2eStack(env, bundle, database);
  writeHrExport(hrPeople);
  await seedContractors(contractors);
  hrId = await stack.insertTask({ name: 'HR export to hub', direction: 'upstream', connector: { kind: 'csv', settings: { path: csvPath } } });
  wecomUpId = await stack.insertTask({
    name: 'Contractors (WeCom) to hub',
    direction: 'upstream',
    connector: { kind: 'wecom', settings: { baseUrl: wecomUp.baseUrl, corpId: contractorsCorp }, secrets: { corpSecret } },
  });
  // The default guard and the default offboarding (disable): nothing loosened for a small directory.
  downstreamId = await stack.insertTask(stack.wecomTask(wecomDown, { offboarding: undefined, massOffboardingGuard: undefined }));
  // Someone added by hand through the API: no source owns them.
  await hub().createUser({ username: 'visitor', name: 'Visitor', email: 'visitor@acme.test' }, 'admin');
}, 180_000);

afterAll(async () => {
  await Promise.all([wecomUp?.close(), wecomDown?.close()]);
  await database?.close();
  await env?.teardown();
});

test('8: two upstream sources side by side each keep their own people and leave the other’s (and the API’s) alone', async () => {
  for (const id of [hrId, wecomUpId]) expect((await stack.run(id)).status).toBe('succeeded');
  for (const id of [hrId, wecomUpId]) {
    const again = await stack.run(id);
    expect(again).toMatchObject({ status: 'succeeded', plan: { actions: 0 } });
  }
  expect((await hubUser('ann@hr.test')).sourceTaskId).toBe(hrId);
  expect((await hubUser('kim@contractors.test')).sourceTaskId).toBe(wecomUpId);
  expect((await hubUser('visitor@acme.test')).sourceTaskId).toBeNull();
  const statuses = (await database.db.select({ status: hubUsers.status }).from(hubUsers)).map((r) => r.status);
  expect(statuses).toEqual(Array(13).fill('active'));
});

test('8: a person handed to the HR source is offboarded by HR, not by the source that created them', async () => {
  const kim = await hubUser('kim@contractors.test');
  await hub().setUserSource(kim.id, hrId, 'admin');
  await seedContractors(contractors.filter((c) => c !== 'kim'));
  // Gone from WeCom, but no longer WeCom's: its run leaves kim alone.
  expect(await byAction((await stack.run(wecomUpId)).runId)).toEqual([]);
  // Not in the HR export, and HR's now: HR freezes kim (1 of the 7 people it manages is under 20%).
  expect(await byAction((await stack.run(hrId)).runId)).toEqual(['DisableUser:succeeded']);
  expect((await hubUser('kim@contractors.test')).status).toBe('disabled');
});

test('2a: an export that leaves everyone in no department is held for approval, not applied', async () => {
  const engineering = (await hubUser('ann@hr.test')).departmentIds;
  writeHrExport(hrPeople.map((row) => [...row.slice(0, 5), '', ...row.slice(6)]));
  const taskQueue = stack.newTaskQueue();
  const run = await stack.run(hrId, {}, taskQueue);
  expect(run).toMatchObject({ status: 'succeeded', counters: { succeeded: 0 } });
  const items = await stack.items(run.runId);
  const moves = items.filter((i) => i.action === 'ChangeUserDepartment');
  expect(moves).toHaveLength(6);
  expect(moves.every((i) => i.status === 'staged' && /^mass offboarding guard: this run would take 6 of the 6 active accounts/.test(i.reason ?? ''))).toBe(true);
  // Held items reach the approvers the way held freezes do.
  const pending = await stack.pendingDeletionsOf(run.runId);
  expect(pending.filter((p) => p.action === 'ChangeUserDepartment').map((p) => p.status)).toEqual(Array(6).fill('PENDING'));
  // Nobody moved; the WeCom source's departments were never HR's to delete.
  expect((await hubUser('ann@hr.test')).departmentIds).toEqual(engineering);
  expect(items.filter((i) => i.action === 'DeleteDepartment').map((i) => i.displayName).sort()).toEqual(['Acme', 'Engineering', 'Sales']);

  // An approver executes Ann's move while the export is still bad: she moves to the top level of the hub.
  const moveRows = (await stack.pendingDeletionsOf(run.runId)).filter((p) => p.action === 'ChangeUserDepartment');
  const annId = (await hubUser('ann@hr.test')).id;
  const annMove = moveRows.find((p) => p.targetId === annId)!;
  const others = moveRows.filter((p) => p !== annMove).map((p) => p.id);
  const worker = await stack.startWorker(taskQueue);
  await worker.runUntil(async () => {
    expect(await stack.decide(taskQueue, 'execute', [annMove.id], 'approver-hr')).toEqual([{ id: annMove.id, result: 'accepted' }]);
    await until(async () => (await statusesOf(run.runId, [annMove.id]))[0] === 'SUCCEEDED');
    // HR fixes the export before the rest is approved: those moves are SUPERSEDED, nobody else moves.
    writeHrExport(hrPeople);
    expect((await stack.decide(taskQueue, 'execute', others, 'approver-hr')).map((r) => r.result)).toEqual(Array(5).fill('accepted'));
    await until(async () => (await statusesOf(run.runId, others)).every((s) => s === 'SUPERSEDED'));
  });
  expect(await hubUser('ann@hr.test')).toMatchObject({ status: 'active', departmentIds: [] });
  expect((await hubUser('ben@hr.test')).departmentIds).not.toEqual([]);
  // The next HR run puts Ann back where the fixed export says.
  expect((await stack.run(hrId)).status).toBe('succeeded');
  expect((await hubUser('ann@hr.test')).departmentIds).toEqual(engineering);
});

test('3: a person and a department deleted in the hub stage downstream deletes under the disable policy; the account is frozen meanwhile', async () => {
  await hub().createDepartment({ name: 'Temp' }, 'test');
  expect((await stack.run(downstreamId)).status).toBe('succeeded');
  const visitor = await hubUser('visitor@acme.test');
  const visitorAccount = (await wecomDirectory(wecomDown)).userlist.find((u) => u.email === 'visitor@acme.test')!;
  await hub().deleteUser(visitor.id, 'test');
  await hub().deleteDepartment((await hub().listAllDepartments()).find((d) => d.name === 'Temp')!.id, 'test');

  const run = await stack.run(downstreamId);
  expect(run).toMatchObject({ status: 'succeeded', pendingDeletions: 2, plan: { stagedDeletes: 2 } });
  expect((await byAction(run.runId)).sort()).toEqual(['DeleteDepartment:staged', 'DeleteUser:staged', 'DisableUser:succeeded']);
  const pending = await stack.pendingDeletionsOf(run.runId);
  expect(pending.map((p) => [p.action, p.status]).sort()).toEqual([['DeleteDepartment', 'PENDING'], ['DeleteUser', 'PENDING']]);
  expect(pending.find((p) => p.action === 'DeleteUser')).toMatchObject({ targetId: visitorAccount.userid, reason: 'deletion protection: every delete waits for approval; deleted in the hub' });
  const state = await wecomDirectory(wecomDown);
  expect(state.userlist.find((u) => u.userid === visitorAccount.userid)).toMatchObject({ enable: 0 });
  expect(state.department.some((d) => d.name === 'Temp')).toBe(true);
});

test('2b: an empty export’s held freezes, moves out of the vanished departments and department deletes all succeed when an approver executes them', async () => {
  writeHrExport([]);
  const taskQueue = stack.newTaskQueue();
  const run = await stack.run(hrId, {}, taskQueue);
  expect(run.status).toBe('succeeded');
  const pending = await stack.pendingDeletionsOf(run.runId);
  const actions = pending.map((p) => p.action);
  expect(actions.filter((a) => a === 'DisableUser')).toHaveLength(6);
  // Each leaver must leave the departments, or their deletes would fail.
  expect(actions.filter((a) => a === 'ChangeUserDepartment')).toHaveLength(6);
  expect(pending.filter((p) => p.action === 'DeleteDepartment').map((p) => p.displayName).sort()).toEqual(['Acme', 'Engineering', 'Sales']);
  expect(pending.every((p) => p.status === 'PENDING')).toBe(true);

  const ids = pending.map((p) => p.id);
  const worker = await stack.startWorker(taskQueue);
  await worker.runUntil(async () => {
    expect((await stack.decide(taskQueue, 'execute', ids, 'approver-hr')).map((r) => r.result)).toEqual(ids.map(() => 'accepted'));
    await until(async () => (await statusesOf(run.runId, ids)).every((s) => s !== 'PENDING' && s !== 'EXECUTING'));
  });
  const done = await stack.pendingDeletionsOf(run.runId);
  expect(done.map((p) => [p.action, p.displayName, p.status, p.errorMessage ?? null]).filter((r) => r[2] !== 'SUCCEEDED')).toEqual([]);
  const departments = (await hub().listAllDepartments()).map((d) => d.name);
  for (const name of ['Acme', 'Engineering', 'Sales']) expect(departments).not.toContain(name);
  for (const name of ['ann', 'ben', 'cat', 'dan', 'eve', 'fox']) expect(await hubUser(`${name}@hr.test`)).toMatchObject({ status: 'disabled', departmentIds: [] });
});

test('2c: a leaver’s held move is SUPERSEDED once a department it leaves exists in the source again', async () => {
  writeHrExport(hrPeople);
  expect((await stack.run(hrId)).status).toBe('succeeded');
  writeHrExport([]);
  const taskQueue = stack.newTaskQueue();
  const run = await stack.run(hrId, {}, taskQueue);
  const moves = (await stack.pendingDeletionsOf(run.runId)).filter((p) => p.action === 'ChangeUserDepartment');
  expect(moves).toHaveLength(6);
  // The departments come back; Ann is still gone and Ben is a leaver (disabled) in the export.
  writeHrExport(hrPeople.filter((row) => row[0] !== 'ann').map((row) => (row[0] === 'ben' ? [...row.slice(0, 7), 'disabled'] : row)));
  const ids = [(await hubUser('ann@hr.test')).id, (await hubUser('ben@hr.test')).id].map((id) => moves.find((p) => p.targetId === id)!.id);
  const worker = await stack.startWorker(taskQueue);
  await worker.runUntil(async () => {
    await stack.decide(taskQueue, 'execute', ids, 'approver-hr');
    await until(async () => (await statusesOf(run.runId, ids)).every((s) => s === 'SUPERSEDED'));
  });
  const rows = (await stack.pendingDeletionsOf(run.runId)).filter((p) => ids.includes(p.id));
  expect(rows.map((p) => p.errorMessage)).toEqual(Array(2).fill('a department the move leaves exists in the source again'));
  // Nobody was moved.
  for (const name of ['ann', 'ben']) expect((await hubUser(`${name}@hr.test`)).departmentIds).not.toEqual([]);
});
