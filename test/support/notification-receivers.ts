// Local receivers for run notifications: fakes of the WeCom group robot, the Feishu custom bot and the
// DingTalk robot (paths, envelopes, error codes and signature rules as their docs describe them;
// activities/notifications/README.md lists what is second-hand) and a generic webhook that checks
// the HMAC. Each records what it accepted; `failNext` answers the next sends with a vendor error.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverKind = 'wecom-robot' | 'feishu-bot' | 'dingtalk-robot' | 'webhook';

export interface ReceivedMessage {
  kind: ReceiverKind;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

export interface RobotCredentials {
  wecomKey: string;
  feishuToken: string;
  feishuSecret: string;
  dingtalkToken: string;
  dingtalkSecret: string;
  webhookSecret: string;
}

export interface RunningReceivers {
  baseUrl: string;
  received: ReceivedMessage[];
  /** refusals seen (bad key, bad signature): a correct sender never causes one */
  refused: { kind: ReceiverKind; code: number; msg: string }[];
  /** the next `times` sends to `kind` answer its rate-limit code */
  failNext(kind: ReceiverKind, times: number): void;
  urls: { wecom: string; feishu: string; dingtalk: string; webhook: string };
  close(): Promise<void>;
}

const hourMs = 3_600_000;

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startNotificationReceivers(creds: RobotCredentials): Promise<RunningReceivers> {
  const received: ReceivedMessage[] = [];
  const refused: RunningReceivers['refused'] = [];
  const failures = new Map<ReceiverKind, number>();

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, kind: ReceiverKind, code: number, msg: string, envelope: 'errcode' | 'code') => {
    refused.push({ kind, code, msg });
    send(res, 200, envelope === 'errcode' ? { errcode: code, errmsg: msg } : { code, msg, data: {} });
  };
  const injected = (kind: ReceiverKind): boolean => {
    const left = failures.get(kind) ?? 0;
    if (left <= 0) return false;
    failures.set(kind, left - 1);
    return true;
  };

  function wecom(url: URL, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse) {
    if (url.searchParams.get('key') !== creds.wecomKey) return refuse(res, 'wecom-robot', 93000, 'invalid webhook url', 'errcode');
    if (injected('wecom-robot')) return send(res, 200, { errcode: 45009, errmsg: 'api freq out of limit' });
    const type = body.msgtype;
    const content = type === 'markdown' ? (body.markdown as { content?: unknown })?.content : type === 'text' ? (body.text as { content?: unknown })?.content : undefined;
    if (typeof content !== 'string' || content === '') return refuse(res, 'wecom-robot', 40008, 'invalid message type', 'errcode');
    if (Buffer.byteLength(content) > 4096) return refuse(res, 'wecom-robot', 40058, 'content exceed max length', 'errcode');
    received.push({ kind: 'wecom-robot', body, headers: req.headers });
    send(res, 200, { errcode: 0, errmsg: 'ok' });
  }

  function feishu(token: string, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse) {
    if (token !== creds.feishuToken) return refuse(res, 'feishu-bot', 19001, 'param invalid: incoming webhook access token invalid', 'code');
    const timestamp = String(body.timestamp ?? '');
    const expected = createHmac('sha256', `${timestamp}\n${creds.feishuSecret}`).update('').digest('base64');
    const fresh = /^\d+$/.test(timestamp) && Math.abs(Date.now() - Number(timestamp) * 1000) <= hourMs;
    if (!fresh || typeof body.sign !== 'string' || !same(body.sign, expected)) {
      return refuse(res, 'feishu-bot', 19021, 'sign match fail or timestamp is not within one hour from current time', 'code');
    }
    if (injected('feishu-bot')) return send(res, 200, { code: 9499, msg: 'too many request', data: {} });
    const text = (body.content as { text?: unknown } | undefined)?.text;
    if (body.msg_type !== 'text' || typeof text !== 'string' || text === '') return refuse(res, 'feishu-bot', 19002, 'params error, msg_type need', 'code');
    received.push({ kind: 'feishu-bot', body, headers: req.headers });
    send(res, 200, { code: 0, msg: 'success', data: {} });
  }

  function dingtalk(url: URL, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse) {
    if (url.searchParams.get('access_token') !== creds.dingtalkToken) return refuse(res, 'dingtalk-robot', 300001, 'token is not exist', 'errcode');
    const timestamp = url.searchParams.get('timestamp') ?? '';
    const sign = url.searchParams.get('sign') ?? '';
    const expected = createHmac('sha256', creds.dingtalkSecret).update(`${timestamp}\n${creds.dingtalkSecret}`).digest('base64');
    const fresh = /^\d+$/.test(timestamp) && Math.abs(Date.now() - Number(timestamp)) <= hourMs;
    if (!fresh || !same(sign, expected)) return refuse(res, 'dingtalk-robot', 310000, 'sign not match', 'errcode');
    if (injected('dingtalk-robot')) return send(res, 200, { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' });
    const text = (body.markdown as { text?: unknown; title?: unknown } | undefined)?.text;
    if (body.msgtype !== 'markdown' || typeof text !== 'string' || typeof (body.markdown as { title?: unknown }).title !== 'string') {
      return refuse(res, 'dingtalk-robot', 40035, 'missing parameter', 'errcode');
    }
    received.push({ kind: 'dingtalk-robot', body, headers: req.headers });
    send(res, 200, { errcode: 0, errmsg: 'ok' });
  }

  function webhook(raw: string, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse) {
    const timestamp = String(req.headers['x-sync-center-timestamp'] ?? '');
    const signature = String(req.headers['x-sync-center-signature'] ?? '');
    const expected = `sha256=${createHmac('sha256', creds.webhookSecret).update(`${timestamp}.${raw}`).digest('hex')}`;
    if (!same(signature, expected) || Math.abs(Date.now() - Number(timestamp) * 1000) > 300_000) {
      refused.push({ kind: 'webhook', code: 401, msg: 'bad signature' });
      return send(res, 401, { error: 'bad signature' });
    }
    if (injected('webhook')) return send(res, 503, { error: 'busy' });
    received.push({ kind: 'webhook', body, headers: req.headers });
    res.writeHead(204).end();
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://receiver');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return send(res, 400, { errcode: 40001, errmsg: 'invalid json' });
      }
      if (req.method !== 'POST') return send(res, 405, {});
      if (url.pathname === '/cgi-bin/webhook/send') return wecom(url, body, req, res);
      const hook = /^\/open-apis\/bot\/v2\/hook\/([^/]+)$/.exec(url.pathname);
      if (hook) return feishu(decodeURIComponent(hook[1]), body, req, res);
      if (url.pathname === '/robot/send') return dingtalk(url, body, req, res);
      if (url.pathname === '/hooks/sync-center') return webhook(raw, body, req, res);
      send(res, 404, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    received,
    refused,
    failNext: (kind, times) => failures.set(kind, times),
    urls: {
      wecom: `${baseUrl}/cgi-bin/webhook/send?key=${creds.wecomKey}`,
      feishu: `${baseUrl}/open-apis/bot/v2/hook/${creds.feishuToken}`,
      dingtalk: `${baseUrl}/robot/send?access_token=${creds.dingtalkToken}`,
      webhook: `${baseUrl}/hooks/sync-center`,
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
