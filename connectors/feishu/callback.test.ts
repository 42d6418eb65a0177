import { loadCallbackVectors } from '../shared/test-vectors';
import {
  CallbackVerificationError,
  FeishuEventReceiver,
  decryptFeishuEvent,
  encryptFeishuEvent,
  feishuSignature,
  larkHeaders,
  parseContactEvent,
} from './callback';

const encryptKey = 'enc-key-for-tests';
const verificationToken = 'verify-token-123';

function delivery(inner: unknown, key = encryptKey): { headers: { timestamp: string; nonce: string; signature: string }; raw: string } {
  const raw = JSON.stringify({ encrypt: encryptFeishuEvent(key, JSON.stringify(inner)) });
  const timestamp = '1700000000';
  const nonce = 'n0nce';
  return { headers: { timestamp, nonce, signature: feishuSignature(timestamp, nonce, key, raw) }, raw };
}

const event = (type: string, body: unknown, eventId = 'ev-1', token = verificationToken) => ({
  schema: '2.0',
  header: { event_id: eventId, event_type: type, create_time: '1700000000000', token, app_id: 'cli_x', tenant_key: 't' },
  event: body,
});

async function rejection(run: () => unknown): Promise<CallbackVerificationError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof CallbackVerificationError) return err;
    throw err;
  }
  throw new Error('expected a CallbackVerificationError');
}

describe('Feishu event crypto', () => {
  it.each(loadCallbackVectors().feishu)('decrypts the official vector: $source', (vector) => {
    expect(decryptFeishuEvent(vector.encryptKey, vector.encrypt)).toBe(vector.plaintext);
  });

  it('round-trips with a random IV prefix, so two encryptions differ', () => {
    const a = encryptFeishuEvent(encryptKey, '{"hello":"世界"}');
    const b = encryptFeishuEvent(encryptKey, '{"hello":"世界"}');
    expect(a).not.toBe(b);
    expect(decryptFeishuEvent(encryptKey, a)).toBe('{"hello":"世界"}');
    expect(decryptFeishuEvent(encryptKey, b)).toBe('{"hello":"世界"}');
  });

  it('refuses a wrong key or a tampered payload as malformed without echoing the key', async () => {
    // A fixed IV keeps this deterministic: a random one would pass the padding check by chance 1 in ~256.
    const sealed = encryptFeishuEvent(encryptKey, 'x'.repeat(40), Buffer.alloc(16, 7));
    const wrong = await rejection(() => decryptFeishuEvent('other-key', sealed));
    expect(wrong.reason).toBe('malformed');
    expect(wrong.message).not.toContain('other-key');
    const bytes = Buffer.from(sealed, 'base64');
    bytes[bytes.length - 1] ^= 0xff;
    expect((await rejection(() => decryptFeishuEvent(encryptKey, bytes.toString('base64')))).reason).toBe('malformed');
    expect((await rejection(() => decryptFeishuEvent(encryptKey, 'c2hvcnQ='))).reason).toBe('malformed');
  });

  it('signs timestamp + nonce + encrypt_key + raw body with sha256', () => {
    // sha256("12k{}") computed independently (Python hashlib)
    expect(feishuSignature('1', '2', 'k', '{}')).toBe('a2c08cfc1732e85c101a8e8b6dfeddbe44d732caedfb06a1dd08711e6398a656');
    expect(feishuSignature('1', '2', 'k', '{}')).not.toBe(feishuSignature('1', '2', 'k', '{ }'));
  });

  it('reads the X-Lark-* headers whatever their case', () => {
    expect(larkHeaders({ 'X-Lark-Signature': 's', 'x-lark-request-nonce': ['n'], 'X-LARK-REQUEST-TIMESTAMP': 't' })).toEqual({ signature: 's', nonce: 'n', timestamp: 't' });
  });
});

describe('FeishuEventReceiver', () => {
  const receiver = () => new FeishuEventReceiver({ encryptKey, verificationToken });

  it('answers the url_verification challenge, signed or not, after checking the token', async () => {
    const d = delivery({ challenge: 'ch-1', token: verificationToken, type: 'url_verification' });
    expect(receiver().receive(d.headers, d.raw)).toEqual({ type: 'url_verification', challenge: 'ch-1' });
    expect(receiver().receive({}, d.raw)).toEqual({ type: 'url_verification', challenge: 'ch-1' });
    const bad = delivery({ challenge: 'ch-1', token: 'guess', type: 'url_verification' });
    expect((await rejection(() => receiver().receive({}, bad.raw))).reason).toBe('bad_signature');
  });

  it('parses user and department events into canonical change events, custom ids first', () => {
    const r = receiver();
    const cases: Array<[string, unknown, unknown]> = [
      ['contact.user.created_v3', { object: { open_id: 'ou_1', user_id: 'zhang' } }, { entity: 'user', id: 'zhang', kind: 'created' }],
      ['contact.user.updated_v3', { object: { open_id: 'ou_2' }, old_object: { name: 'Old' } }, { entity: 'user', id: 'ou_2', kind: 'updated' }],
      ['contact.user.deleted_v3', { object: { open_id: 'ou_3', user_id: 'li' } }, { entity: 'user', id: 'li', kind: 'deleted' }],
      ['contact.department.created_v3', { object: { open_department_id: 'od-1', department_id: 'sales' } }, { entity: 'department', id: 'sales', kind: 'created' }],
      ['contact.department.updated_v3', { object: { open_department_id: 'od-2' } }, { entity: 'department', id: 'od-2', kind: 'updated' }],
      ['contact.department.deleted_v3', { object: { department_id: 'gone' } }, { entity: 'department', id: 'gone', kind: 'deleted' }],
    ];
    cases.forEach(([type, body, expected], i) => {
      const d = delivery(event(type, body, `ev-${i}`));
      const result = r.receive(d.headers, d.raw);
      expect(result).toEqual({ type: 'event', eventId: `ev-${i}`, eventType: type, duplicate: false, events: [{ ...(expected as object), eventId: `ev-${i}` }] });
    });
  });

  it('turns contact.scope.updated_v3 into created (added) and deleted (removed) events', () => {
    const events = parseContactEvent(
      event('contact.scope.updated_v3', {
        added: { departments: [{ department_id: 'd1', open_department_id: 'od-1' }], users: [{ user_id: 'u1', open_id: 'ou_1' }] },
        removed: { users: [{ open_id: 'ou_9' }] },
      }, 'ev-s'),
    );
    expect(events).toEqual([
      { entity: 'department', id: 'd1', kind: 'created', eventId: 'ev-s#0' },
      { entity: 'user', id: 'u1', kind: 'created', eventId: 'ev-s#1' },
      { entity: 'user', id: 'ou_9', kind: 'deleted', eventId: 'ev-s#2' },
    ]);
  });

  it('ignores other event types and flags a repeated event_id as a duplicate', () => {
    const r = receiver();
    const other = delivery(event('im.message.receive_v1', { message: {} }, 'ev-m'));
    expect(r.receive(other.headers, other.raw)).toMatchObject({ type: 'event', events: [], duplicate: false });
    const d = delivery(event('contact.user.updated_v3', { object: { user_id: 'u1' } }, 'ev-dup'));
    expect(r.receive(d.headers, d.raw)).toMatchObject({ duplicate: false });
    expect(r.receive(d.headers, d.raw)).toMatchObject({ duplicate: true, eventId: 'ev-dup', events: [{ id: 'u1', eventId: 'ev-dup' }] });
  });

  it('forgets the oldest event ids beyond its memory', () => {
    const r = new FeishuEventReceiver({ encryptKey, verificationToken }, 2);
    const send = (id: string) => {
      const d = delivery(event('contact.user.updated_v3', { object: { user_id: 'u' } }, id));
      return r.receive(d.headers, d.raw);
    };
    send('a');
    send('b');
    send('c');
    expect(send('a')).toMatchObject({ duplicate: false });
    expect(send('c')).toMatchObject({ duplicate: true });
  });

  it('refuses a tampered body, a wrong signature, missing headers, a wrong token, or a wrong key', async () => {
    const r = receiver();
    const d = delivery(event('contact.user.updated_v3', { object: { user_id: 'u1' } }));
    const tampered = d.raw.replace('"encrypt":"', '"encrypt":"A');
    expect((await rejection(() => r.receive(d.headers, tampered))).reason).toBe('bad_signature');
    expect((await rejection(() => r.receive({ ...d.headers, signature: '0'.repeat(64) }, d.raw))).reason).toBe('bad_signature');
    expect((await rejection(() => r.receive({}, d.raw))).reason).toBe('malformed');
    const wrongToken = delivery(event('contact.user.updated_v3', { object: { user_id: 'u1' } }, 'ev-t', 'not-the-token'));
    const err = await rejection(() => r.receive(wrongToken.headers, wrongToken.raw));
    expect(err.reason).toBe('bad_signature');
    expect(err.message).not.toContain(verificationToken);
    const otherKey = delivery(event('contact.user.updated_v3', { object: { user_id: 'u1' } }), 'other-key');
    expect((await rejection(() => r.receive(otherKey.headers, otherKey.raw))).reason).toBe('bad_signature');
  });

  it('checks a signed delivery before parsing or decrypting it', async () => {
    const r = receiver();
    const d = delivery(event('contact.user.updated_v3', { object: { user_id: 'u1' } }));
    for (const body of ['not json', '{"encrypt":"not base64 at all"}', JSON.stringify({ encrypt: 'A'.repeat(64) })]) {
      expect((await rejection(() => r.receive(d.headers, body))).reason).toBe('bad_signature');
    }
  });

  it('refuses bodies that are not encrypted schema-2.0 events', async () => {
    const r = receiver();
    expect((await rejection(() => r.receive({}, 'not json'))).reason).toBe('malformed');
    expect((await rejection(() => r.receive({}, '{"challenge":"x"}'))).message).toContain('encrypt');
    const v1 = delivery({ uuid: 'x', token: verificationToken, type: 'event_callback', event: {} });
    expect((await rejection(() => r.receive(v1.headers, v1.raw))).reason).toBe('bad_signature'); // v1 has no header.token
    const noId = delivery(event('contact.user.updated_v3', { object: {} }));
    expect((await rejection(() => r.receive(noId.headers, noId.raw))).message).toContain('user_id or open_id');
  });

  it('needs both keys', () => {
    expect(() => new FeishuEventReceiver({ encryptKey: '', verificationToken })).toThrow('encryptKey');
    expect(() => new FeishuEventReceiver({ encryptKey, verificationToken: '' })).toThrow('verificationToken');
  });
});
