// API tokens (admin only). The token is returned once, at creation; only its sha256 is stored.
import { z } from 'zod';
import type { Db } from '../../db/client';
import { tokenRoles } from '../../db/repos/api-tokens';
import { findLiveTask } from '../../db/repos/task-rows';
import { ValidationError } from '../../db/repos/errors';
import { auditActor, requireRole } from '../auth';
import { ErrorBody, errorResponses } from '../errors';
import { IdParams } from '../schemas';
import type { ApiRoutePlugin } from '../server';

const maxLifetimeDays = 3650;

const CreateTokenBody = z.strictObject({
  name: z.string().max(64),
  role: z.enum(tokenRoles),
  expiresInDays: z.number().int().min(1).max(maxLifetimeDays).optional().describe('the token is refused (401) this many days from now'),
  expiresAt: z.iso.datetime({ offset: true }).optional().describe('the token is refused (401) from this instant; give this or expiresInDays'),
  taskId: z.string().max(128).optional().describe('role scim only: the scim-push task whose writes the token makes; it can call /scim/v2 and nothing else'),
});
const CreatedToken = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(tokenRoles),
  taskId: z.string().optional(),
  expiresAt: z.string().nullable().describe('null: never expires'),
  token: z.string().describe('shown once; store it now'),
});
const TokenSummary = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(tokenRoles),
  taskId: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});

/** expiresInDays or expiresAt (not both) as a Date; none: the token never expires. */
function expiryOf(body: z.infer<typeof CreateTokenBody>): Date | null {
  if (body.expiresInDays !== undefined && body.expiresAt !== undefined) {
    throw new ValidationError('expiresAt', 'give expiresInDays or expiresAt, not both');
  }
  if (body.expiresInDays !== undefined) return new Date(Date.now() + body.expiresInDays * 86_400_000);
  if (body.expiresAt === undefined) return null;
  const at = new Date(body.expiresAt);
  if (at.getTime() > Date.now() + maxLifetimeDays * 86_400_000) throw new ValidationError('expiresAt', `expiresAt must be within ${maxLifetimeDays} days`);
  return at;
}

/** A scim token is bound to a live upstream task of kind scim-push. */
async function assertScimPushTask(db: Db, taskId: string): Promise<void> {
  const task = await findLiveTask(db, taskId);
  if (!task || task.connectorKind !== 'scim-push') throw new ValidationError('taskId', `no scim-push task ${taskId}`);
}

export const tokenRoutes: ApiRoutePlugin = async (app, { deps, services }) => {
  const tags = ['tokens'];
  const adminOnly = requireRole('admin');

  app.post(
    '/tokens',
    { onRequest: adminOnly, schema: { tags, summary: 'Create a token', body: CreateTokenBody, response: { 201: CreatedToken, ...errorResponses } } },
    async (request, reply) => {
      const { name, role, taskId } = request.body;
      if (taskId !== undefined) await assertScimPushTask(deps.database.db, taskId);
      const created = await services.tokens.create({ name, role, taskId, expiresAt: expiryOf(request.body) }, auditActor(request.actor));
      return reply.code(201).send({ ...created, expiresAt: created.expiresAt?.toISOString() ?? null });
    },
  );

  app.get(
    '/tokens',
    { onRequest: adminOnly, schema: { tags, summary: 'List tokens (never the token or its hash)', response: { 200: z.object({ items: z.array(TokenSummary) }), ...errorResponses } } },
    async () => ({
      items: (await services.tokens.list()).map((t) => ({ ...t, createdAt: t.createdAt.toISOString(), lastUsedAt: t.lastUsedAt?.toISOString() ?? null, expiresAt: t.expiresAt?.toISOString() ?? null })),
    }),
  );

  app.delete(
    '/tokens/:id',
    { onRequest: adminOnly, schema: { tags, summary: 'Revoke a token', params: IdParams, response: { 204: z.null().describe('revoked'), 404: ErrorBody, ...errorResponses } } },
    async (request, reply) => {
      await services.tokens.delete(request.params.id, auditActor(request.actor));
      return reply.code(204).send(null);
    },
  );
};
