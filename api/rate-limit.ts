// Request rate limits (@fastify/rate-limit, in-process store): one bucket per authenticated token,
// one per client IP for anonymous calls, and one per task for vendor webhooks (vendors send from
// many addresses, and a burst of real changes must get through). Failed authentications count in
// their own small per-IP bucket, so guessing tokens is slow. Over the limit: 429 with Retry-After.
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from './auth';
import { ApiError } from './errors';

export interface RateLimitSettings {
  /** false turns every limit off (load tests); the default is on */
  enabled: boolean;
  /** requests per minute per token */
  perToken: number;
  /** requests per minute per client IP without a token (health, docs) */
  perAnonymousIp: number;
  /** webhook deliveries per minute per task id */
  perWebhookTask: number;
  /** failed authentications per minute per client IP; after that even a good token waits */
  authFailuresPerIp: number;
}

export const defaultRateLimits: RateLimitSettings = { enabled: true, perToken: 1200, perAnonymousIp: 300, perWebhookTask: 3000, authFailuresPerIp: 30 };

const envNames = {
  perToken: 'SYNC_CENTER_RATE_LIMIT_PER_TOKEN',
  perAnonymousIp: 'SYNC_CENTER_RATE_LIMIT_ANONYMOUS',
  perWebhookTask: 'SYNC_CENTER_RATE_LIMIT_WEBHOOK',
  authFailuresPerIp: 'SYNC_CENTER_RATE_LIMIT_AUTH_FAILURES',
} as const;

/** Settings from SYNC_CENTER_RATE_LIMIT* (per minute); SYNC_CENTER_RATE_LIMIT=off disables them all. */
export function rateLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimitSettings {
  const settings = { ...defaultRateLimits, enabled: !/^(off|0|false)$/i.test(env.SYNC_CENTER_RATE_LIMIT ?? '') };
  for (const [key, name] of Object.entries(envNames) as [keyof typeof envNames, string][]) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name}: must be a positive integer (requests per minute)`);
    settings[key] = value;
  }
  return settings;
}

const minute = 60_000;

function rateLimited(ttlMs: number): ApiError {
  return new ApiError(429, 'rate_limited', `too many requests; retry after ${Math.max(1, Math.ceil(ttlMs / 1000))} s`);
}

function webhookTaskOf(request: FastifyRequest): string | undefined {
  if (!request.routeOptions.url?.endsWith('/webhooks/:taskId')) return undefined;
  return (request.params as { taskId?: string }).taskId;
}

function keyOf(request: FastifyRequest): string {
  const taskId = webhookTaskOf(request);
  if (taskId !== undefined) return `webhook:${taskId}`;
  const actor = request.actor as Actor | null;
  return actor ? `token:${actor.id}` : `ip:${request.ip}`;
}

/** Checks before, and counts, failed authentications per IP (used by api/auth.ts). */
export interface AuthFailureLimiter {
  /** throws 429 when this IP has failed too often */
  check(request: FastifyRequest): Promise<void>;
  record(request: FastifyRequest): Promise<void>;
}

/**
 * Registers the limits on `app` (before any route, so every route gets them) and returns the
 * failed-authentication limiter, or undefined when limits are off. Runs as a route onRequest hook,
 * i.e. after authentication has set `request.actor`.
 */
export async function installRateLimits(app: FastifyInstance, settings: RateLimitSettings): Promise<AuthFailureLimiter | undefined> {
  if (!settings.enabled) return undefined;
  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: minute,
    keyGenerator: keyOf,
    max: (_request, key) => (key.startsWith('webhook:') ? settings.perWebhookTask : key.startsWith('token:') ? settings.perToken : settings.perAnonymousIp),
    errorResponseBuilder: (_request, context) => rateLimited(context.ttl),
  });
  const failures = app.createRateLimit({ timeWindow: minute, max: settings.authFailuresPerIp, keyGenerator: (request) => `auth-failure:${request.ip}` });
  return {
    async check(request) {
      const state = await failures(request, { increment: false });
      if (!state.isAllowed && state.remaining <= 0) throw rateLimited(state.ttl);
    },
    async record(request) {
      await failures(request);
    },
  };
}
