// Test support: an API over a test database, and tokens for each role.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Database } from '../db/client';
import type { ChangeEvent } from '../engine/model';
import { createApiTokens, type TokenRole } from '../db/repos/api-tokens';
import { createScimPushTask } from './scim/testing';
import { buildApi, type ApiDeps } from './server';
import { randomUUID } from 'node:crypto';

export const testAdminToken = 'bootstrap-secret-for-tests';

export interface TestApi {
  app: FastifyInstance;
  /** a bearer token per role, created through the repository (scim: on the first `as('scim')`) */
  tokens: Record<TokenRole, string>;
  hubEvents: ChangeEvent[];
  /** inject with `Authorization: Bearer <token of role>` (the bootstrap token for 'bootstrap') */
  as(role: TokenRole | 'bootstrap', options: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function startTestApi(database: Database, overrides: Partial<ApiDeps> = {}): Promise<TestApi> {
  const hubEvents: ChangeEvent[] = [];
  const app = await buildApi({
    database,
    adminToken: testAdminToken,
    checkTemporal: async () => undefined,
    onHubChange: (events) => void hubEvents.push(...events),
    ...overrides,
  });
  const repo = createApiTokens(database.db);
  const tokens = {} as Record<TokenRole, string>;
  for (const role of ['admin', 'operator', 'approver'] as const) tokens[role] = (await repo.create({ name: `test-${role}`, role }, 'test-setup')).token;
  // role scim is bound to a scim-push task: made on first use, so other suites see no extra task
  tokens.scim = '';
  return {
    app,
    tokens,
    hubEvents,
    async as(role, options) {
      if (role === 'scim' && !tokens.scim) tokens.scim = (await createScimPushTask(database, `scim-test-${randomUUID().slice(0, 8)}`)).token;
      const token = role === 'bootstrap' ? testAdminToken : tokens[role];
      return app.inject({ ...options, headers: { ...options.headers, authorization: `Bearer ${token}` } });
    },
  };
}
