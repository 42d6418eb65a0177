// Who the caller is: the console signs in with a token and shows only what its role may do.
import { z } from 'zod';
import { tokenRoles } from '../../db/repos/api-tokens';
import { readers, requireRole } from '../auth';
import { errorResponses } from '../errors';
import type { ApiRoutePlugin } from '../server';

const MeResponse = z.object({ name: z.string(), role: z.enum(tokenRoles) });

export const meRoutes: ApiRoutePlugin = async (app) => {
  app.get(
    '/me',
    { onRequest: requireRole(...readers), schema: { tags: ['tokens'], summary: "The calling token's name and role", response: { 200: MeResponse, ...errorResponses } } },
    async (request) => ({ name: request.actor.name, role: request.actor.role }),
  );
};
