// The RBAC matrix: every route buildApi registers × {no token, admin, operator, approver, scim} against
// the table below. A route missing from the table, in the table but gone, without a role check,
// or answering a caller differently from its row fails this test. Adding a route means adding a row.
import type { InjectOptions } from 'fastify';
import type { Role } from './auth';
import { registeredRoutes, type RouteEntry } from './server';
import { describeOnBothDatabases } from '../test/support/databases';
import { startTestApi, type TestApi } from './testing';

/** Who may call a route: nobody needs a token (`public`), or admin plus the named roles. */
type Access = 'public' | 'admin' | 'readers' | 'writers' | 'approvers' | 'scim';

const allowedRoles: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  admin: [],
  readers: ['operator', 'approver'],
  writers: ['operator'],
  approvers: ['approver'],
  // /scim/v2: a scim token only (bound to its scim-push task); admin too is 403 there
  scim: ['scim'],
};

const expected: Record<string, Access> = {
  'GET /docs': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/*': 'public',
  'GET /healthz': 'public',
  // Prometheus: no API token; its own rule instead (telemetry/metrics-access.ts: the metrics token when
  // set, else the same host only; inject's peer is 127.0.0.1)
  'GET /metrics': 'public',
  'GET /api/v1/healthz': 'public',
  'GET /api/v1/readiness': 'readers',
  'GET /api/v1/me': 'readers',
  'GET /api/v1/connector-kinds': 'readers',
  // The web console's files (api/console.ts): the app signs in with a token to call /api/v1.
  'GET /console': 'public',
  'GET /console/*': 'public',
  'GET /api/v1/departments': 'readers',
  'POST /api/v1/departments': 'writers',
  'GET /api/v1/departments/:id': 'readers',
  'PATCH /api/v1/departments/:id': 'writers',
  'DELETE /api/v1/departments/:id': 'writers',
  'GET /api/v1/users': 'readers',
  'POST /api/v1/users': 'writers',
  'GET /api/v1/users/:id': 'readers',
  'GET /api/v1/users/:id/links': 'readers',
  'PATCH /api/v1/users/:id': 'writers',
  'DELETE /api/v1/users/:id': 'writers',
  'POST /api/v1/users/:id/offboard': 'writers',
  'PUT /api/v1/users/:id/source': 'admin',
  'POST /api/v1/tokens': 'admin',
  'GET /api/v1/tokens': 'admin',
  'DELETE /api/v1/tokens/:id': 'admin',
  'GET /api/v1/sync-tasks': 'readers',
  'POST /api/v1/sync-tasks': 'writers',
  'GET /api/v1/sync-tasks/:id': 'readers',
  'PATCH /api/v1/sync-tasks/:id': 'writers',
  'DELETE /api/v1/sync-tasks/:id': 'writers',
  'POST /api/v1/sync-tasks/:id/enable': 'writers',
  'POST /api/v1/sync-tasks/:id/disable': 'writers',
  'POST /api/v1/sync-tasks/:id/runs': 'writers',
  // The connection test (连接测试) sends the task's credentials to the vendor: who may edit tasks.
  'POST /api/v1/sync-tasks/test-connection': 'writers',
  'POST /api/v1/sync-tasks/:id/test-connection': 'writers',
  'POST /api/v1/sync-tasks/preview-mapping': 'writers',
  'GET /api/v1/sync-tasks/:id/runs': 'readers',
  'GET /api/v1/runs/:id': 'readers',
  'GET /api/v1/runs/:id/items': 'readers',
  'GET /api/v1/runs/:id/export': 'readers',
  'POST /api/v1/runs/:id/retry-failed': 'writers',
  'GET /api/v1/pending-deletions': 'readers',
  'POST /api/v1/pending-deletions/execute': 'approvers',
  'POST /api/v1/pending-deletions/cancel': 'approvers',
  'POST /api/v1/notification-channels': 'admin',
  'GET /api/v1/notification-channels': 'admin',
  'DELETE /api/v1/notification-channels/:id': 'admin',
  'GET /api/v1/audit': 'admin',
  // Vendor webhooks: the vendor's signature is the credential.
  'GET /api/v1/webhooks/:taskId': 'public',
  'POST /api/v1/webhooks/:taskId': 'public',
  // SCIM 2.0 push (api/scim/routes.ts): only tokens of role scim, and those nowhere else.
  'GET /scim/v2/ServiceProviderConfig': 'scim',
  'GET /scim/v2/Schemas': 'scim',
  'GET /scim/v2/Schemas/:id': 'scim',
  'GET /scim/v2/ResourceTypes': 'scim',
  'GET /scim/v2/ResourceTypes/:id': 'scim',
  'GET /scim/v2/Users': 'scim',
  'POST /scim/v2/Users': 'scim',
  'GET /scim/v2/Users/:id': 'scim',
  'PUT /scim/v2/Users/:id': 'scim',
  'PATCH /scim/v2/Users/:id': 'scim',
  'DELETE /scim/v2/Users/:id': 'scim',
  'GET /scim/v2/Groups': 'scim',
  'POST /scim/v2/Groups': 'scim',
  'GET /scim/v2/Groups/:id': 'scim',
  'PUT /scim/v2/Groups/:id': 'scim',
  'PATCH /scim/v2/Groups/:id': 'scim',
  'DELETE /scim/v2/Groups/:id': 'scim',
  'POST /scim/v2/.search': 'scim',
  'POST /scim/v2/Users/.search': 'scim',
  'POST /scim/v2/Groups/.search': 'scim',
};

const callers = ['none', 'admin', 'operator', 'approver', 'scim'] as const;
type Caller = (typeof callers)[number];

const keyOf = (route: RouteEntry) => `${route.method} ${route.url}`;

/** What the caller must get: `401`, `403`, or `through` (past authorization: any answer but 401/403 and no 5xx other than 503). */
function expectedAnswer(access: Access, caller: Caller): '401' | '403' | 'through' {
  if (access === 'public') return 'through';
  if (caller === 'none') return '401';
  if (access === 'scim') return caller === 'scim' ? 'through' : '403';
  return caller === 'admin' || allowedRoles[access].includes(caller) ? 'through' : '403';
}

function observed(status: number): '401' | '403' | 'through' | `server error ${number}` {
  if (status === 401 || status === 403) return String(status) as '401' | '403';
  return status >= 500 && status !== 503 ? `server error ${status}` : 'through';
}

describeOnBothDatabases('RBAC matrix over the registered routes', (ctx) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(ctx.database);
    await api.app.ready();
  });
  afterAll(async () => {
    await api?.app.close();
  });

  it('has a row for every registered route and no row for a route that is gone', () => {
    const registered = registeredRoutes(api.app).map(keyOf);
    expect(new Set(registered).size).toBe(registered.length);
    expect([...registered].sort()).toEqual(Object.keys(expected).sort());
  });

  it('puts a role check matching its row on every route that is not public', () => {
    const mismatches = registeredRoutes(api.app)
      .filter((route) => expected[keyOf(route)] !== undefined)
      .flatMap((route) => {
        const access = expected[keyOf(route)];
        if (access === 'public') return route.public || !route.url.startsWith('/api/v1/') ? [] : [`${keyOf(route)}: declared public but authenticated`];
        if (route.public) return [`${keyOf(route)}: config.public but declared ${access}`];
        if (!route.roles) return [`${keyOf(route)}: no requireRole check`];
        const besidesAdmin = route.roles.filter((role) => role !== 'admin').sort();
        return besidesAdmin.join(',') === [...allowedRoles[access]].sort().join(',') ? [] : [`${keyOf(route)}: lets ${besidesAdmin.join(',') || 'admin only'} through, declared ${access}`];
      });
    expect(mismatches).toEqual([]);
  });

  it('answers every route × caller as its row says', async () => {
    const wrong: string[] = [];
    for (const route of registeredRoutes(api.app)) {
      const access = expected[keyOf(route)];
      if (access === undefined) continue; // the first test names it
      const url = route.url.replace(/:(\w+)/g, 'rbac-probe').replace('*', 'rbac-probe.js');
      for (const caller of callers) {
        const options: InjectOptions = { method: route.method as InjectOptions['method'], url, ...(['POST', 'PATCH', 'PUT'].includes(route.method) ? { payload: {} } : {}) };
        const res = caller === 'none' ? await api.app.inject(options) : await api.as(caller, options);
        const want = expectedAnswer(access, caller);
        const got = observed(res.statusCode);
        if (got !== want) wrong.push(`${keyOf(route)} as ${caller}: wanted ${want}, got ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
