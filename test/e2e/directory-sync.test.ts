/**
 * End to end on the real Temporal dev server and Postgres: an HR CSV feeds the hub (upstream),
 * the hub provisions a WeCom fake (downstream). The tests share one story and run in order.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import { fakeControl } from '../../connectors/wecom/fake/test-helpers';
import type { Database } from '../../db/client';
import { markPendingDeletions } from '../../db/repos/pending-deletions';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { auditLog, pendingDeletions } from '../../db/schema';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { corpSecret, E2eStack, header, quietTemporalLogs, wecomDirectory, type WecomUserState } from './harness';
import { scanForSecrets } from './secret-scan';

jest.setTimeout(60_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let database: Database;
let wecom: RunningWecomFake;
let stack: E2eStack;
let csvPath: string;
let upstreamId: string;
let downstreamId: string;

/** Stored with the task like a real-time one's, so the secret scan can look for them too. */
const callbackSecrets = { callbackToken: 'e2e-wecom-callback-token', callbackEncodingAesKey: 'e2eWecomCallbackEncodingAesKey0123456789abc' };

const people = {
  alice: ['alice', 'Alice Wang', 'alice@acme.test', 'E1', 'CTO', 'Acme/Engineering', '', 'active'],
  bob: ['bob', 'Bob Li', 'bob@acme.test', 'E2', 'Engineer', 'Acme/Engineering', 'E1', 'active'],
  carol: ['carol', 'Carol Zhang', 'carol@acme.test', 'E3', 'Sales lead', 'Acme/Sales', 'E1', 'active'],
  dave: ['dave', 'Dave Chen', 'dave@acme.test', 'E4', 'Sales', 'Acme/Sales', 'E3', 'active'],
  erin: ['erin', 'Erin Zhou', 'erin@acme.test', 'E5', 'Sales', 'Acme/Sales', 'E3', 'active'],
  // Colleagues, so the offboardings below are a realistic share of the company under the default guard (20%).
  ...Object.fromEntries(
    ['gail', 'hank', 'iris', 'jack', 'kate', 'liam'].map((u, i) => [u, [u, `${u} Staff`, `${u}@acme.test`, `E${10 + i}`, 'Engineer', 'Acme/Engineering', 'E1', 'active']]),
  ),
};
const headcount = Object.keys(people).length;
type Person = keyof typeof people;

// Mobiles as an HR export writes them: with the country code and a space, with a dash, or national.
const mobiles: Record<string, string> = { alice: '+86 138 0000 0001', bob: '86-13800000002', carol: '13800000003' };

function writeHrExport(rows: string[][]): void {
  csvPath = stack.writeCsv('hr.csv', [[...header, 'mobile'], ...rows.map((row) => [...row, mobiles[row[0]] ?? ''])]);
}

const hub = () => createHubDirectory(database.db);
const userOf = (state: { userlist: WecomUserState[] }, userid: string) => state.userlist.find((u) => u.userid === userid);

async function departmentIdOf(name: string): Promise<number> {
  const found = (await wecomDirectory(wecom)).department.find((d) => d.name === name);
  if (!found) throw new Error(`no WeCom department named ${name}`);
  return found.id;
}

async function hubDepartmentId(name: string): Promise<string> {
  const found = (await hub().listAllDepartments()).find((d) => d.name === name);
  if (!found) throw new Error(`no hub department named ${name}`);
  return found.id;
}

/** Upstream then downstream, as a schedule would run them; both must succeed. */
async function syncAll() {
  const up = await stack.run(upstreamId);
  const down = await stack.run(downstreamId);
  expect([up.status, down.status]).toEqual(['succeeded', 'succeeded']);
  return { up, down };
}

beforeAll(async () => {
  quietTemporalLogs();
  [env, bundle, database, wecom] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase('postgres'), E2eStack.startWecom()]);
  stack = new E2eStack(env, bundle, database);
  writeHrExport(Object.values(people));
  upstreamId = await stack.insertTask({
    name: 'HR export to hub',
    direction: 'upstream',
    connector: { kind: 'csv', settings: { path: csvPath } },
  });
  const downstream = stack.wecomTask(wecom);
  downstreamId = await stack.insertTask({ ...downstream, connector: { ...downstream.connector, secrets: { ...downstream.connector.secrets, ...callbackSecrets } } });
}, 120_000);

afterAll(async () => {
  await wecom?.close();
  await database?.close();
  await env?.teardown();
});

test('onboarding creates each person in WeCom with the right department and manager', async () => {
  const { up, down } = await syncAll();
  expect(up.counters).toMatchObject({ failed: 0, skipped: 0 });
  expect(down.counters).toMatchObject({ failed: 0, skipped: 0 });
  const state = await wecomDirectory(wecom);
  const engineering = await departmentIdOf('Engineering');
  const acme = await departmentIdOf('Acme');
  expect(state.department.find((d) => d.id === engineering)?.parentid).toBe(acme);
  expect(state.department.find((d) => d.id === acme)?.parentid).toBe(1);
  expect(userOf(state, 'bob')).toMatchObject({ name: 'Bob Li', department: [engineering], direct_leader: ['alice'], enable: 1 });
  expect(userOf(state, 'dave')).toMatchObject({ department: [await departmentIdOf('Sales')], direct_leader: ['carol'] });
  expect(state.userlist).toHaveLength(headcount);

  const run = await stack.runRow(down.runId);
  expect(run).toMatchObject({ status: 'succeeded', counters: expect.objectContaining({ usersSucceeded: headcount, usersTotal: headcount, departmentsSucceeded: 3, departmentsTotal: 3 }) });
});

test('mobiles reach the hub in E.164 and WeCom in its own form (bare for mainland numbers)', async () => {
  const hubMobiles = Object.fromEntries((await hub().listUsersPage(null, 100)).map((u) => [u.username, u.mobile]));
  expect(hubMobiles).toMatchObject({ alice: '+8613800000001', bob: '+8613800000002', carol: '+8613800000003', dave: null });
  const state = (await wecomDirectory(wecom)) as unknown as { userlist: { userid: string; mobile?: string }[] };
  expect(['alice', 'bob', 'carol'].map((u) => state.userlist.find((w) => w.userid === u)?.mobile)).toEqual(['13800000001', '13800000002', '13800000003']);
});

test('a second run right after is a no-op, upstream and downstream', async () => {
  const { up, down } = await syncAll();
  expect(up.plan.actions).toBe(0);
  expect(down.plan.actions).toBe(0);
});

test('a dry run stores the plan and changes nothing', async () => {
  await hub().updateUser('E2', { title: 'Staff engineer' }, 'test');
  const dry = await stack.run(downstreamId, { dryRun: true });
  expect(dry).toMatchObject({ status: 'succeeded', dryRun: true, plan: { actions: 1 } });
  expect((await stack.items(dry.runId)).map((i) => [i.action, i.status])).toEqual([['UpdateUser', 'planned']]);
  expect(userOf(await wecomDirectory(wecom), 'bob')).not.toHaveProperty('position', 'Staff engineer');
  await hub().updateUser('E2', { title: 'Engineer' }, 'test');
});

test('setting A as B’s manager in the HR export reaches WeCom', async () => {
  writeHrExport(Object.values({ ...people, erin: [...people.erin.slice(0, 6), 'E1', 'active'] }));
  await syncAll();
  expect(userOf(await wecomDirectory(wecom), 'erin')?.direct_leader).toEqual(['alice']);
});

test('offboarding in the HR export (disabled, or removed) freezes the WeCom account', async () => {
  const rows = { ...people, erin: [...people.erin.slice(0, 6), 'E1', 'active'], carol: [...people.carol.slice(0, 7), 'disabled'] };
  writeHrExport(Object.entries(rows).filter(([name]) => name !== ('erin' as Person)).map(([, row]) => row));
  const { down } = await syncAll();
  const state = await wecomDirectory(wecom);
  expect(userOf(state, 'carol')?.enable).toBe(0);
  expect(userOf(state, 'erin')?.enable).toBe(0);
  expect(userOf(state, 'alice')?.enable).toBe(1);
  const disables = (await stack.items(down.runId)).filter((i) => i.action === 'DisableUser');
  expect(disables.map((i) => i.status)).toEqual(['succeeded', 'succeeded']);
});

test('moving a department in the hub moves it in WeCom', async () => {
  await hub().updateDepartment(await hubDepartmentId('Sales'), { parentId: await hubDepartmentId('Engineering') }, 'test');
  const down = await stack.run(downstreamId);
  expect(down.status).toBe('succeeded');
  const state = await wecomDirectory(wecom);
  expect(state.department.find((d) => d.name === 'Sales')?.parentid).toBe(await departmentIdOf('Engineering'));
});

test('deleting a user and a department in the hub stages both; only the executed one is deleted, the cancelled one stays', async () => {
  await hub().createDepartment({ name: 'Temp' }, 'test');
  expect((await stack.run(downstreamId)).status).toBe('succeeded');
  const tempId = await departmentIdOf('Temp');
  await hub().updateUser('E4', { managerId: null }, 'test');
  await hub().deleteUser('E4', 'test');
  await hub().deleteDepartment(await hubDepartmentId('Temp'), 'test');

  // The approval workflow is a child of the run, on the run's task queue: approvals need a worker there.
  const taskQueue = stack.newTaskQueue();
  const down = await stack.run(downstreamId, {}, taskQueue);
  expect(down).toMatchObject({ status: 'succeeded', pendingDeletions: 2, plan: { stagedDeletes: 2 } });
  let state = await wecomDirectory(wecom);
  expect(userOf(state, 'dave')).toBeDefined();
  expect(state.department.some((d) => d.id === tempId)).toBe(true);

  const rows = await database.db.select().from(pendingDeletions).where(eq(pendingDeletions.runId, down.runId));
  const daveRow = rows.find((r) => r.targetId === 'dave')!;
  const tempRow = rows.find((r) => r.targetId === String(tempId))!;
  expect([daveRow.status, tempRow.status]).toEqual(['PENDING', 'PENDING']);

  // What the API does: the Update of the run's approval workflow; a worker must be running to execute.
  const result = await stack.decideDeletions(taskQueue, down.approvalWorkflowId!, { cancel: [tempRow.id], execute: [daveRow.id] });
  expect(result).toMatchObject({ succeeded: 1, canceled: 1, failed: 0 });
  state = await wecomDirectory(wecom);
  expect(userOf(state, 'dave')).toBeUndefined();
  expect(state.department.some((d) => d.id === tempId)).toBe(true);

  // A decision is final, enforced in SQL: the cancelled row cannot be moved to EXECUTING later.
  expect(await markPendingDeletions(database.db, { ids: [tempRow.id], status: 'EXECUTING', actor: 'approver-2' })).toEqual([]);
  const after = await database.db.select().from(pendingDeletions).where(eq(pendingDeletions.runId, down.runId));
  expect(Object.fromEntries(after.map((r) => [r.targetId, r.status]))).toEqual({ dave: 'SUCCEEDED', [String(tempId)]: 'CANCELED' });
  // The decision and the outcome are both audited, with the approver as actor.
  const audit = await database.db.select().from(auditLog).where(eq(auditLog.entityId, daveRow.id)).orderBy(auditLog.id);
  expect(audit.map((a) => [a.actor, a.action])).toEqual([
    ['approver-1', 'pending_deletion.approve'],
    ['approver-1', 'pending_deletion.execute'],
  ]);
  const cancelAudit = await database.db.select().from(auditLog).where(eq(auditLog.entityId, tempRow.id));
  expect(cancelAudit.map((a) => [a.actor, a.action])).toEqual([['approver-1', 'pending_deletion.cancel']]);
});

test('a burst of rate-limit refusals in the middle of apply is retried and the run still succeeds', async () => {
  await hub().updateUser('E2', { title: 'Principal engineer' }, 'test');
  await hub().updateUser('E1', { title: 'Chief technology officer' }, 'test');
  let transients = 0;
  let burstSent = false;
  stack.hooks.afterApply = async () => {
    if (burstSent) return;
    burstSent = true;
    await fakeControl(wecom, 'faults', { rateLimitBurst: 3 });
  };
  stack.hooks.onError = (error) => {
    if ((error as { transient?: boolean }).transient) transients++;
  };
  // One call at a time, so the burst set after the first update lands on the second one.
  stack.applyConcurrency = 1;
  try {
    const down = await stack.run(downstreamId);
    expect(down).toMatchObject({ status: 'succeeded', counters: { succeeded: 2, failed: 0 } });
  } finally {
    stack.hooks.afterApply = undefined;
    stack.hooks.onError = undefined;
    stack.applyConcurrency = undefined;
  }
  expect(transients).toBeGreaterThan(0);
  const state = await wecomDirectory(wecom);
  expect(userOf(state, 'bob')).toHaveProperty('position', 'Principal engineer');
  expect(userOf(state, 'alice')).toHaveProperty('position', 'Chief technology officer');
});

test('a permanent refusal (a department name WeCom forbids) fails only its item: the run is partially_failed', async () => {
  await hub().createDepartment({ name: 'Ops: Night' }, 'test');
  await hub().createDepartment({ name: 'Support' }, 'test');
  const down = await stack.run(downstreamId);
  expect(down.status).toBe('partially_failed');
  const items = await stack.items(down.runId);
  const bad = items.find((i) => i.displayName === 'Ops: Night')!;
  expect(bad).toMatchObject({ status: 'failed', errorCode: 'invalid_input' });
  expect(bad.errorMessage).toContain('Ops: Night');
  expect(items.find((i) => i.displayName === 'Support')?.status).toBe('succeeded');
  expect(await stack.runRow(down.runId)).toMatchObject({ status: 'partially_failed' });
});

test('no connector secret reached a workflow history, a log line, an API answer, a stored row or a run export', async () => {
  const { leaks, searched } = await scanForSecrets({ env, database, secretBox: stack.secretBox, secrets: [corpSecret, callbackSecrets.callbackToken, callbackSecrets.callbackEncodingAesKey] });
  expect(leaks).toEqual([]);
  expect(Math.min(searched.histories, searched.logLines, searched.apiAnswers, searched.rows, searched.exports)).toBeGreaterThan(0);
});
