// Notification channels (admin only): where run events are announced, globally (no taskId) or for one
// task. Secrets (robot webhook URLs, signing secrets, SMTP passwords) are sealed and never shown again.
import { z } from 'zod';
import { createNotificationChannels } from '../../db/repos/notification-channels';
import { channelKinds, notificationEvents } from '../../engine/notifications';
import { ApiError, ErrorBody, errorResponses } from '../errors';
import { auditActor, requireRole } from '../auth';
import { IdParams } from '../schemas';
import type { ApiRoutePlugin } from '../server';

const CreateChannelBody = z.strictObject({
  name: z.string().min(1).max(100),
  taskId: z.string().min(1).max(128).nullable().optional().describe('omit or null: a global channel, for every task'),
  kind: z.enum(channelKinds),
  events: z.array(z.enum(notificationEvents)).min(1).max(notificationEvents.length).optional().describe('default: every event'),
  settings: z.record(z.string(), z.unknown()).optional().describe('email: {host, port, secure, from, to}; any kind: credentialFailureThreshold (default 3)'),
  secrets: z.record(z.string(), z.unknown()).describe('wecom-robot {webhookUrl}; feishu-bot / dingtalk-robot {webhookUrl, signingSecret?}; webhook {url, signingSecret}; email {username?, password?}'),
  enabled: z.boolean().optional(),
});

const ChannelSummary = z.object({
  id: z.string(),
  name: z.string(),
  taskId: z.string().nullable(),
  kind: z.enum(channelKinds),
  events: z.array(z.enum(notificationEvents)),
  settings: z.record(z.string(), z.unknown()),
  secretsSet: z.array(z.string()).describe('names of the secrets that are set; their values are never returned'),
  enabled: z.boolean(),
  createdAt: z.string(),
});

const ListQuery = z.strictObject({ taskId: z.string().min(1).max(128).optional() });

export const notificationChannelRoutes: ApiRoutePlugin = async (app, { deps }) => {
  const tags = ['notifications'];
  const adminOnly = requireRole('admin');
  const channels = () => {
    if (!deps.secretBox) throw new ApiError(503, 'not_configured', 'notification channels need SYNC_CENTER_SECRET_KEY to seal their secrets');
    return createNotificationChannels(deps.database.db, { secretBox: deps.secretBox });
  };
  const shown = (c: Awaited<ReturnType<ReturnType<typeof channels>['create']>>) => ({ ...c, createdAt: c.createdAt.toISOString() });

  app.post(
    '/notification-channels',
    { onRequest: adminOnly, schema: { tags, summary: 'Add a notification channel', body: CreateChannelBody, response: { 201: ChannelSummary, ...errorResponses, 503: ErrorBody } } },
    async (request, reply) => reply.code(201).send(shown(await channels().create(request.body, auditActor(request.actor)))),
  );

  app.get(
    '/notification-channels',
    { onRequest: adminOnly, schema: { tags, summary: 'List notification channels (never their secrets)', querystring: ListQuery, response: { 200: z.object({ items: z.array(ChannelSummary) }), ...errorResponses, 503: ErrorBody } } },
    async (request) => ({ items: (await channels().list(request.query)).map(shown) }),
  );

  app.delete(
    '/notification-channels/:id',
    { onRequest: adminOnly, schema: { tags, summary: 'Remove a notification channel', params: IdParams, response: { 204: z.null().describe('removed'), 404: ErrorBody, ...errorResponses, 503: ErrorBody } } },
    async (request, reply) => {
      await channels().remove(request.params.id, auditActor(request.actor));
      return reply.code(204).send(null);
    },
  );
};
