// GET|POST /webhooks/:taskId — vendor change events for an upstream task with real-time on. No
// bearer token: the vendor's signature is the credential. An accepted event is stored in the inbox
// first and only then signalled to the task's workflow; the answer never waits for a run.
//
// Anyone can call it, so it gives nothing away: every request that fails verification (malformed,
// unknown, deleted, downstream or non-webhook task, callback secrets missing, bad signature, undecryptable,
// bad padding, not JSON/XML, wrong receive id, a timestamp more than 5 minutes off) gets the same
// 401 with the same body, and the reason goes to the server log only. Bodies over 64 KiB get 413
// before they are read. Only a verified caller learns more: URL checks answered at once (nothing
// stored, enabled or not, so a vendor can be set up before real time is switched on); 409 task
// disabled or real time off; 200 for an event stored now, for a vendor retry of one already stored
// (so the vendor stops retrying; nothing is stored or signalled again), and for events that carry
// no directory change.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { markInboxSignalled, storeInboxEvent } from '../../db/repos/webhook-inbox';
import type { SecretBox } from '../../db/secret-box';
import { ApiError, ErrorBody } from '../errors';
import type { ApiRoutePlugin } from '../server';
import { CallbackVerificationError, createWebhookReceiver, hasWebhookReceiver, WebhookConfigError, webhookKinds, type WebhookReceipt, type WebhookReply } from '../webhooks';
import { loadWebhookTask, type WebhookTask } from '../webhooks/tasks';

/** How far a vendor timestamp may be from our clock, either way, before the request is refused as replayed. */
export const WEBHOOK_MAX_SKEW_MS = 5 * 60_000;
/** How long the answer may wait for the signal; WeCom gives 5 s, Feishu 3 s, and the inbox keeps the rest. */
export const WEBHOOK_SIGNAL_WAIT_MS = 1_500;
/** Vendor events are a few KiB; anything larger is refused (413) before it is buffered. */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;

const Params = z.object({ taskId: z.string().min(1).max(200) });
// The vendors' signature parameters, named so the OpenAPI document lists them (a bare record renders
// as nonsense parameters); any other parameter is let through untouched.
const queryValue = z.union([z.string(), z.array(z.string())]).optional();
const Query = z.looseObject({ msg_signature: queryValue, signature: queryValue, timestamp: queryValue, timeStamp: queryValue, nonce: queryValue, echostr: queryValue });
/** Task ids are UUIDs (db/repos/sync-tasks.ts; tests prefix them); anything else (a NUL byte: a database error) is refused unread. */
const TASK_ID = /^[A-Za-z0-9_-]{1,128}$/;

function firstValues(query: Record<string, string | string[]>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
}

function send(reply: FastifyReply, answer: WebhookReply) {
  return reply.code(200).header('content-type', answer.contentType).send(answer.body);
}

/** Resolves when `work` settles or after `ms`, whichever comes first; never rejects. */
async function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export const webhookRoutes: ApiRoutePlugin = async (app, { deps }) => {
  const db = deps.database.db;
  // Signatures cover the exact bytes sent (Feishu), and WeCom sends XML: take every body as text.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  /** The one answer to an unverified request; `reason` (never key material) is for the log. */
  function refuse(request: FastifyRequest, taskId: string, reason: string): never {
    request.log.warn({ taskId, reason }, 'webhook request refused');
    throw new ApiError(401, 'unauthorized', 'webhook request not verified');
  }

  async function taskFor(taskId: string, request: FastifyRequest): Promise<WebhookTask> {
    if (!TASK_ID.test(taskId)) refuse(request, taskId.slice(0, 128).replace(/[^A-Za-z0-9_-]/g, '?'), 'not a task id');
    const task = await loadWebhookTask(db, taskId);
    if (!task || task.direction !== 'upstream' || !hasWebhookReceiver(task.connectorKind)) refuse(request, taskId, `no webhook for task ${taskId}`);
    return task;
  }

  function verify(task: WebhookTask, request: FastifyRequest, method: 'GET' | 'POST', secretBox: SecretBox): WebhookReceipt {
    let receipt: WebhookReceipt;
    try {
      const secrets = secretBox.open<Record<string, string>>(task.secretsSealed) ?? {};
      const receiver = createWebhookReceiver(task.connectorKind, task.settings, secrets);
      receipt = receiver.receive({
        method,
        query: firstValues(request.query as Record<string, string | string[]>),
        headers: request.headers,
        rawBody: typeof request.body === 'string' ? request.body : '',
      });
    } catch (error) {
      // A task without usable callback secrets cannot verify anything: refused like a bad signature.
      if (error instanceof CallbackVerificationError) refuse(request, task.id, `${error.reason}: ${error.message}`);
      if (error instanceof WebhookConfigError) refuse(request, task.id, `webhook not configured: ${error.message}`);
      throw error;
    }
    if (receipt.sentAt !== undefined && Math.abs(Date.now() - receipt.sentAt) > WEBHOOK_MAX_SKEW_MS) {
      refuse(request, task.id, `the request timestamp is more than ${WEBHOOK_MAX_SKEW_MS / 60_000} minutes from now (replayed or clock skew)`);
    }
    return receipt;
  }

  async function handle(taskId: string, request: FastifyRequest, reply: FastifyReply, method: 'GET' | 'POST') {
    // Checked before the task is looked up, so the answer is the same for every task id.
    if (!deps.secretBox) throw new ApiError(503, 'not_configured', 'webhooks need SYNC_CENTER_SECRET_KEY to open the task secrets');
    const task = await taskFor(taskId, request);
    const receipt = verify(task, request, method, deps.secretBox);
    if (receipt.type === 'verification') return send(reply, receipt.reply);
    if (!task.enabled) throw new ApiError(409, 'task_disabled', `task ${task.id} is disabled; enable it to receive events`);
    if (!task.realtime) throw new ApiError(409, 'realtime_off', `task ${task.id} has triggers.realtime off`);
    if (receipt.changes.length === 0) return send(reply, receipt.reply);
    const signaller = deps.realtime;
    if (!signaller) throw new ApiError(503, 'temporal_unavailable', 'this API runs without a Temporal connection; the vendor will retry');

    const stored = await storeInboxEvent(db, {
      taskId: task.id,
      connectorKind: task.connectorKind,
      dedupKey: receipt.dedupKey,
      eventType: receipt.eventType,
      changes: receipt.changes,
    });
    if (!stored) return send(reply, receipt.reply);

    const signalled = signaller.signal(task, receipt.changes.map((c) => c.id)).then(() => markInboxSignalled(db, [stored.id]));
    // Left unsignalled on failure: the inbox drain sends it again.
    signalled.catch((error: unknown) => request.log.warn({ taskId: task.id, inboxId: stored.id, error: (error as Error)?.message }, 'webhook event stored, signal failed'));
    await waitAtMost(signalled, WEBHOOK_SIGNAL_WAIT_MS);
    return send(reply, receipt.reply);
  }

  const schema = (summary: string) => ({
    tags: ['real time'],
    summary,
    security: [],
    params: Params,
    querystring: Query,
    response: {
      401: ErrorBody.describe('not verified, whatever the reason (always the same body)'),
      409: ErrorBody,
      413: ErrorBody.describe(`body over ${WEBHOOK_BODY_LIMIT / 1024} KiB`),
      503: ErrorBody,
    },
  });

  app.get('/webhooks/:taskId', { bodyLimit: WEBHOOK_BODY_LIMIT, config: { public: true, checksOwnInput: true }, schema: schema('WeCom URL check: answers the decrypted echostr') }, (request, reply) =>
    handle(request.params.taskId, request, reply, 'GET'),
  );
  app.post('/webhooks/:taskId', { bodyLimit: WEBHOOK_BODY_LIMIT, config: { public: true, checksOwnInput: true }, schema: schema(`Vendor change event (kinds ${webhookKinds.join(', ')}), or its URL check`) }, (request, reply) =>
    handle(request.params.taskId, request, reply, 'POST'),
  );
};
