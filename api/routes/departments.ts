// Hub departments: read for every role, write for admin and operator.
import { auditActor, hubWriters, readers, requireRole } from '../auth';
import { ErrorBody, errorResponses } from '../errors';
import { CreateDepartmentBody, DepartmentBody, DepartmentListQuery, IdParams, UpdateDepartmentBody, pageOf } from '../schemas';
import type { ApiRoutePlugin } from '../server';
import { z } from 'zod';

export const departmentRoutes: ApiRoutePlugin = async (app, { services: { hub } }) => {
  const tags = ['hub departments'];
  const read = requireRole(...readers);
  const write = requireRole(...hubWriters);

  app.get(
    '/departments',
    { onRequest: read, schema: { tags, summary: 'List departments', querystring: DepartmentListQuery, response: { 200: pageOf(DepartmentBody), ...errorResponses } } },
    async (request) => {
      const { topLevel, parentId, ...rest } = request.query;
      return hub.listDepartments({ ...rest, parentId: topLevel ? null : parentId });
    },
  );

  app.post(
    '/departments',
    {
      onRequest: write,
      schema: { tags, summary: 'Create a department', body: CreateDepartmentBody, response: { 201: DepartmentBody, 409: ErrorBody, ...errorResponses } },
    },
    async (request, reply) => reply.code(201).send(await hub.createDepartment(request.body, auditActor(request.actor))),
  );

  app.get(
    '/departments/:id',
    { onRequest: read, schema: { tags, summary: 'Get a department', params: IdParams, response: { 200: DepartmentBody, 404: ErrorBody, ...errorResponses } } },
    async (request) => hub.getDepartment(request.params.id),
  );

  app.patch(
    '/departments/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Rename, reorder, move or set leaders',
        params: IdParams,
        body: UpdateDepartmentBody,
        response: { 200: DepartmentBody, 404: ErrorBody, 409: ErrorBody, ...errorResponses },
      },
    },
    async (request) => hub.updateDepartment(request.params.id, request.body, auditActor(request.actor)),
  );

  app.delete(
    '/departments/:id',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Delete an empty department (409 while it has members or sub-departments)',
        params: IdParams,
        response: { 204: z.null().describe('deleted'), 404: ErrorBody, 409: ErrorBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      await hub.deleteDepartment(request.params.id, auditActor(request.actor));
      return reply.code(204).send(null);
    },
  );
};
