// SCIM error bodies (RFC 7644 §3.12): {schemas:[…Error], status (a string), scimType, detail}, always
// as application/scim+json. Repository errors map onto them: a duplicate is 409 uniqueness; a write
// refused because the push task changed meanwhile is 503 with Retry-After (Entra and Okta retry a
// 503 but take a 409 for a uniqueness conflict and give up).
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError, ValidationError, WriteBusyError } from '../../db/repos/errors';
import { ApiError } from '../errors';

export const scimContentType = 'application/scim+json; charset=utf-8';
export const errorSchema = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType = 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

export class ScimError extends Error {
  override readonly name = 'ScimError';
  constructor(
    readonly status: number,
    detail: string,
    readonly scimType?: ScimType,
    /** sent as Retry-After: the failure is transient and the client should send the request again */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
  }
}

/** The push task changed (disabled, deleted, reconfigured) since this process read it: the write wrote nothing (push-task.ts). */
export class PushTaskChanged extends Error {
  override readonly name = 'PushTaskChanged';
}

export function scimErrorOf(error: unknown): ScimError | undefined {
  if (error instanceof ScimError) return error;
  // only if it changed again during the write run once more on a fresh read
  if (error instanceof PushTaskChanged) return new ScimError(503, 'the sync task changed during the write: nothing was written, send it again', undefined, 1);
  // a lock wait lost (deadlock, lock_timeout) twice, a full write queue, a lost database connection
  if (error instanceof WriteBusyError) return new ScimError(503, error.message, undefined, 1);
  if (error instanceof ValidationError) return new ScimError(400, `${error.field}: ${error.message}`, 'invalidValue');
  if (error instanceof ConflictError) return new ScimError(409, error.message, error.field ? 'uniqueness' : undefined);
  if (error instanceof NotFoundError) return new ScimError(404, `${error.entity === 'department' ? 'Group' : 'User'} ${error.id} not found`);
  if (error instanceof ApiError) return new ScimError(error.statusCode, error.message);
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.code?.startsWith('FST_ERR_CTP')) return new ScimError(400, fastifyError.message ?? 'the body must be JSON', 'invalidSyntax');
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) return new ScimError(fastifyError.statusCode, fastifyError.message ?? 'bad request');
  return undefined;
}

export function errorBody(error: ScimError) {
  return { schemas: [errorSchema], status: String(error.status), ...(error.scimType ? { scimType: error.scimType } : {}), detail: error.message };
}

/** SCIM answers (bodies, errors, 404s for unknown paths) inside the /scim/v2 scope. */
/**
 * `recheck`: for a request authenticated from the write token cache (auth.ts), reads its token
 * again before an error is answered (throws 401 if it is gone): only a write's success proved it.
 */
export function installScimErrors(app: FastifyInstance, { recheck }: { recheck?: (request: FastifyRequest) => Promise<void> } = {}): void {
  app.setErrorHandler(async (thrown, request, reply) => {
    let error: unknown = thrown;
    if (recheck && request.actorFromCache) {
      try {
        await recheck(request);
      } catch (refused) {
        error = refused;
      }
    }
    const known = scimErrorOf(error);
    if (!known) request.log.error({ err: error }, 'unhandled SCIM error');
    const scim = known ?? new ScimError(500, 'internal server error');
    if (scim.retryAfterSeconds !== undefined) void reply.header('retry-after', String(scim.retryAfterSeconds));
    return reply.code(scim.status).type(scimContentType).send(errorBody(scim));
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    // The discovery endpoints are read-only: another method is 405 (RFC 7644 §4), not an unknown path.
    if (/\/scim\/v2\/(ServiceProviderConfig|Schemas|ResourceTypes)(\/[^/]*)?$/.test(path)) {
      return reply.code(405).header('allow', 'GET').type(scimContentType).send(errorBody(new ScimError(405, `${request.method} is not allowed on ${path}`)));
    }
    return reply.code(404).type(scimContentType).send(errorBody(new ScimError(404, `no SCIM endpoint ${request.method} ${path}`)));
  });
}
