// Hub users: read for every role (a person's links in every app too), write and offboard for admin and operator; handing a person to
// another source (who may offboard them) for admin only.
import { z } from 'zod';
import { auditActor, hubWriters, readers, requireRole } from '../auth';
import { ErrorBody, errorResponses } from '../errors';
import { listUserLinks } from '../../db/repos/user-links';
import { CreateUserBody, IdParams, UpdateUserBody, UserBody, UserLinkBody, UserLinksQuery, UserListQuery, UserSourceAnswer, UserSourceBody, pageOf } from '../schemas';
import type { ApiRoutePlugin } from '../server';

export const userRoutes: ApiRoutePlugin = async (app, { deps, services: { hub } }) => {
  const tags = ['hub users'];
  const read = requireRole(...readers);
  const write = requireRole(...hubWriters);

  app.get(
    '/users',
    { onRequest: read, schema: { tags, summary: 'List users', querystring: UserListQuery, response: { 200: pageOf(UserBody), ...errorResponses } } },
    async (request) => hub.listUsers(request.query),
  );

  app.post(
    '/users',
    { onRequest: write, schema: { tags, summary: 'Create a user', body: CreateUserBody, response: { 201: UserBody, 409: ErrorBody, ...errorResponses } } },
    async (request, reply) => reply.code(201).send(await hub.createUser(request.body, auditActor(request.actor))),
  );

  app.get(
    '/users/:id',
    { onRequest: read, schema: { tags, summary: 'Get a user', params: IdParams, response: { 200: UserBody, 404: ErrorBody, ...errorResponses } } },
    async (request) => hub.getUser(request.params.id),
  );

  app.get(
    '/users/:id/links',
    {
      onRequest: read,
      schema: {
        tags,
        summary: "The person's link in every app: per task the remote id, the link's status, the last write about them and the task's last run",
        params: IdParams,
        querystring: UserLinksQuery,
        response: { 200: pageOf(UserLinkBody), 404: ErrorBody, ...errorResponses },
      },
    },
    async (request) => {
      const iso = (d: Date | null) => d?.toISOString() ?? null;
      const links = await listUserLinks(deps.database.db, request.params.id, request.query);
      return {
        ...links,
        items: links.items.map((l) => ({
          ...l,
          linkedAt: iso(l.linkedAt),
          lastSyncedAt: iso(l.lastSyncedAt),
          lastItem: l.lastItem && { ...l.lastItem, finishedAt: iso(l.lastItem.finishedAt) },
          lastRun: l.lastRun && { ...l.lastRun, startedAt: l.lastRun.startedAt.toISOString(), finishedAt: iso(l.lastRun.finishedAt) },
        })),
      };
    },
  );

  app.patch(
    '/users/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Change fields, departments or manager (null clears a field)',
        params: IdParams,
        body: UpdateUserBody,
        response: { 200: UserBody, 404: ErrorBody, 409: ErrorBody, ...errorResponses },
      },
    },
    async (request) => hub.updateUser(request.params.id, request.body, auditActor(request.actor)),
  );

  app.delete(
    '/users/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Delete a user (409 while they manage someone or lead a department)',
        params: IdParams,
        response: { 204: z.null().describe('deleted'), 404: ErrorBody, 409: ErrorBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      await hub.deleteUser(request.params.id, auditActor(request.actor));
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/users/:id/source',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags,
        summary: 'Hand the person to another upstream source, or to none (null): only that source offboards them from now on',
        params: IdParams,
        body: UserSourceBody,
        response: { 200: UserSourceAnswer, 404: ErrorBody, ...errorResponses },
      },
    },
    async (request) => hub.setUserSource(request.params.id, request.body.sourceTaskId, auditActor(request.actor)),
  );

  app.post(
    '/users/:id/offboard',
    {
      onRequest: write,
      schema: { tags, summary: 'Disable the user (idempotent)', params: IdParams, response: { 200: UserBody, 404: ErrorBody, ...errorResponses } },
    },
    async (request) => hub.offboard(request.params.id, auditActor(request.actor)),
  );
};
