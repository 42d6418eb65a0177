import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XMLParser } from 'fast-xml-parser';
import type { ChangeEvent } from '../../engine/model';
import { loadCallbackVectors } from '../shared/test-vectors';
import { CallbackVerificationError, WecomCallback, parseChangeContact } from './callback';
import { startWecomFake, type RunningWecomFake } from './fake';
import { fakeControl } from './fake/test-helpers';

const vectors = loadCallbackVectors().wecom;

describe('WecomCallback on the official vectors', () => {
  it.each(vectors.map((v) => [v.source, v] as const))('%s: URL check and event', (_source, v) => {
    const callback = new WecomCallback({ token: v.token, encodingAesKey: v.encodingAesKey, corpId: v.receiveId });
    expect(callback.verifyUrl({ msg_signature: v.urlCheck.msgSignature, timestamp: v.urlCheck.timestamp, nonce: v.urlCheck.nonce, echostr: v.urlCheck.echostr })).toBe(
      v.urlCheck.plaintext,
    );
    const body = `<xml><ToUserName><![CDATA[${v.receiveId}]]></ToUserName><Encrypt><![CDATA[${v.event.encrypt}]]></Encrypt><AgentID><![CDATA[1]]></AgentID></xml>`;
    const plain = callback.decryptEvent({ msg_signature: v.event.msgSignature, timestamp: v.event.timestamp, nonce: v.event.nonce }, body);
    expect(plain).toContain(v.event.plaintext ?? v.event.plaintextContains);
    // a text message, not a contact change
    expect(parseChangeContact(plain)).toEqual([]);
  });

  it('rejects a bad signature and an event for another corp with clear errors', () => {
    const v = vectors[0];
    const body = `<xml><Encrypt><![CDATA[${v.event.encrypt}]]></Encrypt></xml>`;
    const good = new WecomCallback({ token: v.token, encodingAesKey: v.encodingAesKey, corpId: v.receiveId });
    expect(() => good.decryptEvent({ msg_signature: '0'.repeat(40), timestamp: v.event.timestamp, nonce: v.event.nonce }, body)).toThrow(/signature does not match/);
    const otherCorp = new WecomCallback({ token: v.token, encodingAesKey: v.encodingAesKey, corpId: 'ww-other' });
    expect(() => otherCorp.decryptEvent({ msg_signature: v.event.msgSignature, timestamp: v.event.timestamp, nonce: v.event.nonce }, body)).toThrow(
      expect.objectContaining({ reason: 'bad_receive_id' }),
    );
    expect(() => good.decryptEvent({ msg_signature: v.event.msgSignature, timestamp: v.event.timestamp, nonce: v.event.nonce }, '<xml></xml>')).toThrow(/Encrypt/);
  });
});

describe('hostile XML (unauthenticated callers)', () => {
  const v = vectors[0];
  const query = { msg_signature: v.event.msgSignature, timestamp: v.event.timestamp, nonce: v.event.nonce };
  const callback = () => new WecomCallback({ token: v.token, encodingAesKey: v.encodingAesKey, corpId: v.receiveId });
  /** Nested entities: 10 levels of 10 references over 100 characters (10^11 characters expanded). */
  const entityBomb = (encrypt: string) => {
    let entities = `<!ENTITY a0 "${'x'.repeat(100)}">`;
    for (let i = 1; i < 10; i++) entities += `<!ENTITY a${i} "${`&a${i - 1};`.repeat(10)}">`;
    return `<?xml version="1.0"?><!DOCTYPE xml [${entities}]><xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><Pad>${'&a9;'.repeat(2000)}</Pad></xml>`;
  };
  afterEach(() => jest.restoreAllMocks());

  it('refuses a DOCTYPE or ENTITY declaration outright, even on a correctly signed body', () => {
    const viaEntity = `<!DOCTYPE xml [<!ENTITY e "${v.event.encrypt}">]><xml><Encrypt>&e;</Encrypt></xml>`;
    const plainDoctype = `<!DOCTYPE xml><xml><Encrypt><![CDATA[${v.event.encrypt}]]></Encrypt></xml>`;
    for (const body of [viaEntity, plainDoctype, `<xml><!ENTITY e "x"><Encrypt><![CDATA[${v.event.encrypt}]]></Encrypt></xml>`]) {
      expect(() => callback().decryptEvent(query, body)).toThrow(expect.objectContaining({ reason: 'malformed', message: expect.stringMatching(/DOCTYPE|declaration/) }));
    }
  });

  it('never hands an unverified body to the XML parser', () => {
    const parse = jest.spyOn(XMLParser.prototype, 'parse');
    const body = `<xml><ToUserName><![CDATA[x]]></ToUserName><Encrypt><![CDATA[${v.event.encrypt}]]></Encrypt><AgentID>${'<a>'.repeat(5000)}</xml>`;
    expect(() => callback().decryptEvent({ ...query, msg_signature: '0'.repeat(40) }, body)).toThrow(expect.objectContaining({ reason: 'bad_signature' }));
    expect(() => callback().decryptEvent(query, entityBomb(v.event.encrypt))).toThrow(expect.objectContaining({ reason: 'malformed' }));
    expect(parse).not.toHaveBeenCalled();
  });

  it('refuses an entity bomb fast and without memory growth', () => {
    const heapBefore = process.memoryUsage().heapUsed;
    const started = Date.now();
    for (let i = 0; i < 20; i++) expect(() => callback().decryptEvent(query, entityBomb(v.event.encrypt))).toThrow(CallbackVerificationError);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(32 * 1024 * 1024);
  });

  it('takes exactly one Encrypt element of base64 text', () => {
    const twice = `<xml><Encrypt><![CDATA[${v.event.encrypt}]]></Encrypt><Encrypt><![CDATA[${v.event.encrypt}]]></Encrypt></xml>`;
    expect(() => callback().decryptEvent(query, twice)).toThrow(/exactly one <Encrypt>/);
    expect(() => callback().decryptEvent(query, `<xml><Encrypt><![CDATA[<b>&x;</b>]]></Encrypt></xml>`)).toThrow(/Encrypt/);
    // The plain (non-CDATA) form is accepted too.
    expect(callback().decryptEvent(query, `<xml><Encrypt>${v.event.encrypt}</Encrypt></xml>`)).toContain(v.event.plaintext ?? v.event.plaintextContains);
  });

  it('refuses a DOCTYPE in the decrypted event as well (entities are never expanded)', () => {
    const inner = '<!DOCTYPE xml [<!ENTITY u "alice">]><xml><Event><![CDATA[change_contact]]></Event><ChangeType>update_user</ChangeType><UserID>&u;</UserID></xml>';
    expect(() => parseChangeContact(inner)).toThrow(expect.objectContaining({ reason: 'malformed' }));
  });
});

describe('change_contact parsing', () => {
  const wrap = (inner: string) => `<xml><ToUserName><![CDATA[ww1]]></ToUserName><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event>${inner}</xml>`;

  it.each([
    ['create_user', '<UserID><![CDATA[007]]></UserID><Department><![CDATA[1,2]]></Department>', [{ entity: 'user', id: '007', kind: 'created' }]],
    ['update_user', '<UserID><![CDATA[zs]]></UserID>', [{ entity: 'user', id: 'zs', kind: 'updated' }]],
    ['delete_user', '<UserID><![CDATA[zs]]></UserID>', [{ entity: 'user', id: 'zs', kind: 'deleted' }]],
    ['create_party', '<Id>12</Id><Name><![CDATA[Ops]]></Name><ParentId><![CDATA[1]]></ParentId>', [{ entity: 'department', id: '12', kind: 'created' }]],
    ['update_party', '<Id>12</Id>', [{ entity: 'department', id: '12', kind: 'updated' }]],
    ['delete_party', '<Id>12</Id>', [{ entity: 'department', id: '12', kind: 'deleted' }]],
    ['update_tag', '<TagId>1</TagId>', []],
  ])('%s', (changeType, inner, expected) => {
    const events = parseChangeContact(wrap(`<ChangeType><![CDATA[${changeType}]]></ChangeType>${inner}`));
    expect(events.map(({ eventId: _e, ...rest }) => rest)).toEqual(expected);
    for (const e of events) expect(e.eventId).toMatch(/^[0-9a-f]{24}/);
  });

  it('reports a rename (NewUserID) as both ids, distinct event ids', () => {
    const events = parseChangeContact(wrap('<ChangeType><![CDATA[update_user]]></ChangeType><UserID><![CDATA[old]]></UserID><NewUserID><![CDATA[new]]></NewUserID>'));
    expect(events.map((e) => e.id)).toEqual(['old', 'new']);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(2);
  });

  it('refuses a user event without UserID', () => {
    expect(() => parseChangeContact(wrap('<ChangeType><![CDATA[delete_user]]></ChangeType>'))).toThrow(CallbackVerificationError);
  });
});

describe('fake emit → callback receiver', () => {
  const callbackConfig = { token: 'cbtoken', encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C' };
  let fake: RunningWecomFake;
  let receiver: Server;
  let receiverUrl: string;
  const received: ChangeEvent[] = [];

  beforeAll(async () => {
    fake = await startWecomFake({ corpId: 'wwemit01', callback: callbackConfig });
    const callback = new WecomCallback({ ...callbackConfig, corpId: 'wwemit01' });
    receiver = createServer((req, res) => {
      const query = Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        try {
          if (req.method === 'GET') return void res.end(callback.verifyUrl(query));
          received.push(...callback.receiveEvents(query, body));
          res.end('');
        } catch (err) {
          res.writeHead(401).end((err as Error).message);
        }
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/task-1`;
  });
  afterAll(async () => {
    await fake.close();
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
  });

  it('passes the URL check', async () => {
    const res = await fakeControl(fake, 'emit', { url: receiverUrl, urlCheck: true });
    expect(res.body).toMatchObject({ ok: true, response: { status: 200, verified: true } });
  });

  it('delivers a signed, encrypted change_contact that verifies and parses', async () => {
    const res = await fakeControl(fake, 'emit', { url: receiverUrl, event: { ChangeType: 'update_user', UserID: 'alice', NewUserID: 'alice2' } });
    expect(res.body).toMatchObject({ ok: true, response: { status: 200 } });
    await fakeControl(fake, 'emit', { url: receiverUrl, event: { ChangeType: 'delete_party', Id: 7 } });
    expect(received.map(({ entity, id, kind }) => ({ entity, id, kind }))).toEqual([
      { entity: 'user', id: 'alice', kind: 'updated' },
      { entity: 'user', id: 'alice2', kind: 'updated' },
      { entity: 'department', id: '7', kind: 'deleted' },
    ]);
  });

  it('is refused by a receiver holding another token', async () => {
    const other = await startWecomFake({ corpId: 'wwemit01', callback: { ...callbackConfig, token: 'someone-else' } });
    try {
      const res = await fakeControl(other, 'emit', { url: receiverUrl, event: { ChangeType: 'create_user', UserID: 'x' } });
      expect(res.body).toMatchObject({ response: { status: 401, body: expect.stringContaining('signature') } });
    } finally {
      await other.close();
    }
  });

  it('encrypts replies that the same scheme opens', () => {
    const callback = new WecomCallback({ ...callbackConfig, corpId: 'wwemit01' });
    const reply = callback.encryptReply('<xml><Content>ok</Content></xml>', '1700000000', '99');
    const encrypt = /<Encrypt><!\[CDATA\[(.+?)\]\]>/.exec(reply)?.[1] ?? '';
    const signature = /<MsgSignature><!\[CDATA\[(.+?)\]\]>/.exec(reply)?.[1] ?? '';
    expect(callback.decryptEvent({ msg_signature: signature, timestamp: '1700000000', nonce: '99' }, `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`)).toBe(
      '<xml><Content>ok</Content></xml>',
    );
  });
});
