// Health in two answers. GET /healthz (no token) is liveness only: the process answers, nothing is
// probed and nothing internal is named, so an anonymous caller can neither load the database nor
// learn host names. GET /api/v1/readiness (any role) probes the database and Temporal.
import { z } from 'zod';
import { readers, requireRole } from '../auth';
import { errorResponses } from '../errors';
import type { ApiRoutePlugin } from '../server';

const checkTimeoutMs = 5_000;

const LivenessBody = z.object({ status: z.literal('ok') });
const PartHealth = z.object({ status: z.enum(['ok', 'down']), error: z.string().optional() });
const ReadinessBody = z.object({ status: z.enum(['ok', 'down']), database: PartHealth, temporal: PartHealth });
type PartHealth = z.infer<typeof PartHealth>;

/** First line, credentials in URLs masked, at most 200 characters: enough to act on, never a secret. */
export function shortError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0] || 'unknown error';
  return firstLine.replace(/(\w+:\/\/)[^\s/@]*@/g, '$1***@').slice(0, 200);
}

async function probe(check: () => Promise<void>): Promise<PartHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${checkTimeoutMs / 1000}s`)), checkTimeoutMs);
  });
  try {
    await Promise.race([check(), timeout]);
    return { status: 'ok' };
  } catch (error) {
    return { status: 'down', error: shortError(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Public liveness, mounted at /healthz and /api/v1/healthz. */
export const healthRoutes: ApiRoutePlugin = async (app) => {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: { tags: ['health'], summary: 'Liveness: the API process answers (no probes)', security: [], response: { 200: LivenessBody } },
    },
    async () => ({ status: 'ok' as const }),
  );
};

/** Authenticated readiness under /api/v1: each dependency `ok` or `down` with a short, scrubbed error. */
export const readinessRoutes: ApiRoutePlugin = async (app, { deps }) => {
  app.get(
    '/readiness',
    {
      onRequest: requireRole(...readers),
      schema: { tags: ['health'], summary: 'Readiness: the database and Temporal answer', response: { 200: ReadinessBody, 503: ReadinessBody, ...errorResponses } },
    },
    async (_request, reply) => {
      const [database, temporal] = await Promise.all([probe(() => deps.database.ping()), probe(deps.checkTemporal)]);
      const healthy = database.status === 'ok' && temporal.status === 'ok';
      return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'down', database, temporal });
    },
  );
};
