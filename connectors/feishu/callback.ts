// Feishu / Lark event subscription (schema 2.0): X-Lark-Signature check, AES-256-CBC decrypt
// (key = sha256(encrypt_key), IV = the first 16 bytes), verification-token check, the
// url_verification challenge, and contact events turned into canonical ids-only ChangeEvents.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ChangeEvent } from '../../engine/model';
import { CallbackVerificationError } from '../shared/callback-crypto';

export { CallbackVerificationError } from '../shared/callback-crypto';

export interface FeishuEventConfig {
  encryptKey: string;
  verificationToken: string;
}

/** The three headers Feishu signs every event delivery with (header names are case-insensitive). */
export interface FeishuEventHeaders {
  timestamp?: string;
  nonce?: string;
  signature?: string;
}

export type FeishuCallbackResult =
  | { type: 'url_verification'; challenge: string }
  | {
      type: 'event';
      eventId: string;
      eventType: string;
      /** true when this event_id was seen before by this receiver: the caller should ignore it */
      duplicate: boolean;
      events: ChangeEvent[];
    };

export function feishuEventKey(encryptKey: string): Buffer {
  return createHash('sha256').update(encryptKey, 'utf8').digest();
}

export function encryptFeishuEvent(encryptKey: string, plaintext: string, iv: Buffer = randomBytes(16)): string {
  if (iv.length !== 16) throw new Error('iv must be 16 bytes');
  const cipher = createCipheriv('aes-256-cbc', feishuEventKey(encryptKey), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

export function decryptFeishuEvent(encryptKey: string, encrypt: string): string {
  const data = Buffer.from(encrypt, 'base64');
  if (data.length < 32 || data.length % 16 !== 0) throw new CallbackVerificationError('malformed', 'event payload has an invalid length');
  try {
    const decipher = createDecipheriv('aes-256-cbc', feishuEventKey(encryptKey), data.subarray(0, 16));
    return Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]).toString('utf8');
  } catch {
    throw new CallbackVerificationError('malformed', 'event payload cannot be decrypted (wrong encrypt key or tampered payload)');
  }
}

export function feishuSignature(timestamp: string, nonce: string, encryptKey: string, rawBody: string): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey + rawBody, 'utf8').digest('hex');
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

/** Picks X-Lark-Request-Timestamp, X-Lark-Request-Nonce and X-Lark-Signature out of any header map. */
export function larkHeaders(headers: Record<string, string | string[] | undefined>): FeishuEventHeaders {
  return {
    timestamp: headerValue(headers, 'x-lark-request-timestamp'),
    nonce: headerValue(headers, 'x-lark-request-nonce'),
    signature: headerValue(headers, 'x-lark-signature'),
  };
}

type Json = Record<string, unknown>;

function object(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function parseJsonObject(text: string, what: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CallbackVerificationError('malformed', `${what} is not JSON`);
  }
  const obj = object(parsed);
  if (!obj) throw new CallbackVerificationError('malformed', `${what} is not a JSON object`);
  return obj;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const userIdOf = (o: Json | undefined) => str(o?.user_id) ?? str(o?.open_id);
const departmentIdOf = (o: Json | undefined) => str(o?.department_id) ?? str(o?.open_department_id);

const contactKinds: Record<string, { entity: ChangeEvent['entity']; kind: ChangeEvent['kind'] }> = {
  'contact.user.created_v3': { entity: 'user', kind: 'created' },
  'contact.user.updated_v3': { entity: 'user', kind: 'updated' },
  'contact.user.deleted_v3': { entity: 'user', kind: 'deleted' },
  'contact.department.created_v3': { entity: 'department', kind: 'created' },
  'contact.department.updated_v3': { entity: 'department', kind: 'updated' },
  'contact.department.deleted_v3': { entity: 'department', kind: 'deleted' },
};

/** A decrypted schema-2.0 event → ChangeEvents (custom ids when present, else open ids); other types → []. */
export function parseContactEvent(envelope: Json): ChangeEvent[] {
  const header = object(envelope.header);
  const eventId = str(header?.event_id);
  const eventType = str(header?.event_type);
  if (!eventId || !eventType) throw new CallbackVerificationError('malformed', 'event has no header.event_id or header.event_type');
  const event = object(envelope.event) ?? {};
  const known = contactKinds[eventType];
  if (known) {
    const subject = object(event.object);
    const id = known.entity === 'user' ? userIdOf(subject) ?? userIdOf(object(event.old_object)) : departmentIdOf(subject) ?? departmentIdOf(object(event.old_object));
    if (!id) throw new CallbackVerificationError('malformed', `${eventType} event has no ${known.entity === 'user' ? 'user_id or open_id' : 'department_id or open_department_id'}`);
    return [{ entity: known.entity, id, kind: known.kind, eventId }];
  }
  if (eventType === 'contact.scope.updated_v3') {
    // Entities entering the app's scope read as created, leaving it as deleted.
    const out: ChangeEvent[] = [];
    for (const [side, kind] of [['added', 'created'], ['removed', 'deleted']] as const) {
      const part = object(event[side]);
      for (const d of Array.isArray(part?.departments) ? part.departments : []) {
        const id = departmentIdOf(object(d));
        if (id) out.push({ entity: 'department', id, kind, eventId: `${eventId}#${out.length}` });
      }
      for (const u of Array.isArray(part?.users) ? part.users : []) {
        const id = userIdOf(object(u));
        if (id) out.push({ entity: 'user', id, kind, eventId: `${eventId}#${out.length}` });
      }
    }
    return out;
  }
  return [];
}

/** Verifies, decrypts and parses deliveries; remembers recent event_ids to flag Feishu's retries. */
export class FeishuEventReceiver {
  private readonly seen = new Set<string>();

  constructor(
    private readonly config: FeishuEventConfig,
    /** how many event_ids to remember (oldest forgotten first) */
    private readonly rememberIds = 10_000,
  ) {
    for (const field of ['encryptKey', 'verificationToken'] as const) {
      if (!config?.[field]) throw new Error(`Feishu events: ${field} is required`);
    }
  }

  /** Throws bad_signature unless X-Lark-Signature matches; constant-time compare. */
  verifySignature(headers: FeishuEventHeaders, rawBody: string): void {
    const { timestamp, nonce, signature } = headers;
    if (!timestamp || !nonce || !signature) throw new CallbackVerificationError('malformed', 'event is missing X-Lark-Request-Timestamp, X-Lark-Request-Nonce or X-Lark-Signature');
    const expected = Buffer.from(feishuSignature(timestamp, nonce, this.config.encryptKey, rawBody));
    const given = Buffer.from(signature.toLowerCase());
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new CallbackVerificationError('bad_signature', 'X-Lark-Signature does not match (wrong encrypt key or tampered body)');
    }
  }

  /** Decrypts the {encrypt} body and checks the verification token; returns the inner JSON. */
  open(rawBody: string): Json {
    const encrypt = str(parseJsonObject(rawBody, 'event body').encrypt);
    if (!encrypt) throw new CallbackVerificationError('malformed', 'event body has no "encrypt" field (is an encrypt key set on the app?)');
    const inner = parseJsonObject(decryptFeishuEvent(this.config.encryptKey, encrypt), 'decrypted event');
    const token = inner.type === 'url_verification' ? inner.token : object(inner.header)?.token;
    const expected = Buffer.from(this.config.verificationToken);
    const given = Buffer.from(typeof token === 'string' ? token : '');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new CallbackVerificationError('bad_signature', 'event token does not match the verification token');
    }
    return inner;
  }

  /**
   * One delivery. The url_verification challenge may come unsigned (Feishu signs event deliveries);
   * it is still decrypted and token-checked. Every other delivery must carry a valid signature.
   */
  receive(headers: FeishuEventHeaders, rawBody: string): FeishuCallbackResult {
    const signed = Boolean(headers.signature);
    if (signed) this.verifySignature(headers, rawBody);
    const inner = this.open(rawBody);
    if (inner.type === 'url_verification') {
      const challenge = str(inner.challenge);
      if (!challenge) throw new CallbackVerificationError('malformed', 'url_verification has no challenge');
      return { type: 'url_verification', challenge };
    }
    if (!signed) this.verifySignature(headers, rawBody);
    if (inner.schema !== '2.0') throw new CallbackVerificationError('malformed', 'only schema 2.0 events are supported');
    const events = parseContactEvent(inner);
    const header = object(inner.header) ?? {};
    const eventId = String(header.event_id);
    const duplicate = this.seen.has(eventId);
    if (!duplicate) this.remember(eventId);
    return { type: 'event', eventId, eventType: String(header.event_type), duplicate, events };
  }

  private remember(eventId: string): void {
    this.seen.add(eventId);
    if (this.seen.size > this.rememberIds) this.seen.delete(this.seen.values().next().value as string);
  }
}
