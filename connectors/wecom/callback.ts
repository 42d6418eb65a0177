// WeCom callbacks: URL verification, event verify + decrypt (receive id = corp id), encrypted
// replies, and change_contact XML turned into canonical ids-only ChangeEvents.
import { createHash } from 'node:crypto';
import type { ChangeEvent } from '../../engine/model';
import { CallbackCipher, CallbackVerificationError, randomNonce } from '../shared/callback-crypto';
import { extractBase64Element, parseUntrustedXml } from '../shared/safe-xml';

export { CallbackVerificationError } from '../shared/callback-crypto';

export interface WecomCallbackConfig {
  token: string;
  encodingAesKey: string;
  corpId: string;
}

/** The query WeCom puts on every callback request. */
export interface WecomCallbackQuery {
  msg_signature?: string;
  timestamp?: string;
  nonce?: string;
  echostr?: string;
}

// Only the decrypted (authenticated) event is ever parsed, and then without DTDs or entities.
function parseXmlRoot(text: string): Record<string, unknown> {
  const parsed = parseUntrustedXml(text, 'callback event');
  const root = (parsed as { xml?: unknown } | undefined)?.xml;
  if (root === '') return {}; // <xml></xml>
  if (typeof root !== 'object' || root === null) throw new CallbackVerificationError('malformed', 'callback body has no <xml> root');
  return root as Record<string, unknown>;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'object' ? undefined : String(value);
}

const userKinds: Record<string, ChangeEvent['kind']> = { create_user: 'created', update_user: 'updated', delete_user: 'deleted' };
const partyKinds: Record<string, ChangeEvent['kind']> = { create_party: 'created', update_party: 'updated', delete_party: 'deleted' };

/** Decrypted event XML → its type (`change_contact:update_user`, or the bare event name) and ChangeEvents. */
export function parseWecomEvent(plaintextXml: string): { eventType: string; events: ChangeEvent[] } {
  const root = parseXmlRoot(plaintextXml);
  const event = text(root.Event) ?? 'unknown';
  const changeType = text(root.ChangeType);
  const eventType = changeType === undefined ? event : `${event}:${changeType}`;
  return { eventType, events: event === 'change_contact' ? changeContactEvents(root, changeType ?? '', plaintextXml) : [] };
}

/** change_contact XML (decrypted) → ChangeEvents; other events (and update_tag) → []. */
export function parseChangeContact(plaintextXml: string): ChangeEvent[] {
  return parseWecomEvent(plaintextXml).events;
}

function changeContactEvents(root: Record<string, unknown>, changeType: string, plaintextXml: string): ChangeEvent[] {
  const eventId = createHash('sha1').update(plaintextXml).digest('hex').slice(0, 24);
  if (changeType in userKinds) {
    const userId = text(root.UserID);
    if (!userId) throw new CallbackVerificationError('malformed', `${changeType} event has no UserID`);
    const newUserId = text(root.NewUserID);
    if (newUserId && newUserId !== userId) {
      // A rename: the re-read finds the old id gone and the new one present; both are the same person.
      return [
        { entity: 'user', id: userId, kind: 'updated', eventId: `${eventId}#0` },
        { entity: 'user', id: newUserId, kind: 'updated', eventId: `${eventId}#1` },
      ];
    }
    return [{ entity: 'user', id: userId, kind: userKinds[changeType], eventId }];
  }
  if (changeType in partyKinds) {
    const id = text(root.Id);
    if (!id) throw new CallbackVerificationError('malformed', `${changeType} event has no Id`);
    return [{ entity: 'department', id, kind: partyKinds[changeType], eventId }];
  }
  return [];
}

export class WecomCallback {
  private readonly cipher: CallbackCipher;

  constructor(config: WecomCallbackConfig) {
    for (const field of ['token', 'encodingAesKey', 'corpId'] as const) {
      if (!config?.[field]) throw new Error(`WeCom callback: ${field} is required`);
    }
    this.cipher = new CallbackCipher({ token: config.token, encodingAesKey: config.encodingAesKey, receiveId: config.corpId });
  }

  /** GET URL check: the decrypted echostr, to be answered as plain text. */
  verifyUrl(query: WecomCallbackQuery): string {
    return this.cipher.open({
      signature: query.msg_signature ?? '',
      timestamp: query.timestamp ?? '',
      nonce: query.nonce ?? '',
      encrypt: query.echostr ?? '',
    });
  }

  /**
   * POST event: verifies the signature over <Encrypt>, decrypts, checks the corp id; returns the
   * inner XML. The outer body is never parsed: <Encrypt> is taken out by a strict scan, so nothing
   * an unauthenticated caller sends reaches an XML parser.
   */
  decryptEvent(query: WecomCallbackQuery, body: string): string {
    return this.openEvent(query, body).plaintext;
  }

  /** decryptEvent, also returning the verified ciphertext (the key of the delivery: webhook-receiver.ts deliveryKey). */
  openEvent(query: WecomCallbackQuery, body: string): { plaintext: string; encrypt: string } {
    const encrypt = extractBase64Element(body, 'Encrypt', 'callback body');
    return { plaintext: this.cipher.open({ signature: query.msg_signature ?? '', timestamp: query.timestamp ?? '', nonce: query.nonce ?? '', encrypt }), encrypt };
  }

  /** Verify, decrypt and parse in one step. */
  receiveEvents(query: WecomCallbackQuery, body: string): ChangeEvent[] {
    return parseChangeContact(this.decryptEvent(query, body));
  }

  /** A passive reply, encrypted and signed the way WeCom expects it. */
  encryptReply(message: string, timestamp: string = String(Math.floor(Date.now() / 1000)), nonce: string = randomNonce()): string {
    const sealed = this.cipher.seal(message, timestamp, nonce);
    return (
      `<xml><Encrypt><![CDATA[${sealed.encrypt}]]></Encrypt><MsgSignature><![CDATA[${sealed.signature}]]></MsgSignature>` +
      `<TimeStamp>${sealed.timestamp}</TimeStamp><Nonce><![CDATA[${sealed.nonce}]]></Nonce></xml>`
    );
  }
}
