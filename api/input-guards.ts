// Checks every request's input before its schema does, for what no zod schema expresses and the
// database cannot store: a NUL character (U+0000) in any string or key. Postgres text and jsonb
// refuse it, so without this check the request would reach a query and fail there as a 500.
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../db/repos/errors';

const maxDepth = 64;

/** The path of the first string or key holding U+0000, or undefined. */
export function nulPath(value: unknown, path: string[] = [], depth = 0): string[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (!value || typeof value !== 'object' || depth > maxDepth) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const here = [...path, key];
    if (key.includes('\u0000')) return here;
    const found = nulPath(item, here, depth + 1);
    if (found) return found;
  }
  return undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the route refuses odd input itself, in its own answer (webhooks: the one generic 401) */
    checksOwnInput?: boolean;
  }
}

export function installInputGuards(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    if (request.routeOptions.config?.checksOwnInput) return;
    for (const [part, value] of [['params', request.params], ['query', request.query], ['body', request.body]] as const) {
      const path = nulPath(value);
      if (!path) continue;
      const field = path.length ? path.join('.') : part;
      throw new ValidationError(field, `${field}: must not contain the NUL character (U+0000)`);
    }
  });
}
