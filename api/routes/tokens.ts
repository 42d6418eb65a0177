// API tokens (admin only). The token is returned once, at creation; only its sha256 is stored.
import { z } from 'zod';
import { tokenRoles } from '../../db/repos/api-tokens';
import { auditActor, requireRole } from '../auth';
import { ErrorBody, errorResponses } from '../errors';
import { IdParams } from '../schemas';
import type { ApiRoutePlugin } from '../server';

const CreateTokenBody = z.strictObject({ name: z.string().max(64), role: z.enum(tokenRoles) });
const CreatedToken = z.object({ id: z.string(), name: z.string(), role: z.enum(tokenRoles), token: z.string().describe('shown once; store it now') });
const TokenSummary = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(tokenRoles),
  createdBy: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});

export const tokenRoutes: ApiRoutePlugin = async (app, { services }) => {
  const tags = ['tokens'];
  const adminOnly = requireRole('admin');

  app.post(
    '/tokens',
    { onRequest: adminOnly, schema: { tags, summary: 'Create a token', body: CreateTokenBody, response: { 201: CreatedToken, ...errorResponses } } },
    async (request, reply) => reply.code(201).send(await services.tokens.create(request.body, auditActor(request.actor))),
  );

  app.get(
    '/tokens',
    { onRequest: adminOnly, schema: { tags, summary: 'List tokens (never the token or its hash)', response: { 200: z.object({ items: z.array(TokenSummary) }), ...errorResponses } } },
    async () => ({
      items: (await services.tokens.list()).map((t) => ({ ...t, createdAt: t.createdAt.toISOString(), lastUsedAt: t.lastUsedAt?.toISOString() ?? null })),
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
