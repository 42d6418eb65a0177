import { randomBytes } from 'node:crypto';
import { createSecretBox, parseSecretKey } from './secret-box';

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips a value and never leaves it readable', () => {
    const sealed = box.seal({ corpSecret: 'very-secret-value' });
    expect(sealed).not.toContain('very-secret-value');
    expect(box.open(sealed)).toEqual({ corpSecret: 'very-secret-value' });
  });

  it('refuses a tampered value and another key', () => {
    const sealed = box.seal({ a: 1 });
    const parts = sealed.split('.');
    parts[3] = Buffer.from('{"a":2}').toString('base64');
    expect(() => box.open(parts.join('.'))).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow();
  });

  it('refuses a truncated authentication tag (GCM would otherwise accept 4 bytes)', () => {
    const sealed = box.seal({ corpSecret: 'x' });
    const parts = sealed.split('.');
    parts[2] = Buffer.from(parts[2], 'base64').subarray(0, 4).toString('base64');
    expect(() => box.open(parts.join('.'))).toThrow(/unknown format/);
  });

  it('names the variable when the key has the wrong size', () => {
    expect(() => parseSecretKey(Buffer.from('short').toString('base64'))).toThrow(/SYNC_CENTER_SECRET_KEY must be 32 bytes/);
  });
});
