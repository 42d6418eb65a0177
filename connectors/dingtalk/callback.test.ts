import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChangeEvent } from '../../engine/model';
import { CallbackCipher } from '../shared/callback-crypto';
import { fakeControl } from '../shared/test-helpers';
import { loadCallbackVectors } from '../shared/test-vectors';
import { CallbackVerificationError, DingtalkCallback, parseDingtalkEvent } from './callback';
import { startDingtalkFake, type RunningDingtalkFake } from './fake';

const vectors = loadCallbackVectors().dingtalk;

describe('DingTalk callback crypto: the official vectors', () => {
  it('has both vectors', () => {
    expect(vectors).toHaveLength(2);
  });

  it.each(vectors.map((v) => [v.source, v] as const))('%s: verifies, decrypts and parses', (_source, v) => {
    const callback = new DingtalkCallback({ token: v.token, aesKey: v.aesKey, receiveId: v.receiveId });
    const plaintext = callback.decrypt({ signature: v.signature, timestamp: v.timestamp, nonce: v.nonce }, { encrypt: v.encrypt });
    expect(plaintext).toBe(v.plaintext);
    // the other spelling of the query, and the raw JSON body, give the same answer
    expect(callback.decrypt({ msg_signature: v.signature, timeStamp: v.timestamp, nonce: v.nonce }, JSON.stringify({ encrypt: v.encrypt }))).toBe(v.plaintext);
    const received = callback.receive({ signature: v.signature, timestamp: v.timestamp, nonce: v.nonce }, { encrypt: v.encrypt });
    expect(received.events).toEqual([]);
    expect(received.eventType).toBe((JSON.parse(v.plaintext) as { EventType: string }).EventType);
  });

  it.each(vectors.map((v) => [v.source, v] as const))('%s: refuses a wrong signature and a wrong receive id', (_source, v) => {
    const callback = new DingtalkCallback({ token: v.token, aesKey: v.aesKey, receiveId: v.receiveId });
    const tampered = () => callback.decrypt({ signature: v.signature.replace(/^./, (c) => (c === '0' ? '1' : '0')), timestamp: v.timestamp, nonce: v.nonce }, { encrypt: v.encrypt });
    expect(tampered).toThrow(CallbackVerificationError);
    const other = new DingtalkCallback({ token: v.token, aesKey: v.aesKey, receiveId: 'dingsomeoneelse' });
    expect(() => other.decrypt({ signature: v.signature, timestamp: v.timestamp, nonce: v.nonce }, { encrypt: v.encrypt })).toThrow(
      expect.objectContaining({ reason: 'bad_receive_id' }),
    );
  });

  it('answers with the encrypted "success" DingTalk expects, signed over the ms timestamp', () => {
    const v = vectors[0];
    const callback = new DingtalkCallback({ token: v.token, aesKey: v.aesKey, receiveId: v.receiveId });
    const reply = callback.successReply('1608001896814', 'abcd1234');
    expect(Object.keys(reply).sort()).toEqual(['encrypt', 'msg_signature', 'nonce', 'timeStamp']);
    const cipher = new CallbackCipher({ token: v.token, encodingAesKey: v.aesKey, receiveId: v.receiveId });
    expect(cipher.open({ signature: reply.msg_signature, timestamp: reply.timeStamp, nonce: reply.nonce, encrypt: reply.encrypt })).toBe('success');
  });

  it('refuses missing configuration and malformed bodies by name', () => {
    expect(() => new DingtalkCallback({ token: 't', aesKey: '', receiveId: 'k' })).toThrow('aesKey is required');
    const v = vectors[0];
    const callback = new DingtalkCallback({ token: v.token, aesKey: v.aesKey, receiveId: v.receiveId });
    expect(() => callback.decrypt({ signature: v.signature, timestamp: v.timestamp, nonce: v.nonce }, '{not json')).toThrow('callback body is not JSON');
    expect(() => callback.decrypt({ signature: v.signature, timestamp: v.timestamp, nonce: v.nonce }, {})).toThrow('callback body has no "encrypt"');
    expect(() => callback.decrypt({ timestamp: v.timestamp, nonce: v.nonce }, { encrypt: v.encrypt })).toThrow('msg_signature');
  });

  it('checks the signature before decrypting: an undecryptable payload under a wrong signature is bad_signature', () => {
    const v = vectors[0];
    const callback = new DingtalkCallback({ token: v.token, aesKey: v.aesKey, receiveId: v.receiveId });
    const garbage = JSON.stringify({ encrypt: 'AAAA' + v.encrypt.slice(4, 20) });
    expect(() => callback.decrypt({ signature: v.signature, timestamp: v.timestamp, nonce: v.nonce }, garbage)).toThrow(expect.objectContaining({ reason: 'bad_signature' }));
  });
});

describe('DingTalk contact events → canonical change events', () => {
  it.each([
    ['user_add_org', 'UserId', 'user', 'created'],
    ['user_modify_org', 'UserId', 'user', 'updated'],
    ['user_leave_org', 'UserId', 'user', 'deleted'],
    ['org_dept_create', 'DeptId', 'department', 'created'],
    ['org_dept_modify', 'DeptId', 'department', 'updated'],
    ['org_dept_remove', 'DeptId', 'department', 'deleted'],
  ])('%s', (eventType, field, entity, kind) => {
    const { events } = parseDingtalkEvent(JSON.stringify({ EventType: eventType, [field]: field === 'DeptId' ? [12, 13] : ['a', 'b'], CorpId: 'ding1', TimeStamp: '1' }));
    expect(events.map(({ entity: e, id, kind: k }) => ({ entity: e, id, kind: k }))).toEqual(
      (field === 'DeptId' ? ['12', '13'] : ['a', 'b']).map((id) => ({ entity, id, kind })),
    );
    expect(new Set(events.map((e) => e.eventId)).size).toBe(2);
  });

  it('gives no events for check_url and other types, and refuses an event without ids', () => {
    expect(parseDingtalkEvent('{"EventType":"check_url"}').events).toEqual([]);
    expect(parseDingtalkEvent('{"EventType":"org_change"}').events).toEqual([]);
    expect(() => parseDingtalkEvent('{"EventType":"user_add_org"}')).toThrow('user_add_org event has no valid UserId list');
    expect(() => parseDingtalkEvent('{"EventType":"org_dept_remove","DeptId":[null]}')).toThrow('DeptId');
    expect(() => parseDingtalkEvent('[]')).toThrow('no EventType');
  });
});

describe('fake emit → callback receiver → parsed events', () => {
  const token = 'emit-token';
  const aesKey = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
  const appKey = 'dingemitkey';
  let fake: RunningDingtalkFake;
  let server: Server;
  let receiverUrl: string;
  let received: Array<{ eventType: string; events: ChangeEvent[] }>;
  let callback: DingtalkCallback;

  beforeEach(async () => {
    received = [];
    callback = new DingtalkCallback({ token, aesKey, receiveId: appKey });
    server = createServer((req, res) => {
      const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        try {
          const got = callback.receive(query, body);
          received.push({ eventType: got.eventType, events: got.events });
          res.end(JSON.stringify(got.reply));
        } catch (err) {
          res.statusCode = 403;
          res.end(err instanceof Error ? err.message : 'refused');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/task-1`;
    fake = await startDingtalkFake({ appKey, corpId: 'dingcorp1', port: 0, callback: { token, aesKey } });
  });
  afterEach(async () => {
    await fake.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('delivers signed, encrypted user and department events the receiver parses and acknowledges', async () => {
    const user = await fakeControl(fake, 'emit', { url: receiverUrl, event: { EventType: 'user_modify_org', UserId: ['dev', 'lead'] } });
    const dept = await fakeControl(fake, 'emit', { url: receiverUrl, event: { EventType: 'org_dept_remove', DeptId: [42] } });
    const check = await fakeControl(fake, 'emit', { url: receiverUrl, checkUrl: true });
    for (const r of [user, dept, check]) expect(r).toMatchObject({ status: 200, body: { ok: true, response: { status: 200, verified: true } } });
    expect(received.map((r) => r.eventType)).toEqual(['user_modify_org', 'org_dept_remove', 'check_url']);
    expect(received[0].events.map((e) => [e.entity, e.id, e.kind])).toEqual([
      ['user', 'dev', 'updated'],
      ['user', 'lead', 'updated'],
    ]);
    expect(received[1].events.map((e) => [e.entity, e.id, e.kind])).toEqual([['department', '42', 'deleted']]);
  });

  it('reports an unverified delivery when the receiver holds other keys', async () => {
    callback = new DingtalkCallback({ token: 'other-token', aesKey, receiveId: appKey });
    const r = await fakeControl(fake, 'emit', { url: receiverUrl, event: { EventType: 'user_add_org', UserId: ['x'] } });
    expect(r).toMatchObject({ status: 200, body: { response: { status: 403, verified: false } } });
    expect(received).toEqual([]);
  });

  it('encrypts for the corp id when the fake plays a legacy registration', async () => {
    const legacy = await startDingtalkFake({ appKey, corpId: 'dingcorp1', port: 0, callback: { token, aesKey, receiveId: 'corpId' } });
    try {
      callback = new DingtalkCallback({ token, aesKey, receiveId: 'dingcorp1' });
      const r = await fakeControl(legacy, 'emit', { url: receiverUrl, event: { EventType: 'user_leave_org', UserId: ['gone'] } });
      expect(r).toMatchObject({ body: { response: { verified: true } } });
      expect(received[0].events).toEqual([expect.objectContaining({ entity: 'user', id: 'gone', kind: 'deleted' })]);
    } finally {
      await legacy.close();
    }
  });

  it('refuses an emit without EventType or url, naming them', async () => {
    expect(await fakeControl(fake, 'emit', { url: receiverUrl, event: {} })).toMatchObject({ status: 400, body: { error: expect.stringContaining('EventType') } });
    expect(await fakeControl(fake, 'emit', { event: { EventType: 'x' } })).toMatchObject({ status: 400, body: { error: expect.stringContaining('url') } });
  });
});
