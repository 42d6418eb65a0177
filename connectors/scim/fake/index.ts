// A local SCIM 2.0 app with one profile's quirks (VENDORS.md, SCIM section), a small Fastify app of
// its own: GitHub EMU's User-Agent and required roles/primary email, Atlassian's eq-only filters
// and 404 for deactivated users (DELETE deactivates), Zoom's client-credentials token and ~1
// request/s, Aliyun's 100-per-page cap, 429 with Retry-After, ETags with If-Match, 409 uniqueness.
import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { parse, type Filter } from 'scim2-parse-filter';
import type { ScimProfileName } from '../profiles';

const errorSchema = 'urn:ietf:params:scim:api:messages:2.0:Error';
const listSchema = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

export const fakeScimToken = 'fake-scim-token';
export const fakeZoomCredentials = { accountId: 'fake-zoom-account', clientId: 'fake-zoom-client', clientSecret: 'fake-zoom-secret' };

/** Where each profile serves SCIM on the fake (the app's own path shape). */
export const fakePrefixes: Record<ScimProfileName, string> = {
  generic: '/scim/v2',
  'github-emu': '/scim/v2/enterprises/acme',
  atlassian: '/scim/directory/dir-0001',
  zoom: '/scim2',
  'aliyun-cloudsso': '/scim/v2',
};

export interface ScimFakeOptions {
  profile: ScimProfileName;
  port?: number;
  host?: string;
  token?: string;
  /** per endpoint (Users, Groups); Zoom's default is 1 per second */
  rateLimit?: { limit: number; windowMs: number };
  /** Zoom token lifetime */
  tokenTtlSeconds?: number;
}

type Resource = Record<string, unknown> & { id: string; meta: { version: string; resourceType: string; created: string; lastModified: string } };

export interface RunningScimFake {
  url: string;
  /** the SCIM base a task's baseUrl names */
  baseUrl: string;
  /** Zoom: the token endpoint */
  tokenUrl: string;
  faults: { rateLimitBurst: number; retryAfterSeconds: number };
  /** every request's method, path (below the prefix), query and headers, in order */
  requests: Array<{ method: string; path: string; query: Record<string, string>; headers: Record<string, unknown> }>;
  users: Map<string, Resource>;
  groups: Map<string, Resource>;
  /** Zoom: every issued OAuth token stops working (as a rotated client secret or an early expiry would) */
  revokeTokens(): void;
  close(): Promise<void>;
}

class ScimFault extends Error {
  constructor(
    readonly status: number,
    readonly scimType: string | undefined,
    detail: string,
  ) {
    super(detail);
  }
}

const fail = (status: number, scimType: string | undefined, detail: string): never => {
  throw new ScimFault(status, scimType, detail);
};

export async function startScimFake(options: ScimFakeOptions): Promise<RunningScimFake> {
  const { profile } = options;
  const prefix = fakePrefixes[profile];
  const staticToken = options.token ?? fakeScimToken;
  const oauthTokens = new Map<string, number>();
  const rate = options.rateLimit ?? (profile === 'zoom' ? { limit: 1, windowMs: 1000 } : undefined);
  const calls = new Map<string, number[]>();
  let version = 0;
  const users = new Map<string, Resource>();
  const groups = new Map<string, Resource>();
  const faults = { rateLimitBurst: 0, retryAfterSeconds: 1 };
  const requests: RunningScimFake['requests'] = [];
  const deactivatedHidden = profile === 'atlassian';
  const hidden = (u: Resource) => deactivatedHidden && u.active === false;

  const app = Fastify({ logger: false });
  app.addContentTypeParser(['application/scim+json', 'application/json'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(String(body)));
    } catch {
      done(new ScimFault(400, 'invalidSyntax', 'body is not JSON'), undefined);
    }
  });
  app.setErrorHandler((err: Error, _req, reply) => {
    const fault = err instanceof ScimFault ? err : new ScimFault(500, undefined, 'internal error');
    void reply.status(fault.status).type('application/scim+json').send({ schemas: [errorSchema], status: String(fault.status), ...(fault.scimType ? { scimType: fault.scimType } : {}), detail: fault.message });
  });

  app.get('/__fake/state', async () => ({ users: [...users.values()], groups: [...groups.values()] }));
  app.post('/__fake/faults', async (req) => {
    Object.assign(faults, req.body as object);
    return faults;
  });

  // Zoom server-to-server OAuth: Basic client credentials, grant_type=account_credentials.
  app.post('/oauth/token', async (req, reply) => {
    const query = req.query as Record<string, string>;
    const basic = Buffer.from(`${fakeZoomCredentials.clientId}:${fakeZoomCredentials.clientSecret}`).toString('base64');
    if (req.headers.authorization !== `Basic ${basic}`) return reply.status(401).send({ reason: 'Invalid client_id or client_secret', error: 'invalid_client' });
    if (query.grant_type !== 'account_credentials' || query.account_id !== fakeZoomCredentials.accountId) return reply.status(400).send({ reason: 'Invalid account_id', error: 'invalid_request' });
    const token = randomBytes(24).toString('base64url');
    const ttl = options.tokenTtlSeconds ?? 3600;
    oauthTokens.set(token, Date.now() + ttl * 1000);
    return { access_token: token, token_type: 'bearer', expires_in: ttl, scope: 'scim2' };
  });

  function guard(req: FastifyRequest, reply: FastifyReply, endpoint: string): void {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (profile === 'zoom') {
      const expires = oauthTokens.get(token);
      if (expires === undefined || expires <= Date.now()) fail(401, undefined, 'Invalid access token.');
    } else if (token !== staticToken) fail(401, undefined, 'Bad credentials');
    if (profile === 'github-emu' && !req.headers['user-agent']) {
      fail(403, undefined, 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header');
    }
    if (faults.rateLimitBurst > 0) {
      faults.rateLimitBurst -= 1;
      void reply.header('retry-after', String(faults.retryAfterSeconds));
      fail(429, undefined, 'Too many requests');
    }
    if (rate) {
      const now = Date.now();
      const log = (calls.get(endpoint) ?? []).filter((t) => t > now - rate.windowMs);
      if (log.length >= rate.limit) {
        void reply.header('retry-after', String(Math.max(1, Math.ceil((log[0] + rate.windowMs - now) / 1000))));
        calls.set(endpoint, log);
        fail(429, undefined, "You have reached the maximum per-second rate limit for this API. Try again later.");
      }
      log.push(now);
      calls.set(endpoint, log);
    }
  }

  function stamp(resource: Record<string, unknown>, resourceType: string, existing?: Resource): Resource {
    version += 1;
    const now = new Date().toISOString();
    const id = existing?.id ?? randomUUID().replace(/-/g, '');
    return { ...resource, id, meta: { resourceType, created: existing?.meta.created ?? now, lastModified: now, version: `W/"${version}"` } } as Resource;
  }

  function matches(resource: Resource, f: Filter): boolean {
    if (f.op === 'and') return f.filters.every((x) => matches(resource, x));
    if (f.op === 'or') return f.filters.some((x) => matches(resource, x));
    if (f.op !== 'eq') return fail(400, 'invalidFilter', `operator ${f.op} is not supported`);
    const path = f.attrPath;
    const want = String(f.compValue);
    if (path === 'members.value') return ((resource.members as { value?: string }[] | undefined) ?? []).some((m) => m.value === want);
    const value = resource[path];
    if (typeof value !== 'string') return false;
    return path === 'userName' ? value.toLowerCase() === want.toLowerCase() : value === want;
  }

  function list(req: FastifyRequest, store: Map<string, Resource>) {
    const query = req.query as Record<string, string>;
    let resources = [...store.values()].filter((r) => !hidden(r));
    if (query.filter) {
      let f: Filter;
      try {
        f = parse(query.filter);
      } catch {
        return fail(400, 'invalidFilter', 'the filter is not valid');
      }
      if (profile === 'atlassian' && !(f.op === 'eq' && ['userName', 'externalId'].includes((f as { attrPath: string }).attrPath))) {
        fail(400, 'invalidFilter', 'Only eq filters on userName and externalId are supported');
      }
      resources = resources.filter((r) => matches(r, f));
    }
    const startIndex = Math.max(1, Number(query.startIndex ?? 1) || 1);
    const wanted = query.count === undefined ? (profile === 'github-emu' ? 30 : 100) : Math.max(0, Number(query.count) || 0);
    // Aliyun (and Atlassian) answer at most 100 per page whatever count asks.
    const count = Math.min(wanted, 100);
    const page = resources.slice(startIndex - 1, startIndex - 1 + count);
    return { schemas: [listSchema], totalResults: resources.length, startIndex, itemsPerPage: page.length, Resources: page };
  }

  function found(store: Map<string, Resource>, id: string, what: string): Resource {
    const r = store.get(id);
    if (!r || hidden(r)) return fail(404, undefined, `${what} ${id} not found`);
    return r;
  }

  function checkIfMatch(req: FastifyRequest, r: Resource): void {
    const ifMatch = req.headers['if-match'];
    if (ifMatch && ifMatch !== '*' && ifMatch !== r.meta.version) fail(412, undefined, 'the resource changed since that version');
  }

  function checkUser(body: Record<string, unknown>, selfId?: string): void {
    if (typeof body.userName !== 'string' || !body.userName) fail(400, 'invalidValue', 'userName is required');
    const taken = [...users.values()].find((u) => u.id !== selfId && String(u.userName).toLowerCase() === String(body.userName).toLowerCase());
    // Atlassian: a deactivated user still holds its userName.
    if (taken) fail(409, 'uniqueness', 'User already exists');
    if (profile === 'github-emu') {
      for (const field of ['externalId', 'displayName']) if (typeof body[field] !== 'string' || !body[field]) fail(400, 'invalidValue', `${field} is required`);
      if (typeof body.active !== 'boolean') fail(400, 'invalidValue', 'active is required');
      const emails = body.emails as { value?: string; primary?: boolean }[] | undefined;
      if (!emails?.some((e) => e.primary === true && e.value)) fail(400, 'invalidValue', 'emails must include a primary email');
      const roles = body.roles as { value?: string }[] | undefined;
      const allowed = ['user', 'guest_collaborator', 'enterprise_owner', 'billing_manager'];
      if (!roles?.length || !roles.every((r) => allowed.includes(String(r.value)))) fail(400, 'invalidValue', `roles must be one of ${allowed.join(', ')}`);
    }
  }

  function applyPatch(r: Resource, body: { Operations?: { op?: string; path?: string; value?: unknown }[] }): Resource {
    const ops = body?.Operations;
    if (!Array.isArray(ops) || ops.length === 0) fail(400, 'invalidValue', 'Operations is required');
    const next: Record<string, unknown> = structuredClone(r);
    for (const o of ops!) {
      const op = String(o.op).toLowerCase();
      const path = o.path;
      if (!path) {
        if (op === 'remove' || typeof o.value !== 'object' || o.value === null) fail(400, 'noTarget', 'a path is required');
        Object.assign(next, o.value);
        continue;
      }
      const memberFilter = /^members\[value eq "(.*)"\]$/.exec(path);
      if (memberFilter) {
        next.members = ((next.members as { value: string }[]) ?? []).filter((m) => m.value !== memberFilter[1]);
        continue;
      }
      const colon = path.lastIndexOf(':');
      const [holder, key] = path.startsWith('urn:') ? [path.slice(0, colon), path.slice(colon + 1)] : [undefined, path];
      const target = holder ? ((next[holder] as Record<string, unknown>) ??= {}) : next;
      if (op === 'remove') delete target[key];
      else if (op === 'add' && key === 'members') target.members = [...((target.members as unknown[]) ?? []), ...(o.value as unknown[])];
      else target[key] = o.value;
    }
    return next as Resource;
  }

  const send = (reply: FastifyReply, status: number, r: Resource) => reply.status(status).header('etag', r.meta.version).type('application/scim+json').send(r);

  for (const [name, store, type] of [['Users', users, 'User'], ['Groups', groups, 'Group']] as const) {
    const base = `${prefix}/${name}`;
    const record = (req: FastifyRequest, path: string) =>
      requests.push({ method: req.method, path, query: req.query as Record<string, string>, headers: { ...req.headers } });
    app.get(base, async (req, reply) => {
      record(req, `/${name}`);
      guard(req, reply, name);
      return reply.type('application/scim+json').send(list(req, store));
    });
    app.get(`${base}/:id`, async (req, reply) => {
      const { id } = req.params as { id: string };
      record(req, `/${name}/${id}`);
      guard(req, reply, name);
      return send(reply, 200, found(store, id, type));
    });
    app.post(base, async (req, reply) => {
      record(req, `/${name}`);
      guard(req, reply, name);
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (type === 'User') checkUser(body);
      else if ([...groups.values()].some((g) => g.displayName === body.displayName)) fail(409, 'uniqueness', 'Group already exists');
      const r = stamp({ ...body, ...(type === 'User' && body.active === undefined ? { active: true } : {}) }, type);
      store.set(r.id, r);
      return send(reply, 201, r);
    });
    app.put(`${base}/:id`, async (req, reply) => {
      const { id } = req.params as { id: string };
      record(req, `/${name}/${id}`);
      guard(req, reply, name);
      const current = found(store, id, type);
      checkIfMatch(req, current);
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (type === 'User') checkUser({ ...body, ...(profile === 'github-emu' ? { roles: current.roles, ...body } : {}) }, id);
      const r = stamp({ ...body }, type, current);
      store.set(id, r);
      return send(reply, 200, r);
    });
    app.patch(`${base}/:id`, async (req, reply) => {
      const { id } = req.params as { id: string };
      record(req, `/${name}/${id}`);
      guard(req, reply, name);
      const current = found(store, id, type);
      checkIfMatch(req, current);
      const { meta: _meta, id: _id, ...next } = applyPatch(current, req.body as never);
      const r = stamp(next, type, current);
      store.set(id, r);
      return send(reply, 200, r);
    });
    app.delete(`${base}/:id`, async (req, reply) => {
      const { id } = req.params as { id: string };
      record(req, `/${name}/${id}`);
      guard(req, reply, name);
      const current = found(store, id, type);
      checkIfMatch(req, current);
      // Atlassian: DELETE deactivates; the account keeps its userName and answers 404 from now on.
      if (type === 'User' && profile === 'atlassian') store.set(id, stamp({ ...current, active: false }, type, current));
      else store.delete(id);
      return reply.status(204).send();
    });
  }

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return { url, baseUrl: `${url}${prefix}`, tokenUrl: `${url}/oauth/token`, faults, requests, users, groups, revokeTokens: () => oauthTokens.clear(), close: () => app.close() };
}
