// Test support: signed, encrypted deliveries as each vendor sends them (with any timestamp, so
// stale and forged ones can be made), tasks stored the way the API stores them, and a signaller
// that records instead of calling Temporal.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Database } from '../../db/client';
import { syncTasks } from '../../db/schema';
import type { SecretBox } from '../../db/secret-box';
import { encryptFeishuEvent, feishuSignature } from '../../connectors/feishu/callback';
import { CallbackCipher } from '../../connectors/shared/callback-crypto';
import { parseTaskConfig, splitSecrets, type TaskConfigInput } from '../../engine/task-config';
import { connectorCatalog } from '../../connectors/definitions';
import type { TriggerRequest } from '../../workflows/definitions';
import { createCoalescingSignaller, type RealtimeSignaller } from './realtime-signal';

export const callbackKeys = {
  token: 'callback-token-for-tests',
  aesKey: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', // 43 characters of base64
  feishuEncryptKey: 'feishu-encrypt-key-for-tests',
  feishuVerificationToken: 'feishu-verification-token',
};

/** The webhook secrets a task of each kind needs, with the keys above. */
export const webhookSecrets = {
  wecom: { callbackToken: callbackKeys.token, callbackEncodingAesKey: callbackKeys.aesKey },
  feishu: { eventEncryptKey: callbackKeys.feishuEncryptKey, eventVerificationToken: callbackKeys.feishuVerificationToken },
  dingtalk: { callbackToken: callbackKeys.token, callbackAesKey: callbackKeys.aesKey },
};

export interface Delivery {
  method: 'GET' | 'POST';
  /** path and query, relative to the webhook URL */
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: string;
}

const seconds = (ms: number) => String(Math.floor(ms / 1000));

export function wecomUrlCheck(corpId: string, echo: string, at = Date.now()): Delivery {
  const sealed = new CallbackCipher({ token: callbackKeys.token, encodingAesKey: callbackKeys.aesKey, receiveId: corpId }).seal(echo, seconds(at));
  return { method: 'GET', query: { msg_signature: sealed.signature, timestamp: sealed.timestamp, nonce: sealed.nonce, echostr: sealed.encrypt }, headers: {} };
}

/** A change_contact event, e.g. `{ ChangeType: 'update_user', UserID: 'alice' }`. */
export function wecomEvent(corpId: string, fields: Record<string, string>, at = Date.now(), token = callbackKeys.token): Delivery {
  const inner = Object.entries(fields)
    .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
    .join('');
  const plain = `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><CreateTime>${seconds(at)}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event>${inner}</xml>`;
  const sealed = new CallbackCipher({ token, encodingAesKey: callbackKeys.aesKey, receiveId: corpId }).seal(plain, seconds(at));
  return {
    method: 'POST',
    query: { msg_signature: sealed.signature, timestamp: sealed.timestamp, nonce: sealed.nonce },
    headers: { 'content-type': 'text/xml' },
    body: `<xml><ToUserName><![CDATA[${corpId}]]></ToUserName><Encrypt><![CDATA[${sealed.encrypt}]]></Encrypt><AgentID><![CDATA[]]></AgentID></xml>`,
  };
}

/** A schema-2.0 delivery of `plain` (an event or the url_verification challenge), signed unless told not to. */
export function feishuDelivery(plain: Record<string, unknown>, at = Date.now(), options: { signed?: boolean; encryptKey?: string } = {}): Delivery {
  const encryptKey = options.encryptKey ?? callbackKeys.feishuEncryptKey;
  const body = JSON.stringify({ encrypt: encryptFeishuEvent(encryptKey, JSON.stringify(plain)) });
  const timestamp = seconds(at);
  const nonce = randomBytes(8).toString('hex');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.signed !== false) {
    Object.assign(headers, { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': feishuSignature(timestamp, nonce, encryptKey, body) });
  }
  return { method: 'POST', query: {}, headers, body };
}

export function feishuUserEvent(eventType: string, userId: string, eventId: string = randomUUID()): Record<string, unknown> {
  return {
    schema: '2.0',
    header: { event_id: eventId, event_type: eventType, create_time: String(Date.now()), token: callbackKeys.feishuVerificationToken, app_id: 'cli_test', tenant_key: 't' },
    event: { object: { user_id: userId, open_id: `ou_${userId}` } },
  };
}

export function dingtalkEvent(receiveId: string, payload: Record<string, unknown>, at = Date.now()): Delivery {
  const sealed = new CallbackCipher({ token: callbackKeys.token, encodingAesKey: callbackKeys.aesKey, receiveId }).seal(JSON.stringify(payload), String(at));
  return {
    method: 'POST',
    query: { signature: sealed.signature, timestamp: sealed.timestamp, nonce: sealed.nonce },
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ encrypt: sealed.encrypt }),
  };
}

export function queryString(query: Record<string, string>): string {
  const text = new URLSearchParams(query).toString();
  return text ? `?${text}` : '';
}

/** Inserts a task row as the API stores it (public config, sealed secrets); returns its id. */
export async function insertTask(database: Database, secretBox: SecretBox, body: TaskConfigInput): Promise<string> {
  const id = `task-${randomUUID()}`;
  const { publicConfig, secrets } = splitSecrets(parseTaskConfig(body, { kinds: connectorCatalog }));
  await database.db.insert(syncTasks).values({
    id,
    name: publicConfig.name,
    direction: publicConfig.direction,
    connectorKind: publicConfig.connector.kind,
    config: publicConfig,
    secretsSealed: secretBox.seal(secrets),
    enabled: publicConfig.enabled,
  });
  return id;
}

export interface RecordingSignaller extends RealtimeSignaller {
  sent: { taskId: string; trigger: TriggerRequest }[];
  /** make the next sends fail (Temporal away) until set back to false */
  failing: boolean;
}

export function recordingSignaller(): RecordingSignaller {
  const recorder = {
    sent: [] as { taskId: string; trigger: TriggerRequest }[],
    failing: false,
  };
  const inner = createCoalescingSignaller(async (task, trigger) => {
    if (recorder.failing) throw new Error('Temporal is away (test)');
    recorder.sent.push({ taskId: task.id, trigger });
  });
  return Object.assign(recorder, { signal: inner.signal, flush: inner.flush });
}
