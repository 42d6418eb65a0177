// One error envelope for the whole API: 400 validation_failed (with the field), 401, 403, 404, 409.
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../db/repos/errors';

export const ErrorBody = z.object({
  error: z.string().describe('machine-readable code: validation_failed, unauthorized, forbidden, not_found, conflict, …'),
  message: z.string().optional(),
  field: z.string().optional().describe('path of the offending input, e.g. `email` or `departmentIds.1`'),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Response schemas for the errors every authenticated route can answer with. */
export const errorResponses = {
  400: ErrorBody.describe('invalid input; `field` names it'),
  401: ErrorBody.describe('missing or unknown token'),
  403: ErrorBody.describe('the token role may not do this'),
} as const;

/** An HTTP error thrown from a hook or handler, rendered as `{ error, message }` (and `field` when it names one). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message?: string,
    readonly field?: string,
  ) {
    super(message ?? code);
  }
}

// Fastify's own parser errors for a body that is missing, not JSON, or of another content type.
const bodyErrorCodes = new Set(['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_MEDIA_TYPE', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH']);

interface ZodIssueLike {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** `/departmentIds/1` → `departmentIds.1`; an unknown key names that key; the root names its part (`body`). */
function fieldOf(issue: ZodIssueLike, context: string | undefined): string {
  const path = issue.instancePath.split('/').filter(Boolean);
  const keys = issue.params.keys;
  if (issue.keyword === 'unrecognized_keys' && Array.isArray(keys) && typeof keys[0] === 'string') path.push(keys[0]);
  return path.length ? path.join('.') : context === 'querystring' ? 'query' : (context ?? 'body');
}

export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } | undefined {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issue = error.validation[0] as ZodIssueLike;
    const field = fieldOf(issue, (error as { validationContext?: string }).validationContext);
    return { status: 400, body: { error: 'validation_failed', message: `${field}: ${issue.message ?? 'invalid'}`, field } };
  }
  if (error instanceof ValidationError) return { status: 400, body: { error: 'validation_failed', message: error.message, field: error.field } };
  if (error instanceof NotFoundError) return { status: 404, body: { error: 'not_found', message: error.message } };
  if (error instanceof ConflictError) {
    return { status: 409, body: { error: 'conflict', message: error.message, ...(error.field ? { field: error.field } : {}) } };
  }
  if (error instanceof ApiError) return { status: error.statusCode, body: { error: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.code && bodyErrorCodes.has(fastifyError.code)) {
    return { status: 400, body: { error: 'validation_failed', message: `body: ${fastifyError.message ?? 'must be JSON'}`, field: 'body' } };
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, body: { error: fastifyError.code ?? 'bad_request', message: fastifyError.message } };
  }
  return undefined;
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const known = toErrorResponse(error);
    if (known) return reply.code(known.status).send(known.body);
    // Unexpected: log it server-side, tell the client nothing about internals.
    request.log.error({ err: error }, 'unhandled API error');
    return reply.code(500).send({ error: 'internal', message: 'internal server error' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` }));
}
