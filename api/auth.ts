// Bearer-token authentication for every /api/v1 route (unless its config says `public: true`),
// and `requireRole(...)` to authorise a route. Admin may always act.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hashToken, type ApiTokens, type TokenIdentity, type TokenRole } from '../db/repos/api-tokens';
import { ApiError } from './errors';
import type { AuthFailureLimiter } from './rate-limit';

export type Role = TokenRole;

export interface Actor {
  id: string;
  name: string;
  role: Role;
  /** role scim: the scim-push task it writes as */
  taskId?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** who is calling; set by authentication before any non-public /api/v1 route runs */
    actor: Actor;
    /** the actor was taken from a WriteTokenCache (not read for this request): see `tokenCheckedInWrite` */
    actorFromCache?: boolean;
  }
  interface FastifyContextConfig {
    /** skip bearer-token authentication (health checks, vendor webhooks that carry their own signature) */
    public?: boolean;
    /**
     * The route answers success only from a write whose transaction checks the token itself (SCIM
     * writes: their push guard), and re-verifies a cached token (WriteTokenCache.recheck) before any
     * other answer: with a `writeTokens` cache, authentication may take its identity from the cache.
     */
    tokenCheckedInWrite?: boolean;
  }
}

/** Role groups the routes use; admin is implicitly in all of them. */
export const readers: Role[] = ['operator', 'approver'];
export const hubWriters: Role[] = ['operator'];
/** Execute or cancel staged deletions. */
export const approvers: Role[] = ['approver'];

export const bootstrapActor: Actor = { id: 'bootstrap-admin', name: 'bootstrap-admin', role: 'admin' };

/** The audit-log actor for a request: `bootstrap-admin`, or `token:<name>:<id>`. */
export function auditActor(actor: Actor): string {
  return actor.id === bootstrapActor.id ? bootstrapActor.id : `token:${actor.name}:${actor.id}`;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

export interface AuthOptions {
  tokens: Pick<ApiTokens, 'verify'>;
  /** SYNC_CENTER_ADMIN_TOKEN: accepted as role admin, actor `bootstrap-admin` */
  adminToken?: string;
  /** counts failed authentications per IP; past the limit every request from it is 429 for a while */
  failureLimiter?: AuthFailureLimiter;
  /** the roles this scope serves; another role's valid token is 403. Default: every role but scim (which calls /scim/v2 only) */
  roles?: readonly Role[];
  /** for routes with `tokenCheckedInWrite` only: identities verified a moment ago */
  writeTokens?: WriteTokenCache;
}

/** How long a verified token may skip its read for a `tokenCheckedInWrite` route (below verify's lastUsedAt resolution). */
export const writeTokenTtlMs = 30_000;

/**
 * Verified token identities by token hash (never the token), for a few seconds: only for routes
 * whose writes check the token in their own transaction, so a deleted or expired token writes
 * nothing; any answer but such a write's success calls `recheck` first, which reads the token again.
 */
export function createWriteTokenCache(
  tokens: Pick<ApiTokens, 'verify'>,
  { ttlMs = writeTokenTtlMs, max = 1000, now = Date.now, failureLimiter }: { ttlMs?: number; max?: number; now?: () => number; failureLimiter?: AuthFailureLimiter } = {},
) {
  const byHash = new Map<string, { identity: TokenIdentity; until: number }>();
  return {
    lookup(token: string): TokenIdentity | undefined {
      const hash = hashToken(token);
      const entry = byHash.get(hash);
      if (!entry) return undefined;
      if (entry.until > now()) return entry.identity;
      byHash.delete(hash);
      return undefined;
    },
    /** Only a scim token is remembered (the routes that use the cache serve no other role). */
    remember(token: string, identity: TokenIdentity): void {
      if (identity.role !== 'scim') return;
      if (byHash.size >= max) byHash.clear();
      byHash.set(hashToken(token), { identity, until: now() + ttlMs });
    },
    /** Reads the request's token again (dropping it from the cache): 401 unless it is still the actor's. */
    async recheck(request: FastifyRequest): Promise<void> {
      const token = bearerToken(request);
      if (token) byHash.delete(hashToken(token));
      const identity = token ? await tokens.verify(token) : undefined;
      if (!identity || identity.id !== request.actor.id) {
        await failureLimiter?.record(request);
        throw new ApiError(401, 'unauthorized', 'unknown or expired token');
      }
      if (identity.role === 'scim') byHash.set(hashToken(token!), { identity, until: now() + ttlMs });
    },
  };
}

export type WriteTokenCache = ReturnType<typeof createWriteTokenCache>;

const apiRoles: readonly Role[] = ['admin', 'operator', 'approver'];

/** Adds the authenticating onRequest hook to `app` (and so to every route registered inside it). */
export function installAuthentication(app: FastifyInstance, options: AuthOptions): void {
  // Compare digests in constant time so the bootstrap token cannot be guessed byte by byte.
  const adminDigest = options.adminToken ? sha256(options.adminToken) : undefined;
  if (!app.hasRequestDecorator('actor')) app.decorateRequest('actor', null as unknown as Actor);
  if (!app.hasRequestDecorator('actorFromCache')) app.decorateRequest('actorFromCache', false);
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public) return;
    await options.failureLimiter?.check(request);
    const token = bearerToken(request);
    if (!token) throw new ApiError(401, 'unauthorized', 'a bearer token is required');
    if (adminDigest && timingSafeEqual(sha256(token), adminDigest)) {
      if (!(options.roles ?? apiRoles).includes('admin')) throw new ApiError(403, 'forbidden', 'the bootstrap admin token pushes no SCIM: create a token of role scim');
      request.actor = bootstrapActor;
      return;
    }
    const cacheable = options.writeTokens !== undefined && request.routeOptions.config?.tokenCheckedInWrite === true;
    const cached = cacheable ? options.writeTokens!.lookup(token) : undefined;
    const identity = cached ?? (await options.tokens.verify(token));
    if (!identity) {
      await options.failureLimiter?.record(request);
      throw new ApiError(401, 'unauthorized', 'unknown or expired token');
    }
    if (!(options.roles ?? apiRoles).includes(identity.role)) {
      throw new ApiError(403, 'forbidden', `role ${identity.role} may not ${request.method} ${request.routeOptions.url ?? request.url}`);
    }
    // Past the role check only (a token refused here is read again on every request: 401 once deleted).
    if (cacheable && !cached) options.writeTokens!.remember(token, identity);
    request.actor = identity;
    request.actorFromCache = cached !== undefined;
  });
}

/** A role check as requireRole makes it: the roles it lets through (besides admin) are on it. */
export interface RoleCheck {
  (request: FastifyRequest, reply: FastifyReply): Promise<void>;
  readonly roles: readonly Role[];
}

/** A hook (use as onRequest or preHandler) that lets admin and the given roles through, else 403. */
export function requireRole(...roles: Role[]): RoleCheck {
  async function checkRole(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const actor = request.actor as Actor | null;
    if (!actor) throw new ApiError(401, 'unauthorized', 'a bearer token is required');
    if (actor.role !== 'admin' && !roles.includes(actor.role)) {
      throw new ApiError(403, 'forbidden', `role ${actor.role} may not ${request.method} ${request.routeOptions.url ?? request.url}`);
    }
  }
  return Object.assign(checkRole, { roles: Object.freeze([...roles]) });
}

/** The roles of the requireRole check among a route's hooks, or undefined when it has none. */
export function roleCheckOf(hooks: unknown): readonly Role[] | undefined {
  const list = Array.isArray(hooks) ? hooks : hooks ? [hooks] : [];
  const check = list.find((hook): hook is RoleCheck => typeof hook === 'function' && Array.isArray((hook as Partial<RoleCheck>).roles));
  return check?.roles;
}
