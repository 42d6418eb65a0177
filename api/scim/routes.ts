// The SCIM 2.0 server (RFC 7643/7644) at /scim/v2: an IdP or HR system pushes people (Users, with
// the EnterpriseUser extension) and departments (Groups) into the hub. Only tokens of role scim may
// call it (every other token is 403 here, and a scim token is 403 everywhere else); each is bound to
// one scim-push task whose writes it makes (api/scim/push-task.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Filter } from 'scim2-parse-filter';
import { createWriteTokenCache, installAuthentication, requireRole } from '../auth';
import type { ApiRouteOptions } from '../server';
import { resourceTypes, scimSchemas, serviceProviderConfig, maxResults } from './discovery';
import { installScimErrors, scimContentType, ScimError } from './errors';
import { compileFilter, equalityLookup, parseFilter, valueAt } from './filter';
import { scimGroups } from './groups';
import { applyPatch, operationsOf } from './patch';
import { pushTaskCache, PushTaskChanged, type PushTask } from './push-task';
import { enterpriseSchema } from './user-resource';
import { scimUsers } from './users';

export const scimPrefix = '/scim/v2';
const listSchema = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

type Json = Record<string, unknown>;

interface ListQuery {
  filter?: string;
  startIndex?: string;
  count?: string;
  sortBy?: string;
  sortOrder?: string;
  attributes?: string;
  excludedAttributes?: string;
}

function positiveInt(value: string | undefined, fallback: number, field: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new ScimError(400, `${field} must be an integer`, 'invalidValue');
  return n;
}

/** attributes / excludedAttributes on top-level names (id, schemas and meta always stay). */
function project(resource: Json, query: ListQuery): Json {
  const names = (list?: string) => (list ? list.split(',').map((n) => n.trim().split('.')[0].toLowerCase()).filter(Boolean) : undefined);
  const only = names(query.attributes);
  const without = names(query.excludedAttributes);
  if (!only && !without) return resource;
  const always = new Set(['id', 'schemas', 'meta']);
  return Object.fromEntries(
    Object.entries(resource).filter(([key]) => {
      const k = key.toLowerCase();
      if (always.has(k)) return true;
      if (only) return only.includes(k) || only.some((n) => n.startsWith(`${k}:`));
      return !without!.includes(k);
    }),
  );
}

/** Filter, sort, page: startIndex is 1-based, count is clamped to [0, maxResults]. */
function listResponse(all: Json[], query: ListQuery, filter: Filter | undefined) {
  const matching = filter ? all.filter(compileFilter(filter)) : all;
  if (query.sortBy) {
    const descending = query.sortOrder?.toLowerCase() === 'descending';
    const key = (r: Json) => {
      const v = valueAt(r, query.sortBy!);
      return typeof v === 'string' ? v.toLowerCase() : v;
    };
    // Missing values sort last either way (RFC 7644 §3.4.2.3); ties keep the stable base order.
    matching.sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      if (x === y) return 0;
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      return (x < y ? -1 : 1) * (descending ? -1 : 1);
    });
  }
  const startIndex = Math.max(1, positiveInt(query.startIndex, 1, 'startIndex'));
  const count = Math.min(maxResults, Math.max(0, positiveInt(query.count, maxResults, 'count')));
  const page = matching.slice(startIndex - 1, startIndex - 1 + count);
  return { schemas: [listSchema], totalResults: matching.length, startIndex, itemsPerPage: page.length, Resources: page.map((r) => project(r, query)) };
}

function send(reply: FastifyReply, status: number, body: Json) {
  const version = (body.meta as { version?: string } | undefined)?.version;
  if (version) void reply.header('etag', version);
  if (status === 201 && typeof (body.meta as { location?: string } | undefined)?.location === 'string') void reply.header('location', (body.meta as { location: string }).location);
  return reply.code(status).type(scimContentType).send(body);
}

const ifMatchOf = (request: FastifyRequest) => (typeof request.headers['if-match'] === 'string' ? request.headers['if-match'] : undefined);

export async function scimRoutes(app: FastifyInstance, options: ApiRouteOptions): Promise<void> {
  const { deps, services } = options;
  const db = deps.database.db;
  // Writes may authenticate from a short-lived cache: their guard checks the token in the write (push-task.ts).
  const writeTokens = createWriteTokenCache(services.tokens, { failureLimiter: options.authFailures });
  installScimErrors(app, { recheck: (request) => writeTokens.recheck(request) });
  installAuthentication(app, { tokens: services.tokens, adminToken: deps.adminToken, failureLimiter: options.authFailures, roles: ['scim'], writeTokens });
  // IdPs send application/scim+json (RFC 7644 §3.1); some send plain JSON.
  // A DELETE or GET may carry the content type and no body (Entra does): that is no body, not an error.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/scim+json', 'application/json'], { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || body === undefined) return done(null, undefined);
    return json(request, String(body), done);
  });
  const scimOnly = requireRole('scim');
  const baseUrlOf = (request: FastifyRequest) => `${deps.publicUrl ?? `${request.protocol}://${request.host}`}${scimPrefix}`;

  const pushTasks = pushTaskCache(db);
  const resourcesOf = (request: FastifyRequest, push: PushTask) => {
    const context = { db, hub: services.hub, push, baseUrl: baseUrlOf(request) };
    return { users: scimUsers(context), groups: scimGroups(context) };
  };
  /** Reads: the task read afresh (403 if disabled). */
  async function contextOf(request: FastifyRequest) {
    return resourcesOf(request, await pushTasks.forRead(request.actor));
  }
  /** Writes: the task as last read, its guard checked in each hub write; a changed task runs once more on a fresh read. */
  async function writing<T>(request: FastifyRequest, work: (resources: ReturnType<typeof resourcesOf>) => Promise<T>): Promise<T> {
    try {
      return await work(resourcesOf(request, await pushTasks.forWrite(request.actor)));
    } catch (error) {
      // Any other error: the error handler reads a cached token again before answering (errors.ts).
      if (!(error instanceof PushTaskChanged)) throw error;
      // Refused by the guard: the task changed, or the token is gone (401 here).
      pushTasks.forget(request.actor);
      await writeTokens.recheck(request);
      return work(resourcesOf(request, await pushTasks.forRead(request.actor)));
    }
  }

  const route = { preHandler: scimOnly };
  /** A route that answers through `writing` only. */
  const write = { preHandler: scimOnly, config: { tokenCheckedInWrite: true } };

  app.get('/ServiceProviderConfig', route, async (request, reply) => send(reply, 200, serviceProviderConfig(baseUrlOf(request))));
  app.get('/Schemas', route, async (request, reply) => {
    const schemas = scimSchemas(baseUrlOf(request));
    return send(reply, 200, { schemas: [listSchema], totalResults: schemas.length, startIndex: 1, itemsPerPage: schemas.length, Resources: schemas });
  });
  app.get<{ Params: { id: string } }>('/Schemas/:id', route, async (request, reply) => {
    const schema = scimSchemas(baseUrlOf(request)).find((s) => s.id === request.params.id);
    if (!schema) throw new ScimError(404, `no schema ${request.params.id}`);
    return send(reply, 200, schema);
  });
  app.get('/ResourceTypes', route, async (request, reply) => {
    const types = resourceTypes(baseUrlOf(request));
    return send(reply, 200, { schemas: [listSchema], totalResults: types.length, startIndex: 1, itemsPerPage: types.length, Resources: types });
  });
  app.get<{ Params: { id: string } }>('/ResourceTypes/:id', route, async (request, reply) => {
    const type = resourceTypes(baseUrlOf(request)).find((t) => t.id === request.params.id);
    if (!type) throw new ScimError(404, `no resource type ${request.params.id}`);
    return send(reply, 200, type);
  });

  app.get<{ Querystring: ListQuery }>('/Users', route, async (request, reply) => {
    const { users } = await contextOf(request);
    const filter = request.query.filter ? parseFilter(request.query.filter) : undefined;
    // `userName eq "…"` (what every IdP asks before a create) is one indexed read; the rest is filtered here.
    const all = await users.list(filter ? equalityLookup(filter) : undefined);
    return send(reply, 200, listResponse(all, request.query, filter));
  });
  app.post('/Users', write, async (request, reply) => send(reply, 201, await writing(request, ({ users }) => users.create(request.body))));
  app.get<{ Params: { id: string }; Querystring: ListQuery }>('/Users/:id', route, async (request, reply) =>
    send(reply, 200, project(await (await contextOf(request)).users.get(request.params.id), request.query)),
  );
  app.put<{ Params: { id: string } }>('/Users/:id', write, async (request, reply) =>
    send(reply, 200, await writing(request, ({ users }) => users.replace(request.params.id, request.body, ifMatchOf(request)))),
  );
  // PATCH answers 200 with the resource: RFC 7644 allows 204, but Okta and Entra expect the body.
  app.patch<{ Params: { id: string } }>('/Users/:id', write, async (request, reply) => {
    const operations = operationsOf(request.body);
    return send(reply, 200, await writing(request, ({ users }) => users.patch(request.params.id, (current) => applyPatch(current, operations, [enterpriseSchema]), ifMatchOf(request))));
  });
  app.delete<{ Params: { id: string } }>('/Users/:id', write, async (request, reply) => {
    await writing(request, ({ users }) => users.remove(request.params.id, ifMatchOf(request)));
    return reply.code(204).send();
  });

  // POST …/.search (RFC 7644 §3.4.3): the query in the body; at the root it spans Users and Groups.
  const searchOf = (body: unknown): ListQuery => {
    const given = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const text = (v: unknown) => (v === undefined || v === null ? undefined : Array.isArray(v) ? v.join(',') : String(v));
    return { filter: text(given.filter), startIndex: text(given.startIndex), count: text(given.count), sortBy: text(given.sortBy), sortOrder: text(given.sortOrder), attributes: text(given.attributes), excludedAttributes: text(given.excludedAttributes) };
  };
  for (const [path, types] of [['/.search', ['users', 'groups']], ['/Users/.search', ['users']], ['/Groups/.search', ['groups']]] as const) {
    app.post(path, route, async (request, reply) => {
      const query = searchOf(request.body);
      const { users, groups } = await contextOf(request);
      const filter = query.filter ? parseFilter(query.filter) : undefined;
      const all = [
        ...((types as readonly string[]).includes('users') ? await users.list(filter ? equalityLookup(filter) : undefined) : []),
        ...((types as readonly string[]).includes('groups') ? await groups.list() : []),
      ];
      return send(reply, 200, listResponse(all, query, filter));
    });
  }

  app.get<{ Querystring: ListQuery }>('/Groups', route, async (request, reply) => {
    const { groups } = await contextOf(request);
    const filter = request.query.filter ? parseFilter(request.query.filter) : undefined;
    return send(reply, 200, listResponse(await groups.list(), request.query, filter));
  });
  app.post('/Groups', write, async (request, reply) => send(reply, 201, await writing(request, ({ groups }) => groups.create(request.body))));
  app.get<{ Params: { id: string }; Querystring: ListQuery }>('/Groups/:id', route, async (request, reply) =>
    send(reply, 200, project(await (await contextOf(request)).groups.get(request.params.id), request.query)),
  );
  app.put<{ Params: { id: string } }>('/Groups/:id', write, async (request, reply) =>
    send(reply, 200, await writing(request, ({ groups }) => groups.replace(request.params.id, request.body, ifMatchOf(request)))),
  );
  app.patch<{ Params: { id: string } }>('/Groups/:id', write, async (request, reply) => {
    const operations = operationsOf(request.body);
    return send(reply, 200, await writing(request, ({ groups }) => groups.patch(request.params.id, (current) => applyPatch(current, operations), ifMatchOf(request))));
  });
  app.delete<{ Params: { id: string } }>('/Groups/:id', write, async (request, reply) => {
    await writing(request, ({ groups }) => groups.remove(request.params.id, ifMatchOf(request)));
    return reply.code(204).send();
  });
}
