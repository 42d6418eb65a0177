// The field mapping's preview (字段映射预览): a task form's mapping rows applied to a few real hub
// users before saving, through the same compile and sandbox a run uses. Nothing is stored or sent.
import { z } from 'zod';
import { connectorCatalog } from '../../connectors/definitions';
import { factsOf } from '../../engine/connector-kind';
import { canonicalUserFields, compileFieldMapping, FieldMappingEntry, FieldMappingError, mapUsers } from '../../engine/field-mapping';
import { TaskConfigError, withCanonicalTarget } from '../../engine/task-config';
import { hubWriters, requireRole } from '../auth';
import { ApiError, ErrorBody } from '../errors';
import type { ApiRoutePlugin } from '../server';
import { TaskConfigErrorBody } from '../sync-schemas';
import { answeringTaskConfigErrors } from './sync-tasks';

const PreviewBody = z.strictObject({
  kind: z.string().min(1).max(64).describe('the connector kind (vendor field names such as WeCom `position` are read as its canonical field)'),
  fieldMapping: z.array(FieldMappingEntry).max(200),
  limit: z.number().int().min(1).max(20).default(5).describe('how many hub users, the first by the directory order'),
});

const Mapped = z.object({
  id: z.string(),
  name: z.string(),
  values: z.record(z.string(), z.unknown()).describe('the mapped canonical fields and attributes'),
  error: z.string().nullable().describe('why this user could not be mapped (an expression threw or gave an unusable value)'),
});

export const mappingPreviewRoutes: ApiRoutePlugin = async (app, { services }) => {
  app.post(
    '/sync-tasks/preview-mapping',
    {
      onRequest: requireRole(...hubWriters),
      schema: {
        tags: ['sync tasks'],
        summary: 'Apply field mapping rows to a few hub users (nothing is saved)',
        body: PreviewBody,
        response: { 200: z.object({ items: z.array(Mapped) }), 400: TaskConfigErrorBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request, reply) =>
      answeringTaskConfigErrors(reply, async () => {
        const facts = factsOf(connectorCatalog, request.body.kind);
        if (!facts) throw new ApiError(400, 'validation_failed', `unknown connector kind "${request.body.kind}"`, 'kind');
        let compiled;
        try {
          compiled = compileFieldMapping(request.body.fieldMapping.map((entry) => withCanonicalTarget(entry, facts)));
        } catch (error) {
          if (!(error instanceof FieldMappingError)) throw error;
          throw new TaskConfigError([{ field: error.field, message: error.message.slice(error.field.length + 2) }]);
        }
        const { items: users } = await services.hub.listUsers({ limit: request.body.limit, offset: 0 });
        const mapped = await mapUsers(compiled, users);
        const byId = new Map(mapped.users.map((user) => [user.id, user]));
        const failures = new Map(mapped.failures.map((failure) => [failure.sourceId, failure.reason]));
        return {
          items: users.map((user) => {
            const out = byId.get(user.id);
            const values: Record<string, unknown> = {};
            if (out) {
              for (const field of canonicalUserFields) values[field] = out[field];
              for (const [key, value] of Object.entries(out.attributes ?? {})) values[`attributes.${key}`] = value;
            }
            return { id: user.id, name: user.name, values, error: failures.get(user.id) ?? null };
          }),
        };
      }),
  );
};
