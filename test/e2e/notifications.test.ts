/**
 * Run notifications end to end on the real Temporal dev server and Postgres: a WeCom task whose
 * secret is wrong fails its run, and every channel configured for it (global and per task: the WeCom
 * robot, the signed Feishu bot, the signed DingTalk robot, the HMAC webhook, email through a real
 * SMTP server) receives exactly one message; a robot's rate-limit answer is retried without sending
 * the others twice; the third failing run in a row also raises credentials_failing, and so does the
 * third run whose every write was refused for its token (revoked after the run read WeCom).
 */
import type { Context } from '@temporalio/activity';
import type { WorkerInterceptors, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import type { Database } from '../../db/client';
import { createNotificationChannels } from '../../db/repos/notification-channels';
import { createActivities } from '../../activities';
import { runWorkflowId, type SyncRunResult } from '../../workflows/definitions';
import { syncRunWorkflow } from '../../workflows/sync-run';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { openTestDatabase } from '../support/databases';
import { startNotificationReceivers, type RobotCredentials, type RunningReceivers } from '../support/notification-receivers';
import { startSmtpServer, type RunningSmtpServer } from '../support/smtp-server';
import { startLocalTemporal } from '../support/temporal';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { E2eStack, corpSecret, quietTemporalLogs, seedHubCompany } from './harness';

jest.setTimeout(120_000);

const creds: RobotCredentials = {
  wecomKey: `wk-${randomUUID()}`,
  feishuToken: `ft-${randomUUID()}`,
  feishuSecret: `fs-${randomUUID()}`,
  dingtalkToken: `dt-${randomUUID()}`,
  dingtalkSecret: `SEC${randomUUID()}`,
  webhookSecret: `whs-${randomUUID()}`,
};

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let database: Database;
let stack: E2eStack;
let wecom: RunningWecomFake;
let receivers: RunningReceivers;
let smtp: RunningSmtpServer;
let taskId: string;

beforeAll(async () => {
  quietTemporalLogs();
  [env, bundle, database, wecom, receivers, smtp] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase('postgres'), E2eStack.startWecom(), startNotificationReceivers(creds), startSmtpServer()]);
  stack = new E2eStack(env, bundle, database);
  const body = stack.wecomTask(wecom);
  taskId = await stack.insertTask({ ...body, connector: { ...body.connector, secrets: { corpSecret: 'not-the-secret' } } });
  const otherTask = await stack.insertTask(stack.wecomTask(wecom));
  const channels = createNotificationChannels(database.db, { secretBox: stack.secretBox });
  const admin = 'token:admin:test';
  await channels.create({ name: 'ops group (WeCom)', kind: 'wecom-robot', secrets: { webhookUrl: receivers.urls.wecom } }, admin);
  await channels.create({ name: 'ops mail', kind: 'email', settings: { host: smtp.host, port: smtp.port, from: 'sync@example.test', to: ['ops@example.test', 'it@example.test'] }, secrets: {} }, admin);
  await channels.create({ name: 'IM team (Feishu)', taskId, kind: 'feishu-bot', secrets: { webhookUrl: receivers.urls.feishu, signingSecret: creds.feishuSecret } }, admin);
  await channels.create({ name: 'IM team (DingTalk)', taskId, kind: 'dingtalk-robot', secrets: { webhookUrl: receivers.urls.dingtalk, signingSecret: creds.dingtalkSecret } }, admin);
  await channels.create({ name: 'SIEM', taskId, kind: 'webhook', secrets: { url: receivers.urls.webhook, signingSecret: creds.webhookSecret } }, admin);
  // Neither of these may hear about this task's failed runs.
  await channels.create({ name: 'other task', taskId: otherTask, kind: 'webhook', secrets: { url: receivers.urls.webhook, signingSecret: creds.webhookSecret } }, admin);
  await channels.create({ name: 'approvers only', kind: 'wecom-robot', events: ['deletions_pending'], secrets: { webhookUrl: receivers.urls.wecom } }, admin);
});

afterAll(async () => {
  await smtp?.close();
  await receivers?.close();
  await wecom?.close();
  await database?.close();
  await env?.teardown();
});

/** A run of the task (the one with the wrong secret unless told) that does not succeed. */
async function failingRun(
  options: { task?: string; interceptors?: WorkerInterceptors; status?: 'failed' | 'partially_failed' } = {},
): Promise<{ runId: string; history: string }> {
  const task = options.task ?? taskId;
  const taskQueue = stack.newTaskQueue();
  const worker = await stack.startWorker(taskQueue, { interceptors: options.interceptors });
  const runId = randomUUID();
  const workflowId = runWorkflowId(task, runId);
  await worker.runUntil(async () => {
    const outcome = await env.client.workflow.execute(syncRunWorkflow, { taskQueue, workflowId, args: [{ taskId: task, runId }] }).then(
      (r: SyncRunResult) => r.status,
      () => 'failed',
    );
    expect(outcome).toBe(options.status ?? 'failed');
  });
  const history = JSON.stringify(await env.client.workflow.getHandle(workflowId).fetchHistory());
  return { runId, history };
}

const counts = () => {
  const byKind: Record<string, number> = {};
  for (const m of receivers.received) byKind[m.kind] = (byKind[m.kind] ?? 0) + 1;
  return { ...byKind, email: smtp.messages.length };
};

test('a failed run sends exactly one message per configured channel, a rate-limited robot is retried alone', async () => {
  receivers.failNext('dingtalk-robot', 1);
  const { runId, history } = await failingRun();
  // WeCom's 40001 is a credential refusal: the run records it as such (credentials_failing counts these).
  expect(await stack.runRow(runId)).toMatchObject({ status: 'failed', error: expect.stringContaining('40001'), failureClass: 'auth' });
  expect(counts()).toEqual({ 'wecom-robot': 1, 'feishu-bot': 1, 'dingtalk-robot': 1, webhook: 1, email: 1 });
  expect(receivers.refused).toEqual([]);
  for (const m of receivers.received) expect(JSON.stringify(m.body)).toContain('Sync run failed');
  const webhookBody = receivers.received.find((m) => m.kind === 'webhook')!.body;
  expect(webhookBody).toMatchObject({ event: 'run_failed', taskId, runId, details: { status: 'failed' } });
  const mail = smtp.messages[0];
  expect(mail.rcptTos.sort()).toEqual(['it@example.test', 'ops@example.test']);
  expect(mail.data).toMatch(/Subject: \[Sync Center\] Sync run failed/);
  expect(mail.data).toContain(runId);
  // Channel secrets never travel through Temporal.
  for (const secret of Object.values(creds)) expect(history).not.toContain(secret);

  // The activity again (a replayed or duplicated attempt): everything was sent already.
  const again = await createActivities({ database, secretBox: stack.secretBox }).notifyRun({ runId });
  expect(again).toEqual({ sent: 0, alreadySent: 5 });
  expect(counts()).toEqual({ 'wecom-robot': 1, 'feishu-bot': 1, 'dingtalk-robot': 1, webhook: 1, email: 1 });
});

test('the third run in a row refused by the vendor raises credentials_failing once per channel', async () => {
  await failingRun();
  expect(receivers.received.filter((m) => JSON.stringify(m.body).includes('Credentials failing'))).toHaveLength(0);
  const { runId } = await failingRun();
  const third = receivers.received.filter((m) => JSON.stringify(m.body).includes(runId));
  expect(third.map((m) => m.kind).sort()).toEqual(['dingtalk-robot', 'dingtalk-robot', 'feishu-bot', 'feishu-bot', 'webhook', 'webhook', 'wecom-robot', 'wecom-robot']);
  const credentialMessages = third.filter((m) => JSON.stringify(m.body).includes('Credentials failing'));
  expect(credentialMessages).toHaveLength(4);
  expect(credentialMessages.find((m) => m.kind === 'webhook')!.body).toMatchObject({ event: 'credentials_failing', details: { consecutiveFailures: 3 } });
  expect(smtp.messages.filter((m) => m.data.includes('Credentials failing'))).toHaveLength(1);
  expect(receivers.refused).toEqual([]);
});

test('staged deletions raise deletions_pending with their count and link; the guard holding freezes raises guard_tripped', async () => {
  const channels = createNotificationChannels(database.db, { secretBox: stack.secretBox });
  const [wecomA, wecomB] = await Promise.all([E2eStack.startWecom(), E2eStack.startWecom()]);
  try {
    const hub = createHubDirectory(database.db);
    const ids = await seedHubCompany(hub);
    const deleting = await stack.insertTask(stack.wecomTask(wecomA)); // offboarding: delete
    const freezing = await stack.insertTask(stack.wecomTask(wecomB, { offboarding: 'disable' }));
    for (const [task, name] of [[deleting, 'deletes'], [freezing, 'freezes']]) {
      await channels.create({ name, taskId: task, kind: 'webhook', secrets: { url: receivers.urls.webhook, signingSecret: creds.webhookSecret } }, 'token:admin:test');
    }
    expect((await stack.run(deleting)).status).toBe('succeeded');
    expect((await stack.run(freezing)).status).toBe('succeeded');
    const webhookEvents = (task: string) => receivers.received.filter((m) => m.kind === 'webhook' && m.body.taskId === task).map((m) => m.body);
    expect([...webhookEvents(deleting), ...webhookEvents(freezing)]).toEqual([]); // a clean run announces nothing

    // Two of five leave: the freezing task's guard (20 %) holds both freezes; then deleted from the hub, the deleting task stages their deletes.
    await hub.offboard(ids.get('dave')!, 'test');
    await hub.offboard(ids.get('erin')!, 'test');
    await stack.run(freezing);
    const frozen = webhookEvents(freezing);
    expect(frozen.map((b) => b.event)).toEqual(['guard_tripped']);
    expect(frozen[0]).toMatchObject({ details: { count: 2, approvalsUrl: `/api/v1/pending-deletions?taskId=${encodeURIComponent(freezing)}&status=PENDING` } });

    await hub.deleteUser(ids.get('dave')!, 'test');
    await hub.deleteUser(ids.get('erin')!, 'test');
    const approversBefore = receivers.received.filter((m) => m.kind === 'wecom-robot' && JSON.stringify(m.body).includes('wait for approval')).length;
    const deletedRun = await stack.run(deleting);
    const deleted = webhookEvents(deleting);
    expect(deleted.map((b) => b.event)).toContain('deletions_pending');
    expect(deleted.find((b) => b.event === 'deletions_pending')).toMatchObject({ runId: deletedRun.runId, details: { count: 2, approvalsUrl: expect.stringContaining(`taskId=${encodeURIComponent(deleting)}`) } });
    // Both global WeCom robots hear of it: the one for every event and the approvers-only one.
    const approversAfter = receivers.received.filter((m) => m.kind === 'wecom-robot' && JSON.stringify(m.body).includes('wait for approval')).length;
    expect(approversAfter - approversBefore).toBe(2);
    expect(receivers.refused).toEqual([]);
  } finally {
    await Promise.all([wecomA.close(), wecomB.close()]);
  }
});

test('a channel that refuses (a wrong signing secret) is not retried, leaves the run as it was and the others delivered', async () => {
  const channels = createNotificationChannels(database.db, { secretBox: stack.secretBox });
  const body = stack.wecomTask(wecom);
  const previous = taskId;
  taskId = await stack.insertTask({ ...body, connector: { ...body.connector, secrets: { corpSecret: 'also-not-the-secret' } } });
  try {
    await channels.create({ name: 'misconfigured Feishu', taskId, kind: 'feishu-bot', secrets: { webhookUrl: receivers.urls.feishu, signingSecret: 'a-wrong-signing-secret' } }, 'token:admin:test');
    await channels.create({ name: 'SIEM 2', taskId, kind: 'webhook', secrets: { url: receivers.urls.webhook, signingSecret: creds.webhookSecret } }, 'token:admin:test');
    const refusedBefore = receivers.refused.length;
    const { runId, history } = await failingRun();
    expect(await stack.runRow(runId)).toMatchObject({ status: 'failed' });
    expect(receivers.refused.slice(refusedBefore)).toEqual([{ kind: 'feishu-bot', code: 19021, msg: expect.stringContaining('sign match fail') }]); // once: not retried
    expect(receivers.received.filter((m) => m.kind === 'webhook' && m.body.runId === runId).map((m) => m.body.event)).toEqual(['run_failed']);
    expect(history).toContain('NotificationFailed');
    expect(history).toContain('19021');
    for (const secret of ['a-wrong-signing-secret', creds.feishuToken, creds.webhookSecret, creds.wecomKey]) expect(history).not.toContain(secret);
  } finally {
    taskId = previous;
  }
});

test('a token revoked mid-run fails every write as auth: the run records auth from its items, the third such run raises credentials_failing', async () => {
  const revoking = await E2eStack.startWecom();
  try {
    const hub = createHubDirectory(database.db);
    const department = await hub.createDepartment({ name: `Revoked ${randomUUID().slice(0, 8)}` }, 'test');
    await hub.createUser({ username: `rev-${randomUUID().slice(0, 8)}`, name: 'Revo Ked', email: `${department.id}@revoked.test`, departmentIds: [department.id], mainDepartmentId: department.id }, 'test');
    const task = await stack.insertTask(stack.wecomTask(revoking));
    await createNotificationChannels(database.db, { secretBox: stack.secretBox }).create(
      { name: 'SIEM (revoked)', taskId: task, kind: 'webhook', secrets: { url: receivers.urls.webhook, signingSecret: creds.webhookSecret } },
      'token:admin:test',
    );
    // The run reads WeCom with a good token; as its writes begin, the admin resets the secret: the
    // token is refused (40014), a new one cannot be had (40001), so every write fails.
    const interceptors: WorkerInterceptors = {
      activity: [
        (ctx: Context) => ({
          inbound: {
            execute: async (input, next) => {
              if (ctx.info.activityType === 'applyBatch') revoking.setSecret(`reset-${randomUUID()}`);
              return next(input);
            },
          },
        }),
      ],
    };
    const events = (runId: string) => receivers.received.filter((m) => m.kind === 'webhook' && m.body.runId === runId).map((m) => m.body.event);
    const runIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      revoking.setSecret(corpSecret);
      // The department's create fails; its member, whose department never came to be, waits (skipped).
      const { runId } = await failingRun({ task, interceptors, status: 'partially_failed' });
      runIds.push(runId);
      expect(await stack.runRow(runId)).toMatchObject({ status: 'partially_failed', failureClass: 'auth' });
      const failed = (await stack.items(runId)).filter((item) => item.status === 'failed');
      expect(failed.length).toBeGreaterThan(0);
      for (const item of failed) expect({ code: item.errorCode, failureClass: item.failureClass }).toEqual({ code: '40001', failureClass: 'auth' });
    }
    expect(runIds.map(events)).toEqual([['run_partially_failed'], ['run_partially_failed'], ['run_partially_failed', 'credentials_failing']]);
    expect(receivers.received.find((m) => m.kind === 'webhook' && m.body.runId === runIds[2] && m.body.event === 'credentials_failing')!.body).toMatchObject({
      details: { consecutiveFailures: 3 },
    });
  } finally {
    await revoking.close();
  }
});
