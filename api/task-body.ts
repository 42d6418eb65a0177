// The sync-task body as /docs shows it: every connector kind's settings and secrets schemas
// (connectors/definitions.ts). The repository validates the body itself (db/repos/sync-tasks.ts), so
// its 400 names every offending field; the route only insists on a JSON object.
import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { connectorCatalog } from '../connectors/definitions';
import { connectionCheckNames } from '../connectors/types';
import { taskConfigSchema } from '../engine/task-config';

const documented = taskConfigSchema(connectorCatalog);

export const TaskBody = documented.describe('a sync task (docs/architecture.md); `connector` is one of the kinds below, each with its own settings and secrets; validated as a whole');

export const TaskPatchBody = documented
  .partial()
  .extend({ resetLinks: z.boolean().optional().describe('a re-pointing PATCH may drop the links and cancel open items') })
  .describe('a JSON merge patch of the task (null removes a key); the result is validated as a whole');

const AnyObject = z.record(z.string(), z.unknown());

/** Route validator: the body only needs to be an object here (the repository names each bad field); params and query as declared. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fastify types a route's compiler by its whole schema object
export const taskBodyValidator: FastifySchemaCompiler<any> = (route) =>
  route.httpPart === 'body' ? validatorCompiler({ ...route, schema: AnyObject }) : validatorCompiler(route);

export const ConnectionCheckBody = z.object({
  name: z.enum(connectionCheckNames),
  ok: z.boolean(),
  detail: z.string().describe("what was found; a refusal carries the vendor's code and message, never a secret"),
});

export const ConnectionTestResponse = z.object({ ok: z.boolean().describe('every check passed'), checks: z.array(ConnectionCheckBody) });
