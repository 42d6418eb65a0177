import { createCipheriv, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { encryptFeishuEvent, feishuEventKey } from '../../connectors/feishu/callback';
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
/** The one answer to every request that fails verification, whatever failed. */
const refusedBody = '{"error":"unauthorized","message":"webhook request not verified"}';

function expectRefused(answers: LightMyRequestResponse[]): void {
  expect(answers.map((r) => [r.statusCode, r.headers['content-type'], r.body])).toEqual(answers.map(() => [401, 'application/json; charset=utf-8', refusedBody]));
}

describeOnBothDatabases('webhook route', (ctx) => {
  const secretBox = createSecretBox(randomBytes(32));
  let app: FastifyInstance;
  let signaller: RecordingSignaller;
  let logLines: string[];
  const logText = () => logLines.join('');

  const upstream = (kind: 'wecom' | 'feishu' | 'dingtalk', overrides: Partial<TaskConfigInput> = {}): TaskConfigInput => ({
    name: `${kind} to hub ${randomBytes(3).toString('hex')}`,
    direction: 'upstream',
    connector: {
      kind,
      // Each kind's own settings and secrets: the task body is checked against its kind's schemas.
      settings: {
        wecom: { baseUrl: 'http://127.0.0.1:1/api', corpId: `${corpId}-${randomBytes(3).toString('hex')}` },
        feishu: { baseUrl: 'http://127.0.0.1:1/api', appId: 'cli_x' },
        dingtalk: { oapiBaseUrl: 'http://127.0.0.1:1', corpId: `${corpId}-${randomBytes(3).toString('hex')}`, appKey },
      }[kind],
      secrets: { ...(kind === 'wecom' ? { corpSecret: 's' } : { appSecret: 's' }), ...webhookSecrets[kind] },
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
    logLines = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (logLines.push(String(chunk)), done()) });
    app = (await startTestApi(ctx.database, { secretBox, realtime: signaller, logger: { level: 'warn', stream } })).app;
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

    // Ids-only callbacks (VENDORS.md: new callback URLs since 2022) make two changes of one person in
    // one second the same plaintext. Deduplicated by content, the second was dropped: if the first
    // run had read the person before the second change, that change was lost until a full sync.
    it('stores and signals two deliveries of the same change in the same second: only a resent delivery is a retry', async () => {
      const { id, corp } = await wecomTask();
      const at = Date.now();
      const first = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' }, at);
      const second = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' }, at);
      expect((await deliver(id, first)).statusCode).toBe(200);
      expect((await deliver(id, second)).statusCode).toBe(200);
      expect((await deliver(id, second)).statusCode).toBe(200);
      // the signature is compared case-insensitively: a replay with it upper-cased is the same delivery
      expect((await deliver(id, { ...second, query: { ...second.query, msg_signature: second.query.msg_signature.toUpperCase() } })).statusCode).toBe(200);
      expect(await inboxOf(id)).toHaveLength(2);
      expect(signaller.sent).toHaveLength(2);
    });

    it('refuses a forged signature, a stale timestamp and one from the future with the same 401, storing nothing', async () => {
      const { id, corp } = await wecomTask();
      const forged = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'mallory' }, Date.now(), 'not-the-token');
      const stale = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' }, Date.now() - minutes(6));
      const future = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' }, Date.now() + minutes(6));
      const tampered = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' });
      tampered.query.nonce = `${tampered.query.nonce}1`;
      const answers = await Promise.all([forged, stale, future, tampered].map((d) => deliver(id, d)));
      expectRefused([...answers, await deliver(id, wecomUrlCheck(corp, 'x', Date.now() - minutes(10)))]);
      // The reason is for the operator's log only.
      expect(logText()).toContain('signature does not match');
      expect(logText()).toContain('more than 5 minutes');
      expect(await inboxOf(id)).toEqual([]);
      expect(signaller.sent).toEqual([]);
    });

    it('refuses an event encrypted for another corp, saying why only in the log', async () => {
      const { id } = await wecomTask();
      expectRefused([await deliver(id, wecomEvent('ww-someone-else', { ChangeType: 'update_user', UserID: 'alice' }))]);
      expect(logText()).toMatch(/receive id/);
      expect(logText()).toContain(id);
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
    it('gives an unknown, deleted or downstream task the same 401 as a bad signature: task ids cannot be probed', async () => {
      const { id: deleted, corp } = await wecomTask();
      await ctx.database.db.update(syncTasks).set({ deletedAt: new Date() }).where(eq(syncTasks.id, deleted));
      const downstream = await insertTask(ctx.database, secretBox, { ...upstream('wecom'), direction: 'downstream' });
      const event = () => wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' });
      expectRefused(await Promise.all(['task-unknown', deleted, downstream].map((id) => deliver(id, event()))));
      expect(logText()).toContain('no webhook for task task-unknown');
    });

    it('gives a task id that is no id at all (a NUL byte, other odd characters) the same 401, without asking the database', async () => {
      const { corp } = await wecomTask();
      const event = () => wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' });
      const odd = ['abc%00def', '%00', 'task%0Aid', 'x%E2%80%AEy', "a'b", 'a%20b', 'a.b'];
      expectRefused(await Promise.all(odd.map((id) => deliver(id, event()))));
      expect(logText()).toContain('not a task id');
      expect(logText()).not.toContain('\\u0000');
    });

    it('answers a task without callback secrets with the same 401 before any signature check, naming the secret only in the log', async () => {
      const noSecrets = upstream('wecom');
      noSecrets.connector.secrets = { corpSecret: 's' };
      const id = await insertTask(ctx.database, secretBox, noSecrets);
      const corp = (noSecrets.connector.settings as { corpId: string }).corpId;
      const unsigned: Delivery = { method: 'POST', query: {}, headers: { 'content-type': 'text/xml' }, body: '<xml/>' };
      expectRefused([await deliver(id, wecomEvent(corp, { ChangeType: 'update_user', UserID: 'a' })), await deliver(id, unsigned)]);
      expect(logText()).toContain('connector.secrets.callbackToken');
      expect(logText()).not.toContain(callbackKeys.aesKey);
      expect(await inboxOf(id)).toEqual([]);
    });

    it('409 for a verified event to a disabled task or one with real time off', async () => {
      const disabled = await wecomTask({ enabled: false });
      const realtimeOff = await wecomTask({ triggers: { manual: true, realtime: false } });
      const answers = await Promise.all([disabled, realtimeOff].map((t) => deliver(t.id, wecomEvent(t.corp, { ChangeType: 'update_user', UserID: 'a' }))));
      expect(answers.map((r) => [r.statusCode, r.json().error])).toEqual([
        [409, 'task_disabled'],
        [409, 'realtime_off'],
      ]);
      // An unverified request to the same tasks learns nothing about them.
      expectRefused(await Promise.all([disabled, realtimeOff].map((t) => deliver(t.id, wecomEvent(t.corp, { ChangeType: 'update_user', UserID: 'a' }, Date.now(), 'forged')))));
      // The URL check works before real time is switched on, so the vendor side can be set up first.
      expect((await deliver(realtimeOff.id, wecomUrlCheck(realtimeOff.corp, 'ok'))).body).toBe('ok');
      for (const t of [disabled, realtimeOff]) expect(await inboxOf(t.id)).toEqual([]);
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
      expectRefused(answers);
      expect(await inboxOf(id)).toEqual([]);
    });

    it('answers a payload that cannot be decrypted (bad padding) exactly like one that decrypts to non-JSON: no padding oracle', async () => {
      const id = await insertTask(ctx.database, secretBox, upstream('feishu'));
      // A last block that decrypts to 0x00 bytes: never valid PKCS#7.
      const iv = randomBytes(16);
      const cipher = createCipheriv('aes-256-cbc', feishuEventKey(callbackKeys.feishuEncryptKey), iv).setAutoPadding(false);
      const badPadding = Buffer.concat([iv, cipher.update(Buffer.alloc(32)), cipher.final()]).toString('base64');
      const notJson = encryptFeishuEvent(callbackKeys.feishuEncryptKey, 'this is not JSON');
      const unsigned = (encrypt: string): Delivery => ({ method: 'POST', query: {}, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ encrypt }) });
      const answers = await Promise.all([badPadding, notJson].map((e) => deliver(id, unsigned(e))));
      expectRefused(answers);
      expect(answers[0].rawPayload.equals(answers[1].rawPayload)).toBe(true);
      expect(logText()).toContain('cannot be decrypted');
      expect(logText()).toContain('not JSON');
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

    it('stores two deliveries of the same change in the same millisecond, and acknowledges a resent one without storing it', async () => {
      const id = await insertTask(ctx.database, secretBox, upstream('dingtalk'));
      const at = Date.now();
      const first = dingtalkEvent(appKey, { EventType: 'user_modify_org', UserId: ['u1'], CorpId: 'ding-corp', TimeStamp: String(at) }, at);
      const second = dingtalkEvent(appKey, { EventType: 'user_modify_org', UserId: ['u1'], CorpId: 'ding-corp', TimeStamp: String(at) }, at);
      const upperCased = { ...second, query: { ...second.query, signature: second.query.signature.toUpperCase() } };
      for (const delivery of [first, second, second, upperCased]) expect(decryptReply((await deliver(id, delivery)).body)).toBe('success');
      expect(await inboxOf(id)).toHaveLength(2);
      expect(signaller.sent).toHaveLength(2);
    });

    it('refuses an event encrypted for the corp id when the app key is the receive id, and a millisecond timestamp 6 minutes old', async () => {
      const id = await insertTask(ctx.database, secretBox, upstream('dingtalk'));
      const answers = await Promise.all([
        deliver(id, dingtalkEvent('ding-corp', { EventType: 'user_add_org', UserId: ['u1'] })),
        deliver(id, dingtalkEvent(appKey, { EventType: 'user_add_org', UserId: ['u1'] }, Date.now() - minutes(6))),
      ]);
      expectRefused(answers);
      expect(await inboxOf(id)).toEqual([]);
    });
  });

  describe('hostile requests', () => {
    /** Nested entities: 10 levels of 10 references over 100 characters, referenced `refs` times. */
    const entityBomb = (encrypt: string, refs: number) => {
      let entities = `<!ENTITY a0 "${'x'.repeat(100)}">`;
      for (let i = 1; i < 10; i++) entities += `<!ENTITY a${i} "${`&a${i - 1};`.repeat(10)}">`;
      return `<?xml version="1.0"?><!DOCTYPE xml [${entities}]><xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><Pad>${'&a9;'.repeat(refs)}</Pad></xml>`;
    };
    const encryptOf = (d: Delivery) => /<Encrypt><!\[CDATA\[([^\]]+)\]\]>/.exec(d.body ?? '')?.[1] ?? '';

    it('refuses a correctly signed body that carries a DOCTYPE', async () => {
      const { id, corp } = await wecomTask();
      const event = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' });
      expectRefused([await deliver(id, { ...event, body: `<!DOCTYPE xml>${event.body}` })]);
      expect(await inboxOf(id)).toEqual([]);
      expect(signaller.sent).toEqual([]);
    });

    it('refuses ten concurrent nested-entity bombs just under the body limit fast and without memory growth', async () => {
      const { id, corp } = await wecomTask();
      const deliveries = Array.from({ length: 10 }, () => {
        const event = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' });
        return { ...event, body: entityBomb(encryptOf(event), 15_000) };
      });
      expect(Buffer.byteLength(deliveries[0].body)).toBeGreaterThan(56 * 1024);
      expect(Buffer.byteLength(deliveries[0].body)).toBeLessThan(64 * 1024);
      const rssBefore = process.memoryUsage().rss;
      const started = Date.now();
      const answers = await Promise.all(deliveries.map((d) => deliver(id, d)));
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(128 * 1024 * 1024);
      expectRefused(answers);
      expect(await inboxOf(id)).toEqual([]);
    });

    it('answers 413 to a body over 64 KiB (the 112 KiB bomb seen in the wild) without reading it', async () => {
      const { id, corp } = await wecomTask();
      const event = wecomEvent(corp, { ChangeType: 'update_user', UserID: 'alice' });
      const res = await deliver(id, { ...event, body: entityBomb(encryptOf(event), 28_000) });
      expect([res.statusCode, res.json().error]).toEqual([413, 'FST_ERR_CTP_BODY_TOO_LARGE']);
      const feishuId = await insertTask(ctx.database, secretBox, upstream('feishu'));
      expect((await deliver(feishuId, { method: 'POST', query: {}, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ encrypt: 'A'.repeat(70_000) }) })).statusCode).toBe(413);
      expect(await inboxOf(id)).toEqual([]);
    });

    it('answers 413 as soon as a declared length is over the limit (here 512 KiB), before the body is sent', async () => {
      const { id } = await wecomTask();
      await app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.server.address() as AddressInfo;
      const status = await new Promise<number | string>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: `/api/v1/webhooks/${id}`, headers: { 'content-type': 'text/xml', 'content-length': String(512 * 1024) } });
        const timer = setTimeout(() => (req.destroy(), resolve('no answer within 5 s')), 5_000);
        req.on('response', (res) => (clearTimeout(timer), res.resume(), req.destroy(), resolve(res.statusCode ?? 0)));
        req.on('error', () => undefined);
        req.write('<xml>'.padEnd(1024, ' '));
      });
      expect(status).toBe(413);
    });
  });
});
