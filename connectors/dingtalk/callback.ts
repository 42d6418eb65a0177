// DingTalk callbacks: the WeCom cipher over JSON (receive id = app key, corp id for legacy
// registrations, suite key for ISV apps), the encrypted "success" reply, and contact events turned
// into canonical ids-only ChangeEvents.
import { createHash } from 'node:crypto';
import type { ChangeEvent } from '../../engine/model';
import { CallbackCipher, CallbackVerificationError, randomNonce } from '../shared/callback-crypto';

export { CallbackVerificationError } from '../shared/callback-crypto';

export interface DingtalkCallbackConfig {
  token: string;
  /** the 43-character aes_key */
  aesKey: string;
  /** app key for internal apps; corp id for legacy registrations; suite key for ISV apps */
  receiveId: string;
}

/** DingTalk has used both spellings of the signature and timestamp parameters. */
export interface DingtalkCallbackQuery {
  signature?: string;
  msg_signature?: string;
  timestamp?: string;
  timeStamp?: string;
  nonce?: string;
}

export interface DingtalkSuccessReply {
  msg_signature: string;
  timeStamp: string;
  nonce: string;
  encrypt: string;
}

export interface DingtalkReceived {
  eventType: string;
  events: ChangeEvent[];
  /** what to answer (as JSON) so DingTalk stops retrying */
  reply: DingtalkSuccessReply;
}

const userKinds: Record<string, ChangeEvent['kind']> = { user_add_org: 'created', user_modify_org: 'updated', user_leave_org: 'deleted' };
const departmentKinds: Record<string, ChangeEvent['kind']> = { org_dept_create: 'created', org_dept_modify: 'updated', org_dept_remove: 'deleted' };

function idList(payload: Record<string, unknown>, field: string, eventType: string): string[] {
  const value = payload[field];
  const ids = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const clean = ids.filter((id) => (typeof id === 'string' && id !== '') || typeof id === 'number').map(String);
  if (clean.length === 0 || clean.length !== ids.length) throw new CallbackVerificationError('malformed', `${eventType} event has no valid ${field} list`);
  return clean;
}

/** Decrypted event JSON → its type and ChangeEvents; check_url and other types give no events. */
export function parseDingtalkEvent(plaintext: string): { eventType: string; events: ChangeEvent[] } {
  let payload: unknown;
  try {
    payload = JSON.parse(plaintext);
  } catch {
    throw new CallbackVerificationError('malformed', 'decrypted callback is not JSON');
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload) || typeof (payload as { EventType?: unknown }).EventType !== 'string') {
    throw new CallbackVerificationError('malformed', 'decrypted callback has no EventType');
  }
  const body = payload as Record<string, unknown>;
  const eventType = body.EventType as string;
  const digest = createHash('sha1').update(plaintext).digest('hex').slice(0, 24);
  const build = (entity: ChangeEvent['entity'], kind: ChangeEvent['kind'], ids: string[]): ChangeEvent[] =>
    ids.map((id, i) => ({ entity, id, kind, eventId: ids.length === 1 ? digest : `${digest}#${i}` }));
  if (eventType in userKinds) return { eventType, events: build('user', userKinds[eventType], idList(body, 'UserId', eventType)) };
  if (eventType in departmentKinds) return { eventType, events: build('department', departmentKinds[eventType], idList(body, 'DeptId', eventType)) };
  return { eventType, events: [] };
}

function encryptField(body: unknown): string {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new CallbackVerificationError('malformed', 'callback body is not JSON');
    }
  }
  const encrypt = (parsed as { encrypt?: unknown } | null)?.encrypt;
  if (typeof encrypt !== 'string' || encrypt === '') throw new CallbackVerificationError('malformed', 'callback body has no "encrypt"');
  return encrypt;
}

export class DingtalkCallback {
  private readonly cipher: CallbackCipher;

  constructor(config: DingtalkCallbackConfig) {
    for (const field of ['token', 'aesKey', 'receiveId'] as const) {
      if (!config?.[field]) throw new Error(`DingTalk callback: ${field} is required`);
    }
    this.cipher = new CallbackCipher({ token: config.token, encodingAesKey: config.aesKey, receiveId: config.receiveId });
  }

  /** Verifies the signature over `encrypt`, decrypts and checks the receive id; returns the JSON text. */
  decrypt(query: DingtalkCallbackQuery, body: unknown): string {
    return this.openEvent(query, body).plaintext;
  }

  /** decrypt, also returning the verified ciphertext (the key of the delivery: webhook-receiver.ts deliveryKey). */
  openEvent(query: DingtalkCallbackQuery, body: unknown): { plaintext: string; encrypt: string } {
    const encrypt = encryptField(body);
    const plaintext = this.cipher.open({
      signature: query.signature ?? query.msg_signature ?? '',
      timestamp: query.timestamp ?? query.timeStamp ?? '',
      nonce: query.nonce ?? '',
      encrypt,
    });
    return { plaintext, encrypt };
  }

  /** Verify, decrypt, parse, and prepare the encrypted "success" DingTalk waits for. */
  receive(query: DingtalkCallbackQuery, body: unknown): DingtalkReceived {
    const parsed = parseDingtalkEvent(this.decrypt(query, body));
    return { ...parsed, reply: this.successReply() };
  }

  /** `{msg_signature, timeStamp, nonce, encrypt}` of the string "success"; DingTalk timestamps are ms. */
  successReply(timestamp: string = String(Date.now()), nonce: string = randomNonce()): DingtalkSuccessReply {
    const sealed = this.cipher.seal('success', timestamp, nonce);
    return { msg_signature: sealed.signature, timeStamp: sealed.timestamp, nonce: sealed.nonce, encrypt: sealed.encrypt };
  }
}
