// One sender per channel kind. Each posts the message the way its receiver wants it (robot markdown,
// Feishu's and DingTalk's signatures, an HMAC-signed JSON body, a mail) and throws a
// NotificationSendError that never carries the URL (robot keys live in it) or a secret.
import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import { VendorError } from '../../connectors/errors';
import { hostRefusal, smtpHostRefusal } from '../../connectors/shared/host-policy';
import { requestJson, scrubSecrets } from '../../connectors/shared/http';
import { messageText, type ChannelKind, type NotificationMessage } from '../../engine/notifications';
import type { OpenChannel } from '../../db/repos/notification-channels';

export class NotificationSendError extends Error {
  override readonly name = 'NotificationSendError';
  constructor(
    message: string,
    /** a retry may succeed (rate limit, 5xx, network) */
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/** Documented hosts per robot (anything else needs SYNC_CENTER_ALLOWED_HOSTS); the generic webhook and SMTP have none (only the operator's). */
export const robotHosts: Record<'wecom-robot' | 'feishu-bot' | 'dingtalk-robot', readonly string[]> = {
  'wecom-robot': ['qyapi.weixin.qq.com'],
  'feishu-bot': ['open.feishu.cn', 'open.larksuite.com'],
  'dingtalk-robot': ['oapi.dingtalk.com'],
};

// Envelope codes a retry can cure: WeCom 45009 (20 messages/min), Feishu 9499 / 11232 (frequency),
// DingTalk 130101 (send too fast). Second-hand: activities/notifications/README.md.
const transientRobotCodes = new Set([45009, 9499, 11232, 130101]);

/** Feishu custom bot: base64(HMAC-SHA256 keyed by `timestamp + "\n" + secret` over an empty message), timestamp in seconds. */
export function feishuSign(timestampSeconds: string, secret: string): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/** DingTalk robot: base64(HMAC-SHA256 keyed by the secret over `timestamp + "\n" + secret`), timestamp in ms (URL-encoded by the caller). */
export function dingtalkSign(timestampMs: string, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

/** The generic webhook's signature header: `sha256=` hex HMAC of `timestamp + "." + body`. */
export function webhookSignature(timestamp: string, body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

async function postRobot(kind: ChannelKind, url: string, body: unknown, allowedHosts: readonly string[], secrets: Record<string, string>): Promise<void> {
  // The URL's key or token (and the signing secret) must not come back in an error, echoed or not.
  const tokens = [...Object.values(secrets), ...[...new URL(url).searchParams.values()], ...new URL(url).pathname.split('/')].filter((t) => t.length >= 8);
  const scrub = (text: string) => scrubSecrets(text, tokens);
  let answer: { status: number; body: unknown };
  try {
    answer = await requestJson({ vendor: kind, method: 'POST', url, body, allowedHosts, timeoutMs: 10_000, secretParams: ['key', 'access_token', 'sign'] });
  } catch (err) {
    if (err instanceof VendorError) throw new NotificationSendError(scrub(`${kind}: ${err.vendorCode} ${err.vendorMessage}`), err.transient);
    throw err;
  }
  const envelope = (answer.body ?? {}) as { errcode?: unknown; code?: unknown; errmsg?: unknown; msg?: unknown; StatusCode?: unknown };
  const code = envelope.errcode ?? envelope.code ?? envelope.StatusCode;
  if (answer.status === 429) throw new NotificationSendError(`${kind}: HTTP 429`, true);
  if (answer.status >= 400 || (code !== undefined && code !== 0)) {
    const numeric = typeof code === 'number' ? code : Number(code);
    const text = String(envelope.errmsg ?? envelope.msg ?? '').slice(0, 200);
    throw new NotificationSendError(scrub(`${kind}: ${code ?? `HTTP ${answer.status}`} ${text}`.trim()), transientRobotCodes.has(numeric));
  }
}

function markdown(message: NotificationMessage): string {
  return [`**${message.title}**`, ...message.lines.map((l) => `> ${l}`), ...(message.link ? [`[Open](${message.link})`] : [])].join('\n');
}

async function sendWecom(channel: OpenChannel, message: NotificationMessage): Promise<void> {
  await postRobot('wecom-robot', channel.secrets.webhookUrl, { msgtype: 'markdown', markdown: { content: markdown(message) } }, robotHosts['wecom-robot'], channel.secrets);
}

async function sendFeishu(channel: OpenChannel, message: NotificationMessage, now: () => number): Promise<void> {
  const body: Record<string, unknown> = { msg_type: 'text', content: { text: messageText(message) } };
  if (channel.secrets.signingSecret) {
    const timestamp = String(Math.floor(now() / 1000));
    Object.assign(body, { timestamp, sign: feishuSign(timestamp, channel.secrets.signingSecret) });
  }
  await postRobot('feishu-bot', channel.secrets.webhookUrl, body, robotHosts['feishu-bot'], channel.secrets);
}

async function sendDingtalk(channel: OpenChannel, message: NotificationMessage, now: () => number): Promise<void> {
  const url = new URL(channel.secrets.webhookUrl);
  if (channel.secrets.signingSecret) {
    const timestamp = String(now());
    url.searchParams.set('timestamp', timestamp);
    url.searchParams.set('sign', dingtalkSign(timestamp, channel.secrets.signingSecret));
  }
  await postRobot('dingtalk-robot', url.toString(), { msgtype: 'markdown', markdown: { title: message.title, text: markdown(message) } }, robotHosts['dingtalk-robot'], channel.secrets);
}

async function sendWebhook(channel: OpenChannel, message: NotificationMessage, now: () => number): Promise<void> {
  const url = new URL(channel.secrets.url);
  const refused = hostRefusal(url, []);
  if (refused) throw new NotificationSendError(`webhook: ${refused}`, false);
  const body = JSON.stringify({ event: message.event, title: message.title, text: messageText(message), taskId: message.taskId, taskName: message.taskName, runId: message.runId, link: message.link ?? null, details: message.details });
  const timestamp = String(Math.floor(now() / 1000));
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
      headers: { 'content-type': 'application/json', 'x-sync-center-event': message.event, 'x-sync-center-timestamp': timestamp, 'x-sync-center-signature': webhookSignature(timestamp, body, channel.secrets.signingSecret) },
      body,
    });
    await response.body?.cancel().catch(() => undefined);
  } catch (err) {
    throw new NotificationSendError(`webhook: request failed (${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name})`, true);
  }
  if (response.status >= 200 && response.status < 300) return;
  throw new NotificationSendError(`webhook: HTTP ${response.status}`, response.status === 429 || response.status >= 500);
}

async function sendEmail(channel: OpenChannel, message: NotificationMessage): Promise<void> {
  const settings = channel.settings;
  // Checked at every send, as for webhooks: the allow-list may have changed since the channel was saved.
  const refused = smtpHostRefusal(settings.host ?? '', settings.port ?? 587);
  if (refused) throw new NotificationSendError(`email: SMTP ${refused}`, false);
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure ?? false,
    ...(channel.secrets.username ? { auth: { user: channel.secrets.username, pass: channel.secrets.password ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  try {
    await transport.sendMail({ from: settings.from, to: settings.to, subject: `[Sync Center] ${message.title}`, text: messageText(message), headers: { 'X-Sync-Center-Event': message.event, 'X-Sync-Center-Run': message.runId } });
  } catch (err) {
    const e = err as { code?: string; responseCode?: number };
    // 4xx SMTP replies and connection failures are temporary; 5xx are refusals.
    const transient = e.responseCode === undefined || e.responseCode < 500;
    throw new NotificationSendError(`email: ${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}`, transient);
  } finally {
    transport.close();
  }
}

export async function sendNotification(channel: OpenChannel, message: NotificationMessage, now: () => number = Date.now): Promise<void> {
  switch (channel.kind) {
    case 'wecom-robot':
      return sendWecom(channel, message);
    case 'feishu-bot':
      return sendFeishu(channel, message, now);
    case 'dingtalk-robot':
      return sendDingtalk(channel, message, now);
    case 'webhook':
      return sendWebhook(channel, message, now);
    case 'email':
      return sendEmail(channel, message);
  }
}
