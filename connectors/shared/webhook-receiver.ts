// What every vendor's webhook receiver (connectors/<kind>/webhook.ts) looks like to the webhook route
// (api/routes/webhooks.ts): one request in, a verified receipt out (or a CallbackVerificationError).
// Receivers are pure: no database, no Temporal. Here, not in api/, because connectors never import api/.
import { createHash } from 'node:crypto';
import type { ChangeEvent } from '../../engine/model';
import { CallbackVerificationError } from './callback-crypto';

export { CallbackVerificationError } from './callback-crypto';

export interface WebhookRequest {
  method: 'GET' | 'POST';
  query: Record<string, string | undefined>;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
}

export interface WebhookReply {
  contentType: 'text/plain; charset=utf-8' | 'application/json; charset=utf-8';
  body: string;
}

export type WebhookReceipt =
  | {
      /** the vendor checks the URL: answer at once, store nothing */
      type: 'verification';
      /** when the vendor says it sent the request (ms), when it says so */
      sentAt?: number;
      reply: WebhookReply;
    }
  | {
      type: 'event';
      sentAt: number;
      /** vendor event id, or the key of the delivery (deliveryKey): the same for a vendor's retry, never for two events */
      dedupKey: string;
      eventType: string;
      changes: ChangeEvent[];
      reply: WebhookReply;
    };

export interface WebhookReceiver {
  receive(request: WebhookRequest): WebhookReceipt;
}

/** A task whose webhook settings or secrets are missing or unusable; `field` names which one. */
export class WebhookConfigError extends Error {
  override readonly name = 'WebhookConfigError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export function requireSecret(secrets: Record<string, string>, name: string): string {
  const value = secrets[name];
  // Only whether it is there is ever said, never the value.
  if (typeof value !== 'string' || value === '') throw new WebhookConfigError(`connector.secrets.${name}`, 'is required for real-time webhooks');
  return value;
}

export function requireSetting(settings: Record<string, unknown>, name: string): string {
  const value = settings[name];
  if (typeof value !== 'string' || value === '') throw new WebhookConfigError(`connector.settings.${name}`, 'is required for real-time webhooks');
  return value;
}

/** Vendor timestamps are seconds (WeCom, Feishu) or milliseconds (DingTalk); both become ms. */
export function vendorTime(value: string | undefined, name: string): number {
  if (value === undefined || !/^\d{1,16}$/.test(value)) throw new CallbackVerificationError('malformed', `${name} is missing or not a number`);
  const n = Number(value);
  return n >= 1e11 ? n : n * 1000;
}

export function contentHash(plaintext: string): string {
  return `sha256:${createHash('sha256').update(plaintext, 'utf8').digest('hex')}`;
}

/**
 * The key of one delivery: a hash of its ciphertext, which the verified signature covers. A resent
 * request has the same key; two events never do, as each is sealed with 16 random bytes of its own.
 * Not a hash of the plaintext: ids-only callbacks (WeCom's since 2022, DingTalk's) make two changes of
 * one person in one second the same plaintext, and the second change was taken for a retry and
 * dropped, lost until the next full sync. Nor the query's signature, timestamp and nonce: the
 * signature is compared case-insensitively and the fields are joined without a separator, so a
 * replayed delivery could be resent under many keys. A retry the vendor seals anew costs one more
 * real-time run that finds nothing to do.
 */
export function deliveryKey(encrypt: string): string {
  return contentHash(`encrypt:${encrypt}`);
}

export const textReply = (body: string): WebhookReply => ({ contentType: 'text/plain; charset=utf-8', body });
export const jsonReply = (body: unknown): WebhookReply => ({ contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });
