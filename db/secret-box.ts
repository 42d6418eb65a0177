// Connector credentials are sealed with AES-256-GCM under SYNC_CENTER_SECRET_KEY before they touch
// the database; only activities open them, right before calling a vendor.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
/** GCM accepts tags as short as 4 bytes unless told otherwise; a short tag makes forgery cheap. */
const TAG_BYTES = 16;

export interface SecretBox {
  seal(value: unknown): string;
  open<T = unknown>(sealed: string): T;
}

export function parseSecretKey(base64Key: string, variable = 'SYNC_CENTER_SECRET_KEY'): Buffer {
  const key = Buffer.from(base64Key, 'base64');
  if (key.length !== 32) throw new Error(`${variable} must be 32 bytes, base64-encoded (got ${key.length} bytes)`);
  return key;
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('secret key must be 32 bytes');
  return {
    seal(value) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join('.');
    },
    open<T>(sealed: string): T {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('sealed secret has an unknown format');
      const ivBytes = Buffer.from(iv, 'base64');
      const tagBytes = Buffer.from(tag, 'base64');
      if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new Error('sealed secret has an unknown format');
      const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tagBytes);
      const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    },
  };
}
