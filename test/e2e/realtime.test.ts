/**
 * Real time end to end, on the Temporal dev server and Postgres: a person changed in the WeCom fake
 * reaches the Feishu and DingTalk fakes with nobody pressing a button. WeCom sends its signed,
 * encrypted callback to the API's webhook; the event goes to the inbox and signals the upstream
 * task; its real-time run re-reads only that person and writes the hub; the hub change fans out to
 * both downstream tasks, whose real-time runs re-read only that person and write their apps.
 * The tests share one story and run in order.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { and, eq } from 'drizzle-orm';
import { fakeState } from '../../connectors/wecom/fake/test-helpers';
import type { Database } from '../../db/client';
import { pendingDeletions, syncRuns, syncTasks } from '../../db/schema';
import { callbackKeys, wecomEvent, queryString } from '../../api/webhooks/testing';
import { stateQuery, taskWorkflowId } from '../../workflows/definitions';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { eventually } from '../../workflows/testing/in-memory-activities';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { quietTemporalLogs } from './harness';
import { dingtalkCredentials, feishuCredentials, RealtimeStack, wecomCredentials } from './realtime-stack';
import { scanForSecrets } from './secret-scan';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let database: Database;
let stack: RealtimeStack;

interface FeishuUser {
  user_id?: string;
  name: string;
  email?: string;
  job_title?: string;
  department_ids?: string[];
  status?: { is_frozen?: boolean; is_resigned?: boolean };
}
interface FeishuDepartment {
  name: string;
  department_id?: string;
  open_department_id?: string;
}
interface DingtalkUser {
  userid: string;
  name: string;
  email?: string;
  title?: string;
  dept_id_list?: number[];
}

const feishuState = () => fakeState<{ users: FeishuUser[]; departments: FeishuDepartment[] }>(stack.feishu as never);
const dingtalkState = () => fakeState<{ userlist: DingtalkUser[]; department: { dept_id: number; name: string }[] }>(stack.dingtalk as never);

async function feishuUser(email: string): Promise<FeishuUser | undefined> {
  return (await feishuState()).users.find((u) => u.email === email);
}
async function dingtalkUser(email: string): Promise<DingtalkUser | undefined> {
  return (await dingtalkState()).userlist.find((u) => u.email === email);
}
async function feishuDepartmentIdsOf(names: string[]): Promise<string[]> {
  const departments = (await feishuState()).departments;
  return names.map((n) => {
    const found = departments.find((d) => d.name === n);
    if (!found) throw new Error(`no Feishu department ${n}`);
    return found.department_id ?? found.open_department_id ?? '';
  });
}
async function dingtalkDepartmentIdOf(name: string): Promise<number> {
  const found = (await dingtalkState()).department.find((d) => d.name === name);
  if (!found) throw new Error(`no DingTalk department ${name}`);
  return found.dept_id;
}

const colleagues = ['dan', 'fay', 'gus', 'hal', 'ivy'];
const carol = { userid: 'carol', name: 'Carol Zhang', email: 'carol@acme.test', mobile: '13800000003', position: 'Engineer' };

beforeAll(async () => {
  quietTemporalLogs();
  [env, bundle, database] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase('postgres')]);
  stack = await new RealtimeStack({ env, bundle, database }).start();
  const seeded = await fetch(`${stack.wecom.url}/__fake/seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      department: [
        { id: 1, name: 'Acme', parentid: 0 },
        { id: 2, name: 'Engineering', parentid: 1 },
        { id: 3, name: 'Sales', parentid: 1 },
      ],
      userlist: [
        { userid: 'alice', name: 'Alice Wang', department: [2], email: 'alice@acme.test', mobile: '13800000001', position: 'CTO' },
        { userid: 'bob', name: 'Bob Li', department: [3], email: 'bob@acme.test', mobile: '13800000002', position: 'Sales lead' },
        // Colleagues, so one leaver is a realistic share of the company under the default guard (20%).
        ...colleagues.map((name, i) => ({ userid: name, name, department: [2 + (i % 2)], email: `${name}@acme.test`, mobile: `1390000000${i}`, position: 'Staff' })),
      ],
    }),
  });
  expect(seeded.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await stack?.close();
  await database?.close();
  await env?.teardown();
});

test('a first full upstream run fills the hub, and the hub changes alone provision Feishu and DingTalk', async () => {
  await stack.trigger(stack.upstreamId, { trigger: 'manual' });
  await eventually(async () => (await feishuUser('alice@acme.test')) && (await feishuUser('bob@acme.test')), 'alice and bob in Feishu', 60_000);
  await eventually(async () => (await dingtalkUser('alice@acme.test')) && (await dingtalkUser('bob@acme.test')), 'alice and bob in DingTalk', 60_000);
  // Nobody triggered the downstream tasks: only the fan-out of hub changes did, as real-time runs.
  expect(await stack.runsOf(stack.feishuTaskId, 'manual')).toBe(0);
  expect(await stack.runsOf(stack.feishuTaskId, 'realtime')).toBeGreaterThan(0);
  expect(await stack.runsOf(stack.dingtalkTaskId, 'realtime')).toBeGreaterThan(0);
});

test('a second run of each task right after is a no-op (WeCom upstream, Feishu and DingTalk downstream)', async () => {
  for (const taskId of [stack.upstreamId, stack.feishuTaskId, stack.dingtalkTaskId]) await stack.runtime.idle(taskId);
  for (const taskId of [stack.upstreamId, stack.feishuTaskId, stack.dingtalkTaskId]) {
    const { run, items } = await stack.runtime.manualRun(taskId);
    expect([run.status, items]).toEqual(['succeeded', []]);
  }
});

test('create: a person added in WeCom appears in Feishu and DingTalk', async () => {
  await stack.wecomApi('/user/create', { ...carol, department: [2] });
  const answer = await stack.emitWecom({ ChangeType: 'create_user', UserID: 'carol' });
  expect(answer.status).toBe(200);
  const inFeishu = await eventually(() => feishuUser(carol.email), 'carol in Feishu');
  const inDingtalk = await eventually(() => dingtalkUser(carol.email), 'carol in DingTalk');
  expect(inFeishu).toBeDefined();
  expect(inDingtalk).toBeDefined();
  expect(inFeishu).toMatchObject({ name: 'Carol Zhang', job_title: 'Engineer' });
  expect(inDingtalk).toMatchObject({ name: 'Carol Zhang', title: 'Engineer' });
  expect(inFeishu!.department_ids).toEqual(await feishuDepartmentIdsOf(['Engineering']));
  expect(inDingtalk!.dept_id_list).toEqual([await dingtalkDepartmentIdOf('Engineering')]);
});

test('the real-time upstream run re-read only the touched person', async () => {
  const [run] = await database.db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.taskId, stack.upstreamId), eq(syncRuns.trigger, 'realtime')));
  expect(run.changedIds?.userIds).toEqual(['carol']);
  expect(run.status).toBe('succeeded');
});

test('update: a new name and title in WeCom reach both apps', async () => {
  await stack.wecomApi('/user/update', { userid: 'carol', name: 'Carol Zhang-Li', position: 'Staff engineer' });
  await stack.emitWecom({ ChangeType: 'update_user', UserID: 'carol' });
  await eventually(async () => (await feishuUser(carol.email))?.name === 'Carol Zhang-Li', 'the new name in Feishu');
  await eventually(async () => (await dingtalkUser(carol.email))?.title === 'Staff engineer', 'the new title in DingTalk');
  expect(await feishuUser(carol.email)).toMatchObject({ job_title: 'Staff engineer' });
  expect(await dingtalkUser(carol.email)).toMatchObject({ name: 'Carol Zhang-Li' });
});

test('move: a person moved to Sales in WeCom moves in both apps', async () => {
  await stack.wecomApi('/user/update', { userid: 'carol', department: [3] });
  await stack.emitWecom({ ChangeType: 'update_user', UserID: 'carol', Department: '3' });
  const sales = await feishuDepartmentIdsOf(['Sales']);
  await eventually(async () => JSON.stringify((await feishuUser(carol.email))?.department_ids) === JSON.stringify(sales), 'carol in Sales in Feishu');
  const dingtalkSales = await dingtalkDepartmentIdOf('Sales');
  await eventually(async () => JSON.stringify((await dingtalkUser(carol.email))?.dept_id_list) === JSON.stringify([dingtalkSales]), 'carol in Sales in DingTalk');
});

test('offboard: a person deleted in WeCom is frozen in Feishu and staged for deletion in DingTalk (no freeze there)', async () => {
  await stack.wecomApi('/user/delete', { userid: 'carol' }, 'GET');
  await stack.emitWecom({ ChangeType: 'delete_user', UserID: 'carol' });
  await eventually(async () => (await feishuUser(carol.email))?.status?.is_frozen === true, 'carol frozen in Feishu');
  const staged = await eventually(async () => {
    const rows = await database.db.select().from(pendingDeletions).where(eq(pendingDeletions.taskId, stack.dingtalkTaskId));
    return rows.length > 0 ? rows : undefined;
  }, 'a staged deletion for carol in DingTalk');
  expect(staged!.map((r) => r.status)).toEqual(['PENDING']);
  // Deletion protection: she is still there until an approver executes it.
  expect(await dingtalkUser(carol.email)).toBeDefined();
  // Under the default guard: one leaver among eight is no mass offboarding, though the real-time runs read only her.
  const [feishuTask] = await database.db.select().from(syncTasks).where(eq(syncTasks.id, stack.feishuTaskId));
  expect(feishuTask.config).toMatchObject({ massOffboardingGuard: { maxDisablePercent: 20 } });
  expect(await database.db.select().from(pendingDeletions).where(eq(pendingDeletions.taskId, stack.feishuTaskId))).toEqual([]);
  // Everyone else is untouched.
  expect((await feishuUser('alice@acme.test'))?.status?.is_frozen).not.toBe(true);
  expect((await feishuUser('bob@acme.test'))?.status?.is_frozen).not.toBe(true);
});

/** Per child run the task workflow started after `since` (all its executions), the start time of the workflow task that commanded it. */
async function childStartTimes(workflowId: string, since: number): Promise<number[]> {
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
  const executions: { runId: string; startedAt: number }[] = [];
  for await (const execution of env.client.workflow.list({ query: `WorkflowId="${workflowId}"` })) executions.push({ runId: execution.runId, startedAt: execution.startTime.getTime() });
  const starts: number[] = [];
  for (const { runId } of executions.sort((a, b) => a.startedAt - b.startedAt)) {
    const events = (await env.client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    const byId = new Map(events.map((e) => [String(e.eventId), e]));
    for (const e of events) {
      if (!e.startChildWorkflowExecutionInitiatedEventAttributes) continue;
      const completed = byId.get(String(e.startChildWorkflowExecutionInitiatedEventAttributes.workflowTaskCompletedEventId));
      const started = byId.get(String(completed?.workflowTaskCompletedEventAttributes?.startedEventId));
      const at = ms(started?.eventTime);
      if (at >= since) starts.push(at);
    }
  }
  return starts;
}

test('a burst of 500 events becomes a handful of runs, not 500', async () => {
  const before = await stack.runsOf(stack.upstreamId);
  const inboxBefore = await stack.inboxRows();
  const began = Date.now();
  // 500 distinct deliveries (each its own event in the inbox) about alice and bob, 25 at a time.
  for (let i = 0; i < 500; i += 25) {
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, k) => stack.emitWecom({ ChangeType: 'update_user', UserID: (i + k) % 2 ? 'alice' : 'bob', Sequence: i + k })),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
  }
  expect((await stack.inboxRows()) - inboxBefore).toBe(500);
  await eventually(async () => {
    const state = await env.client.workflow.getHandle(taskWorkflowId(stack.upstreamId)).query(stateQuery);
    return !state.running && !state.pending.real;
  }, 'the upstream task to go idle', 60_000);
  const elapsedMs = Date.now() - began;
  const runs = (await stack.runsOf(stack.upstreamId)) - before;
  expect(runs).toBeGreaterThanOrEqual(1);
  // The throttle starts at most one run per window while signals keep coming, so the count follows
  // how long the burst took to reach the task and be worked off, and is nowhere near one run per
  // event. The window is the stack's realtimeDebounceMs (300 ms), not the product's 1 s default: the
  // "15 runs in 10.3 s" once seen here (more than one a second) was within one per 300 ms window.
  process.stdout.write(`burst: 500 events, ${runs} runs in ${elapsedMs} ms (window ${stack.debounceMs} ms)\n`);
  expect(runs).toBeLessThanOrEqual(Math.ceil(elapsedMs / stack.debounceMs) + 1);
  // Exactly, in the workflow's own clock: each run starts (the workflow task that commands its child
  // began, which is the workflow's Date.now()) at least one window after the one before.
  const starts = await childStartTimes(taskWorkflowId(stack.upstreamId), began);
  expect(starts.length).toBe(runs);
  const gaps = starts.slice(1).map((at, i) => at - starts[i]);
  expect(gaps.filter((gap) => gap < stack.debounceMs)).toEqual([]);
  expect(runs).toBeLessThan(50);
});

test('forged and replayed webhooks are refused and change nothing', async () => {
  await new Promise((resolve) => setTimeout(resolve, 1500)); // let any trailing run of the burst settle
  const runsBefore = await stack.runsOf(stack.upstreamId);
  const inboxBefore = await stack.inboxRows();
  const post = (d: ReturnType<typeof wecomEvent>) => fetch(`${stack.webhookUrl()}${queryString(d.query)}`, { method: 'POST', headers: d.headers, body: d.body });

  const forged = wecomEvent(wecomCredentials.corpId, { ChangeType: 'delete_user', UserID: 'alice' }, Date.now(), 'a-guessed-token');
  const stale = wecomEvent(wecomCredentials.corpId, { ChangeType: 'delete_user', UserID: 'alice' }, Date.now() - 10 * 60_000);
  expect((await post(forged)).status).toBe(401);
  expect((await post(stale)).status).toBe(401);

  // A captured, valid delivery sent twice: the first is a real change, the copy is acknowledged and ignored.
  const captured = wecomEvent(wecomCredentials.corpId, { ChangeType: 'update_user', UserID: 'alice' });
  expect((await post(captured)).status).toBe(200);
  await eventually(async () => (await stack.runsOf(stack.upstreamId)) === runsBefore + 1, 'the one run of the captured event');
  expect((await post(captured)).status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // longer than the debounce: a second run would have started
  expect(await stack.runsOf(stack.upstreamId)).toBe(runsBefore + 1);
  expect((await stack.inboxRows()) - inboxBefore).toBe(1);
  expect((await feishuUser('alice@acme.test'))?.status?.is_frozen).not.toBe(true);
});

test('no connector or callback secret reached a workflow history, a log line, an API answer, a stored row or a run export', async () => {
  const secrets = [wecomCredentials.corpSecret, feishuCredentials.appSecret, dingtalkCredentials.appSecret, ...Object.values(callbackKeys)];
  const { leaks, searched } = await scanForSecrets({ env, database, secretBox: stack.secretBox, secrets });
  expect(leaks).toEqual([]);
  expect(Math.min(searched.histories, searched.logLines, searched.apiAnswers, searched.rows, searched.exports)).toBeGreaterThan(0);
});
