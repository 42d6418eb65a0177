import { createDecipheriv } from 'node:crypto';
import { CallbackCipher, CallbackVerificationError, callbackSignature, decodeEncodingAesKey } from './callback-crypto';
import { loadCallbackVectors } from './test-vectors';

const vectors = loadCallbackVectors();

describe('WeCom-style callback crypto against the official vectors', () => {
  it('has both WeCom vectors to check', () => {
    expect(vectors.wecom).toHaveLength(2);
  });

  describe.each(vectors.wecom.map((v) => [v.source, v] as const))('%s', (_source, v) => {
    const cipher = new CallbackCipher({ token: v.token, encodingAesKey: v.encodingAesKey, receiveId: v.receiveId });

    it('computes the URL-check signature', () => {
      expect(cipher.sign(v.urlCheck.timestamp, v.urlCheck.nonce, v.urlCheck.echostr)).toBe(v.urlCheck.msgSignature);
    });

    it('opens the URL-check echostr to the published plaintext', () => {
      const plain = cipher.open({ signature: v.urlCheck.msgSignature, timestamp: v.urlCheck.timestamp, nonce: v.urlCheck.nonce, encrypt: v.urlCheck.echostr });
      expect(plain).toBe(v.urlCheck.plaintext);
    });

    it('computes the event signature and decrypts the event', () => {
      expect(callbackSignature(v.token, v.event.timestamp, v.event.nonce, v.event.encrypt)).toBe(v.event.msgSignature);
      const plain = cipher.open({ signature: v.event.msgSignature, timestamp: v.event.timestamp, nonce: v.event.nonce, encrypt: v.event.encrypt });
      if (v.event.plaintext !== undefined) expect(plain).toBe(v.event.plaintext);
      if (v.event.plaintextContains !== undefined) expect(plain).toContain(v.event.plaintextContains);
    });

    it('rejects the vector under a wrong token, and under another receive id', () => {
      const wrongToken = new CallbackCipher({ token: `${v.token}x`, encodingAesKey: v.encodingAesKey, receiveId: v.receiveId });
      expect(() => wrongToken.open({ signature: v.event.msgSignature, timestamp: v.event.timestamp, nonce: v.event.nonce, encrypt: v.event.encrypt })).toThrow(
        expect.objectContaining({ reason: 'bad_signature' }),
      );
      const otherCorp = new CallbackCipher({ token: v.token, encodingAesKey: v.encodingAesKey, receiveId: 'ww-someone-else' });
      expect(() => otherCorp.decrypt(v.event.encrypt)).toThrow(expect.objectContaining({ reason: 'bad_receive_id' }));
    });
  });
});

describe('the same cipher on DingTalk vectors (JSON payloads, app key as receive id)', () => {
  it.each(vectors.dingtalk.map((v) => [v.source, v] as const))('%s', (_source, v) => {
    const cipher = new CallbackCipher({ token: v.token, encodingAesKey: v.aesKey, receiveId: v.receiveId });
    expect(cipher.open({ signature: v.signature, timestamp: v.timestamp, nonce: v.nonce, encrypt: v.encrypt })).toBe(v.plaintext);
  });
});

describe('CallbackCipher round trips and tampering', () => {
  const cipher = new CallbackCipher({ token: 'tok', encodingAesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', receiveId: 'ww1234' });

  it.each(['', 'a', '<xml>你好, 世界</xml>', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(1000)])('round-trips %j with a 32-byte-padded payload', (message) => {
    const sealed = cipher.seal(message, '1700000000', '42');
    expect(Buffer.from(sealed.encrypt, 'base64').length % 32).toBe(0);
    expect(cipher.open(sealed)).toBe(message);
  });

  it('lays out random ‖ uint32 BE UTF-8 byte length ‖ message ‖ receiveId', () => {
    const key = decodeEncodingAesKey('jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C');
    const encrypted = cipher.encrypt('你好', Buffer.alloc(16, 7));
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
    expect(plain.subarray(0, 16)).toEqual(Buffer.alloc(16, 7));
    expect(plain.readUInt32BE(16)).toBe(6);
    expect(plain.subarray(20, 26).toString('utf8')).toBe('你好');
    expect(plain.subarray(26, 32).toString('utf8')).toBe('ww1234');
    expect(plain.length).toBe(64);
    expect(plain.subarray(32)).toEqual(Buffer.alloc(32, 32));
  });

  it('rejects a changed timestamp, nonce, ciphertext or signature', () => {
    const sealed = cipher.seal('<xml/>', '1700000000', '42');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    // The signature is hex, read case-insensitively: 'a' → 'A' would be the same signature (1 run in 16).
    const flipHex = (s: string) => (s[0] === '0' ? '1' : '0') + s.slice(1);
    for (const tampered of [
      { ...sealed, timestamp: '1700000001' },
      { ...sealed, nonce: '43' },
      { ...sealed, encrypt: flip(sealed.encrypt) },
      { ...sealed, signature: flipHex(sealed.signature) },
    ]) {
      expect(() => cipher.open(tampered)).toThrow(CallbackVerificationError);
    }
  });

  it('refuses a missing signature as malformed, naming the field', () => {
    expect(() => cipher.open({ signature: '', timestamp: '1', nonce: '2', encrypt: 'abc' })).toThrow('msg_signature');
  });

  it('refuses a key that is not 43 characters of base64', () => {
    expect(() => decodeEncodingAesKey('short')).toThrow('43 characters');
  });

  it('never puts the key in an error message', () => {
    try {
      cipher.decrypt('not-a-real-ciphertext');
      throw new Error('expected a failure');
    } catch (err) {
      expect((err as Error).message).not.toContain('jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C');
      expect(err).toBeInstanceOf(CallbackVerificationError);
    }
  });
});
