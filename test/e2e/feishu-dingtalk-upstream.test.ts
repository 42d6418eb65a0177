/**
 * Feishu and DingTalk as upstream sources end to end, on the real Temporal dev server with Postgres
 * (Feishu) and PGlite (DingTalk): a full run fills the hub from the vendor's fake and the hub changes
 * alone provision a WeCom fake; then people changed through the vendor's contact API reach WeCom in
 * real time, by the vendor's own signed, encrypted event into our webhook. The webhook keys are the
 * vendors' published callback vectors. Each vendor's tests share one story and run in order.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import { dingtalkEvent, feishuDelivery, feishuUserEvent, insertTask, queryString, type Delivery } from '../../api/webhooks/testing';
import { DingtalkCallback } from '../../connectors/dingtalk/callback';
import { loadCallbackVectors } from '../../connectors/shared/test-vectors';
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { syncRuns } from '../../db/schema';
import { createSecretBox } from '../../db/secret-box';
import type { User } from '../../engine/model';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { eventually } from '../../workflows/testing/in-memory-activities';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { corpId, corpSecret, E2eStack, quietTemporalLogs, wecomDirectory } from './harness';
import { SyncRuntime } from './sync-runtime';
import { dingtalkKeys, dingtalkVendor, emit, feishuVendor, type SourcePerson, type UpstreamVendor } from './upstream-vendors';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  quietTemporalLogs();
  [env, bundle] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows()]);
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

/** Seven people (mobiles in E.164), so one leaver stays under the default mass-offboarding guard (20%). */
const company: SourcePerson[] = [
  { username: 'alice', name: 'Alice Wang', mobile: '+8613800000001', title: 'CTO', department: 'Engineering', manager: null },
  { username: 'bob', name: 'Bob Li', mobile: '+8613800000002', title: 'Engineer', department: 'Engineering', manager: 'alice' },
  { username: 'carol', name: 'Carol Zhang', mobile: '+8613800000003', title: 'Sales lead', department: 'Sales', manager: 'alice' },
  { username: 'dave', name: 'Dave Chen', mobile: '+8613800000004', title: 'Sales', department: 'Sales', manager: 'carol' },
  { username: 'erin', name: 'Erin Zhou', mobile: '+85291234567', title: 'Sales', department: 'Sales', manager: 'carol' },
  { username: 'fay', name: 'Fay Sun', mobile: '+8613800000006', title: 'Engineer', department: 'Engineering', manager: 'alice' },
  { username: 'gus', name: 'Gus Liu', mobile: '+8613800000007', title: 'Engineer', department: 'Engineering', manager: 'alice' },
];
const newcomer: User = {
  id: 'hank', username: 'hank', name: 'Hank Wu', email: 'hank@acme.test', mobile: '+8613800000008', employeeNumber: null, title: 'Engineer',
  departmentIds: [], mainDepartmentId: null, managerId: 'alice', status: 'active', attributes: {},
};

interface WecomMember {
  userid: string;
  name: string;
  mobile?: string;
  position?: string;
  department: number[];
  direct_leader?: string[];
  enable?: number;
}

describe.each([
  ['Feishu', feishuVendor, 'postgres'],
  ['DingTalk', dingtalkVendor, 'pglite'],
] as const)('%s upstream → hub → WeCom', (_label, makeVendor, databaseKind) => {
  const vendor: UpstreamVendor = makeVendor();
  const secretBox = createSecretBox(randomBytes(32));
  let database: Database;
  let source: { url: string; close(): Promise<void> };
  let wecom: RunningWecomFake;
  let runtime: SyncRuntime;
  let upstreamId: string;
  let wecomTaskId: string;

  const hub = () => createHubDirectory(database.db);
  const members = async () => ((await wecomDirectory(wecom)) as unknown as { userlist: WecomMember[] }).userlist;
  const member = async (userid: string) => (await members()).find((m) => m.userid === userid);
  const wecomDepartmentId = async (name: string) => (await wecomDirectory(wecom)).department.find((d) => d.name === name)?.id;
  const webhook = () => runtime.webhookUrl(upstreamId);
  const post = (d: Delivery) => fetch(`${webhook()}${queryString(d.query)}`, { method: d.method, headers: d.headers, body: d.body });

  beforeAll(async () => {
    [database, source, wecom] = await Promise.all([openTestDatabase(databaseKind), vendor.start(), E2eStack.startWecom()]);
    const seeded = await fetch(`${source.url}/__fake/seed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(vendor.seed(company.map((p) => ({ ...p, mobile: vendor.mobileForm(p.mobile) })))),
    });
    expect(seeded.status).toBe(200);
    const realtime = { triggers: { manual: true as const, realtime: true }, realtimeDebounceMs: 300 };
    upstreamId = await insertTask(database, secretBox, { name: `${vendor.label} to hub`, direction: 'upstream', connector: vendor.taskConnector(), ...realtime });
    wecomTaskId = await insertTask(database, secretBox, {
      name: 'Hub to WeCom',
      direction: 'downstream',
      connector: { kind: 'wecom', settings: { baseUrl: wecom.baseUrl, corpId, rateLimitBackoffMs: 200 }, secrets: { corpSecret } },
      offboarding: 'disable',
      ...realtime,
    });
    const taskQueue = `upstream-${vendor.kind}-${process.pid}-${randomBytes(3).toString('hex')}`;
    runtime = await new SyncRuntime({ env, bundle, database, secretBox, taskQueue }).start();
  }, 120_000);

  afterAll(async () => {
    await runtime?.close();
    await Promise.all([source?.close(), wecom?.close()]);
    await database?.close();
  });

  test('the vendor’s URL check is answered through its own crypto', async () => {
    expect(await emit(source, webhook(), vendor.urlCheck)).toMatchObject({ status: 200, verified: true });
  });

  test('a full run fills the hub (mobiles in E.164), and the hub changes alone provision WeCom', async () => {
    const { run, items } = await runtime.manualRun(upstreamId);
    expect(run.status).toBe('succeeded');
    expect(items.filter((i) => i.status !== 'succeeded')).toEqual([]);
    const users = await hub().listUsersPage(null, 100);
    expect(Object.fromEntries(users.map((u) => [u.username, u.mobile]))).toEqual(Object.fromEntries(company.map((p) => [p.username, p.mobile])));
    expect((await hub().listAllDepartments()).map((d) => d.name).sort()).toEqual(['Acme', 'Engineering', 'Sales']);

    await eventually(async () => (await members()).length === company.length, 'everyone in WeCom', 60_000);
    const engineering = await wecomDepartmentId('Engineering');
    expect(await member('bob')).toMatchObject({ name: 'Bob Li', position: 'Engineer', department: [engineering], direct_leader: ['alice'], mobile: '13800000002' });
    expect(await member('erin')).toMatchObject({ department: [await wecomDepartmentId('Sales')], direct_leader: ['carol'], mobile: '+852 91234567' });
    // Nobody ran the WeCom task: the hub's changes did, in real time.
    expect(await runtime.runsOf(wecomTaskId, 'manual')).toBe(0);
    expect(await runtime.runsOf(wecomTaskId, 'realtime')).toBeGreaterThan(0);
  });

  /** Full runs of both tasks once real time has settled: nothing left to do. */
  async function expectNoOpRuns(): Promise<void> {
    await runtime.idle(upstreamId);
    await runtime.idle(wecomTaskId);
    for (const taskId of [upstreamId, wecomTaskId]) {
      const { run, items } = await runtime.manualRun(taskId);
      expect([run.status, items]).toEqual(['succeeded', []]);
    }
  }

  test('a second run of either task right after is a no-op', expectNoOpRuns);

  test('create: a person added in the vendor reaches WeCom by its change event', async () => {
    await vendor.admin().apply({ action: 'CreateUser', user: { ...newcomer, departmentIds: [vendor.departmentIds.Engineering] } });
    expect((await emit(source, webhook(), vendor.userEvent('created', 'hank'))).status).toBe(200);
    const hank = await eventually(() => member('hank'), 'hank in WeCom', 60_000);
    expect(hank).toMatchObject({ name: 'Hank Wu', department: [await wecomDepartmentId('Engineering')], direct_leader: ['alice'], mobile: '13800000008' });
    const [run] = await database.db
      .select()
      .from(syncRuns)
      .where(and(eq(syncRuns.taskId, upstreamId), eq(syncRuns.trigger, 'realtime')))
      .orderBy(desc(syncRuns.startedAt))
      .limit(1);
    expect(run).toMatchObject({ status: 'succeeded', changedIds: { userIds: ['hank'] } });
  });

  test('update: a new name and title in the vendor reach WeCom', async () => {
    await vendor.admin().apply({ action: 'UpdateUser', id: 'hank', changes: { name: 'Hank Wu-Li', title: 'Staff engineer' } });
    await emit(source, webhook(), vendor.userEvent('updated', 'hank'));
    await eventually(async () => (await member('hank'))?.position === 'Staff engineer', 'the new title in WeCom', 60_000);
    expect(await member('hank')).toMatchObject({ name: 'Hank Wu-Li' });
  });

  test('a new department, a move into it and its rename in the vendor reach WeCom by their change events', async () => {
    const { externalId } = await vendor.admin().apply({ action: 'CreateDepartment', department: { id: vendor.kind === 'feishu' ? 'ops' : '', name: 'Ops', parentId: vendor.departmentIds.Engineering, order: 0, leaderIds: [] } });
    expect((await emit(source, webhook(), vendor.departmentEvent('created', externalId!))).status).toBe(200);
    await eventually(() => wecomDepartmentId('Ops'), 'Ops in WeCom', 60_000);
    const ops = (await wecomDirectory(wecom)).department.find((d) => d.name === 'Ops')!;
    expect(ops.parentid).toBe(await wecomDepartmentId('Engineering'));

    await vendor.admin().apply({ action: 'UpdateUser', id: 'gus', changes: { departmentIds: [externalId!], mainDepartmentId: externalId! } });
    await emit(source, webhook(), vendor.userEvent('updated', 'gus'));
    await eventually(async () => JSON.stringify((await member('gus'))?.department) === JSON.stringify([ops.id]), 'gus in Ops in WeCom', 60_000);

    await vendor.admin().apply({ action: 'UpdateDepartment', id: externalId!, changes: { name: 'Operations' } });
    await emit(source, webhook(), vendor.departmentEvent('updated', externalId!));
    await eventually(async () => (await wecomDirectory(wecom)).department.find((d) => d.id === ops.id)?.name === 'Operations', 'Ops renamed in WeCom', 60_000);
  });

  test('offboard: a person who leaves the vendor is offboarded in the hub and frozen in WeCom, under the default guard', async () => {
    await vendor.admin().apply({ action: 'DeleteUser', id: 'hank' });
    await emit(source, webhook(), vendor.userEvent('deleted', 'hank'));
    await eventually(async () => (await member('hank'))?.enable === 0, 'hank frozen in WeCom', 60_000);
    const [hank] = await hub().getUsersByIds(['hank']);
    expect(hank?.status).toBe('disabled');
    expect((await members()).filter((m) => m.enable === 0).map((m) => m.userid)).toEqual(['hank']);
  });

  test('after the real-time changes, a full run of either task is still a no-op', expectNoOpRuns);

  test('deliveries not sealed with the task’s keys are refused and start nothing', async () => {
    await runtime.idle(upstreamId);
    const [runsBefore, inboxBefore] = [await runtime.runsOf(upstreamId), await runtime.inboxRows(upstreamId)];
    // The test helpers seal with keys of their own, not the vectors' this task holds.
    const forged = vendor.kind === 'feishu' ? feishuDelivery(feishuUserEvent('contact.user.deleted_v3', 'alice')) : dingtalkEvent(dingtalkKeys.appKey, { EventType: 'user_leave_org', UserId: ['alice'] });
    expect((await post(forged)).status).toBe(401);
    if (vendor.kind === 'dingtalk') {
      // The published vector is sealed with this task's keys (it opens with them), but it was sent in 2020: a replay is stale.
      const v = loadCallbackVectors().dingtalk.find((x) => x.receiveId === dingtalkKeys.appKey)!;
      const replay: Delivery = { method: 'POST', query: { signature: v.signature, timestamp: v.timestamp, nonce: v.nonce }, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ encrypt: v.encrypt }) };
      expect(new DingtalkCallback({ token: dingtalkKeys.token, aesKey: dingtalkKeys.aesKey, receiveId: dingtalkKeys.appKey }).decrypt(replay.query, replay.body!)).toBe(v.plaintext);
      expect((await post(replay)).status).toBe(401);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000)); // longer than the debounce: a run would have started
    expect([await runtime.runsOf(upstreamId), await runtime.inboxRows(upstreamId)]).toEqual([runsBefore, inboxBefore]);
    expect((await member('alice'))?.enable).not.toBe(0);
  });
});
