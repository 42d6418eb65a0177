// The audit trail (admin only): who approved this delete, who changed this mapping. Newest first, paged.
import { z } from 'zod';
import { requireRole } from '../auth';
import { ApiError, errorResponses } from '../errors';
import { PageQuery } from '../schemas';
import type { ApiRoutePlugin } from '../server';

const AuditQuery = z.strictObject({
  ...PageQuery,
  actor: z.string().min(1).max(300).optional().describe('exactly this actor: `token:<name>:<id>`, `bootstrap-admin`, `sync:<taskId>`, …'),
  entity: z
    .string()
    .min(1)
    .max(300)
    .regex(/^[\w.-]+(:.+)?$/, 'must be <type> or <type>:<id>')
    .optional()
    .describe('an entity type (`user`, `department`, `sync_task`, `pending_deletion`, `token`, `notification_channel`) or `<type>:<id>` for one entity'),
  action: z.string().min(1).max(100).optional().describe('exactly this action, e.g. `user.update`, `pending_deletion.execute`'),
  from: z.iso.datetime({ offset: true }).optional().describe('entries at or after this instant'),
  to: z.iso.datetime({ offset: true }).optional().describe('entries before this instant'),
});

const AuditEntry = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  before: z.unknown().describe('the entity before the write (null for a create)'),
  after: z.unknown().describe('the entity after the write (null for a delete)'),
});

const AuditPage = z.object({ items: z.array(AuditEntry), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });

export const auditRoutes: ApiRoutePlugin = async (app, { services }) => {
  app.get(
    '/audit',
    { onRequest: requireRole('admin'), schema: { tags: ['audit'], summary: 'The audit log, newest first', querystring: AuditQuery, response: { 200: AuditPage, ...errorResponses } } },
    async (request) => {
      const { actor, entity, action, from, to, limit, offset } = request.query;
      const split = entity?.indexOf(':') ?? -1;
      const entityType = entity === undefined ? undefined : split < 0 ? entity : entity.slice(0, split);
      const entityId = entity !== undefined && split >= 0 ? entity.slice(split + 1) : undefined;
      const fromDate = from ? new Date(from) : undefined;
      const toDate = to ? new Date(to) : undefined;
      if (fromDate && toDate && fromDate > toDate) throw new ApiError(400, 'validation_failed', 'from: must not be after to', 'from');
      const page = await services.audit.list({ actor, entityType, entityId, action, from: fromDate, to: toDate, limit, offset });
      return { items: page.items.map((e) => ({ ...e, at: e.at.toISOString(), before: e.before ?? null, after: e.after ?? null })), total: page.total, limit, offset };
    },
  );
};
