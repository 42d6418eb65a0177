// GET /healthz (no token): the database and Temporal, each `ok` or `down` with a short, scrubbed error.
import { z } from 'zod';
import type { ApiRoutePlugin } from '../server';

const checkTimeoutMs = 5_000;

const PartHealth = z.object({ status: z.enum(['ok', 'down']), error: z.string().optional() });
const HealthBody = z.object({ status: z.enum(['ok', 'down']), database: PartHealth, temporal: PartHealth });
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

export const healthRoutes: ApiRoutePlugin = async (app, { deps }) => {
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        summary: 'Liveness of the API, its database and Temporal',
        security: [],
        response: { 200: HealthBody, 503: HealthBody },
      },
    },
    async (_request, reply) => {
      const [database, temporal] = await Promise.all([probe(() => deps.database.ping()), probe(deps.checkTemporal)]);
      const healthy = database.status === 'ok' && temporal.status === 'ok';
      return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'down', database, temporal });
    },
  );
};
