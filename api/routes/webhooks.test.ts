import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { CallbackCipher } from '../../connectors/shared/callback-crypto';
import { syncTasks, webhookInbox } from '../../db/schema';
import { createSecretBox } from '../../db/secret-box';
import type { TaskConfigInput } from '../../engine/task-config';
import { describeOnBothDatabases } from '../../test/support/databases';
import { startTestApi } from '../testing';
import { drainWebhookInbox } from '../webhooks/inbox-drain';
import {
  callbackKeys,
  dingtalkEvent,
  feishuDelivery,
  feishuUserEvent,
  insertTask,
  queryString,
  recordingSignaller,
  webhookSecrets,
  wecomEvent,
  wecomUrlCheck,
  type Delivery,
  type RecordingSignaller,
} from '../webhooks/testing';

const corpId = 'ww-webhook-test';
const appKey = 'ding-app-key';
const minutes = (n: number) => n * 60_000;

describeOnBothDatabases('webhook route', (ctx) => {
  const secretBox = createSecretBox(randomBytes(32));
  let app: FastifyInstance;
  let signaller: RecordingSignaller;

  const upstream = (kind: 'wecom' | 'feishu' | 'dingtalk', overrides: Partial<TaskConfigInput> = {}): TaskConfigInput => ({
    name: `${kind} to hub ${randomBytes(3).toString('hex')}`,
    direction: 'upstream',
    connector: {
      kind,
      settings: { baseUrl: 'http://127.0.0.1:1/api', oapiBaseUrl: 'http://127.0.0.1:1', corpId: `${corpId}-${randomBytes(3).toString('hex')}`, appId: 'cli_x', appKey },
      secrets: { corpSecret: 's', appSecret: 's', ...webhookSecrets[kind] },
    },
    triggers: { manual: true, realtime: true },
    ...overrides,
  });

  /** WeCom tasks need their own corp id (one app is never on both sides); events are encrypted for it. */
  async function wecomTask(overrides: Partial<TaskConfigInput> = {}): Promise<{ id: string; corp: string }> {
    const body = upstream('wecom', overrides);
    const id = await insertTask(ctx.database, secretBox, body);
    return { id, corp: (body.connector.settings as { corpId: string }).corpId };
  }

  const deliver = (taskId: string, d: Delivery) => app.inject({ method: d.method, url: `/api/v1/webhooks/${taskId}${queryString(d.query)}`, headers: d.headers, payload: d.body });
  const inboxOf = (taskId: string) => ctx.database.db.select().from(webhookInbox).where(eq(webhookInbox.taskId, taskId));

  beforeEach(async () => {
    signaller = recordingSignaller();
    app = (await startTestApi(ctx.database, { secretBox, realtime: signaller })).app;
  });
  afterEach(async () => app.close());

  describe('WeCom', () => {
    it('answers the URL check with the decrypted echostr as plain text, without a token and without storing anything', async () => {
      const { id, corp } = await wecomTask();
      const res = await deliver(id, wecomUrlCheck(corp, 'echo-1234'));
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toBe('echo-1234');
      expect(await inboxOf(id)).toEqual([]);
    });

    it('stores an accepted event, signals the task with the changed id, and marks the row signalled', async () => {
      const { id, corp } = await wecomTask();
      const res = await deliver(id, wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' }));
      expect(res.statusCode).toBe(200);
      expect(signaller.sent).toEqual([{ taskId: id, trigger: { trigger: 'realtime', changedIds: ['alice'] } }]);
      const [row] = await inboxOf(id);
      expect(row).toMatchObject({ connectorKind: 'wecom', eventType: 'change_contact:update_user', changes: [{ entity: 'user', id: 'alice', kind: 'updated' }] });
      expect(row.dedupKey).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(row.signalledAt).toBeInstanceOf(Date);
    });

    it("acknowledges a vendor's retry of a stored event without storing or signalling it again", async () => {
      const { id, corp } = await wecomTask();
      const event = wecomEvent(corp, { ChangeType: 'delete_user', UserID: 'bob' });
      expect((await deliver(id, event)).statusCode).toBe(200);
      expect((await deliver(id, event)).statusCode).toBe(200);
      expect(await inboxOf(id)).toHaveLength(1);
      expect(signaller.sent).toHaveLength(1);
    });

    it('refuses a forged signature, a stale timestamp and one from the future with 401, storing nothing', async () => {
      const { id, corp } = await wecomTask();
      const forged = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'mallory' }, Date.now(), 'not-the-token');
      const stale = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' }, Date.now() - minutes(6));
      const future = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' }, Date.now() + minutes(6));
      const tampered = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' });
      tampered.query.nonce = `${tampered.query.nonce}1`;
      const answers = await Promise.all([forged, stale, future, tampered].map((d) => deliver(id, d)));
      expect(answers.map((r) => [r.statusCode, r.json().error])).toEqual([
        [401, 'invalid_signature'],
        [401, 'stale_request'],
        [401, 'stale_request'],
        [401, 'invalid_signature'],
      ]);
      expect((await deliver(id, wecomUrlCheck(corp, 'x', Date.now() - minutes(10)))).statusCode).toBe(401);
      expect(await inboxOf(id)).toEqual([]);
      expect(signaller.sent).toEqual([]);
    });

    it('refuses an event encrypted for another corp', async () => {
      const { id } = await wecomTask();
      const res = await deliver(id, wecomEvent('ww-someone-else', { ChangeType: 'update_user', UserID: 'alice' }));
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/receive id/);
    });

    it('answers 200 and stores nothing for events that change no one (update_tag)', async () => {
      const { id, corp } = await wecomTask();
      expect((await deliver(id, wecomEvent(corp, { ChangeType: 'update_tag', TagId: '3' }))).statusCode).toBe(200);
      expect(await inboxOf(id)).toEqual([]);
      expect(signaller.sent).toEqual([]);
    });

    it('keeps the event when the signal fails, and the drain signals it later', async () => {
      const { id, corp } = await wecomTask();
      signaller.failing = true;
      expect((await deliver(id, wecomEvent(corp, { ChangeType: 'create_user', UserID: 'carol' }))).statusCode).toBe(200);
      expect((await inboxOf(id))[0].signalledAt).toBeNull();
      signaller.failing = false;
      const drained = await drainWebhookInbox({ database: ctx.database, signaller });
      expect(drained.failed).toBe(0);
      expect(drained.signalled).toBeGreaterThanOrEqual(1);
      expect(signaller.sent).toContainEqual({ taskId: id, trigger: { trigger: 'realtime', changedIds: ['carol'] } });
      expect((await inboxOf(id))[0].signalledAt).toBeInstanceOf(Date);
    });
  });

  describe('which tasks take events', () => {
    it('404 for an unknown, deleted or downstream task', async () => {
      const { id: deleted, corp } = await wecomTask();
      await ctx.database.db.update(syncTasks).set({ deletedAt: new Date() }).where(eq(syncTasks.id, deleted));
      const downstream = await insertTask(ctx.database, secretBox, { ...upstream('wecom'), direction: 'downstream' });
      const event = () => wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' });
      for (const id of ['task-unknown', deleted, downstream]) {
        const res = await deliver(id, event());
        expect([id, res.statusCode, res.json().error]).toEqual([id, 404, 'not_found']);
      }
    });

    it('409 for a disabled task, for real time off, and for missing callback secrets (named, never shown)', async () => {
      const disabled = await wecomTask({ enabled: false });
      const realtimeOff = await wecomTask({ triggers: { manual: true, realtime: false } });
      const noSecrets = upstream('wecom');
      noSecrets.connector.secrets = { corpSecret: 's' };
      const bare = { id: await insertTask(ctx.database, secretBox, noSecrets), corp: (noSecrets.connector.settings as { corpId: string }).corpId };
      const answers = await Promise.all([disabled, realtimeOff, bare].map((t) => deliver(t.id, wecomEvent(t.corp, { ChangeType: 'update_user', UserID: 'a' }))));
      expect(answers.map((r) => [r.statusCode, r.json().error])).toEqual([
        [409, 'task_disabled'],
        [409, 'realtime_off'],
        [409, 'webhook_not_configured'],
      ]);
      expect(answers[2].json().message).toContain('connector.secrets.callbackToken');
      expect(answers.map((r) => r.body).join()).not.toContain(callbackKeys.aesKey);
      // The URL check works before real time is switched on, so the vendor side can be set up first.
      expect((await deliver(realtimeOff.id, wecomUrlCheck(realtimeOff.corp, 'ok'))).body).toBe('ok');
      for (const t of [disabled, realtimeOff, bare]) expect(await inboxOf(t.id)).toEqual([]);
    });

    it('503 without a signaller, storing nothing (the vendor retries)', async () => {
      await app.close();
      app = (await startTestApi(ctx.database, { secretBox })).app;
      const { id, corp } = await wecomTask();
      expect((await deliver(id, wecomEvent(corp, { ChangeType: 'update_user', UserID: 'a' }))).statusCode).toBe(503);
      expect(await inboxOf(id)).toEqual([]);
    });
  });

  describe('Feishu', () => {
    it('answers url_verification with the challenge', async () => {
      const id = await insertTask(ctx.database, secretBox, upstream('feishu'));
      const res = await deliver(id, feishuDelivery({ type: 'url_verification', challenge: 'ch-42', token: callbackKeys.feishuVerificationToken }, Date.now(), { signed: false }));
      expect([res.statusCode, res.json()]).toEqual([200, { challenge: 'ch-42' }]);
    });

    it('stores events by event_id: a retry with a fresh signature is acknowledged, not stored again', async () => {
      const id = await insertTask(ctx.database, secretBox, upstream('feishu'));
      const event = feishuUserEvent('contact.user.updated_v3', 'u-7', 'evt-1');
      expect((await deliver(id, feishuDelivery(event))).statusCode).toBe(200);
      expect((await deliver(id, feishuDelivery(event, Date.now() + 1000))).statusCode).toBe(200);
      const rows = await inboxOf(id);
      expect(rows.map((r) => [r.dedupKey, r.eventType, r.changes])).toEqual([['event_id:evt-1', 'contact.user.updated_v3', [{ entity: 'user', id: 'u-7', kind: 'updated' }]]]);
      expect(signaller.sent).toEqual([{ taskId: id, trigger: { trigger: 'realtime', changedIds: ['u-7'] } }]);
    });

    it('refuses an event signed with another key, a wrong verification token, and an unsigned event', async () => {
      const id = await insertTask(ctx.database, secretBox, upstream('feishu'));
      const otherKey = feishuDelivery(feishuUserEvent('contact.user.created_v3', 'x'), Date.now(), { encryptKey: 'another-key' });
      const wrongToken = feishuUserEvent('contact.user.created_v3', 'y');
      (wrongToken.header as Record<string, string>).token = 'forged';
      const unsigned = feishuDelivery(feishuUserEvent('contact.user.created_v3', 'z'), Date.now(), { signed: false });
      const answers = await Promise.all([otherKey, feishuDelivery(wrongToken), unsigned].map((d) => deliver(id, d)));
      expect(answers.map((r) => r.statusCode)).toEqual([401, 401, 401]);
      expect(await inboxOf(id)).toEqual([]);
    });
  });

  describe('DingTalk', () => {
    const decryptReply = (body: string) => {
      const reply = JSON.parse(body) as { msg_signature: string; timeStamp: string; nonce: string; encrypt: string };
      return new CallbackCipher({ token: callbackKeys.token, encodingAesKey: callbackKeys.aesKey, receiveId: appKey }).open({ signature: reply.msg_signature, timestamp: reply.timeStamp, nonce: reply.nonce, encrypt: reply.encrypt });
    };

    it('answers check_url with the encrypted "success" and stores nothing', async () => {
      const id = await insertTask(ctx.database, secretBox, upstream('dingtalk'));
      const res = await deliver(id, dingtalkEvent(appKey, { EventType: 'check_url' }));
      expect(res.statusCode).toBe(200);
      expect(decryptReply(res.body)).toBe('success');
      expect(await inboxOf(id)).toEqual([]);
    });

    it('stores a user event with every id and signals them together', async () => {
      const id = await insertTask(ctx.database, secretBox, upstream('dingtalk'));
      const res = await deliver(id, dingtalkEvent(appKey, { EventType: 'user_modify_org', UserId: ['u1', 'u2'], CorpId: 'ding-corp', TimeStamp: '1' }));
      expect(decryptReply(res.body)).toBe('success');
      expect((await inboxOf(id))[0].changes.map((c) => c.id)).toEqual(['u1', 'u2']);
      expect(signaller.sent).toEqual([{ taskId: id, trigger: { trigger: 'realtime', changedIds: ['u1', 'u2'] } }]);
    });

    it('refuses an event encrypted for the corp id when the app key is the receive id, and a millisecond timestamp 6 minutes old', async () => {
      const id = await insertTask(ctx.database, secretBox, upstream('dingtalk'));
      const answers = await Promise.all([
        deliver(id, dingtalkEvent('ding-corp', { EventType: 'user_add_org', UserId: ['u1'] })),
        deliver(id, dingtalkEvent(appKey, { EventType: 'user_add_org', UserId: ['u1'] }, Date.now() - minutes(6))),
      ]);
      expect(answers.map((r) => [r.statusCode, r.json().error])).toEqual([
        [401, 'invalid_signature'],
        [401, 'stale_request'],
      ]);
      expect(await inboxOf(id)).toEqual([]);
    });
  });
});
