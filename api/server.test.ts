import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { describeOnBothDatabases } from '../test/support/databases';
import { apiTokens } from '../db/schema';
import { createAuditLog } from '../db/repos/audit-log';
import { buildApi } from './server';
import { startTestApi, testAdminToken, type TestApi } from './testing';

describeOnBothDatabases('API: auth, tokens, health, docs', (ctx) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(ctx.database);
  });
  afterAll(async () => {
    await api?.app.close();
  });

  describe('authentication', () => {
    it('answers 401 without a token, with a bad token, and with a non-bearer scheme', async () => {
      for (const authorization of [undefined, 'Bearer sc_not-a-real-token', `Basic ${testAdminToken}`]) {
        const res = await api.app.inject({ method: 'GET', url: '/api/v1/users', headers: authorization ? { authorization } : {} });
        expect(res.statusCode).toBe(401);
        expect(res.json()).toMatchObject({ error: 'unauthorized' });
      }
    });

    it('accepts the bootstrap admin token as admin and audits as bootstrap-admin', async () => {
      const res = await api.as('bootstrap', { method: 'POST', url: '/api/v1/departments', payload: { name: 'Bootstrap Dept' } });
      expect(res.statusCode).toBe(201);
      const audit = await createAuditLog(ctx.database.db).list({ entityId: res.json().id });
      expect(audit.items[0]).toMatchObject({ actor: 'bootstrap-admin', action: 'department.create' });
    });

    it.each([
      ['approver', 'GET', '/api/v1/users', 200],
      ['approver', 'POST', '/api/v1/users', 403],
      ['approver', 'GET', '/api/v1/tokens', 403],
      ['operator', 'GET', '/api/v1/departments', 200],
      ['operator', 'POST', '/api/v1/departments', 201],
      ['operator', 'GET', '/api/v1/tokens', 403],
      ['operator', 'POST', '/api/v1/tokens', 403],
      ['admin', 'GET', '/api/v1/tokens', 200],
    ] as const)('%s %s %s → %i', async (role, method, url, status) => {
      const payload = method === 'POST' ? (url.endsWith('tokens') ? { name: 'x', role: 'approver' } : { name: `by ${role} ${Date.now()}` }) : undefined;
      const res = await api.as(role, { method, url, payload });
      expect(res.statusCode).toBe(status);
      if (status === 403) expect(res.json()).toMatchObject({ error: 'forbidden' });
    });

    it('checks the role before looking at the body', async () => {
      const res = await api.as('approver', { method: 'POST', url: '/api/v1/users', payload: '{not json', headers: { 'content-type': 'application/json' } });
      expect(res.statusCode).toBe(403);
    });
  });

  describe('tokens', () => {
    it('creates a token shown once, stores only its sha256, and the token works', async () => {
      const created = await api.as('admin', { method: 'POST', url: '/api/v1/tokens', payload: { name: 'ci', role: 'operator' } });
      expect(created.statusCode).toBe(201);
      const { id, token } = created.json();
      expect(token).toMatch(/^sc_[A-Za-z0-9_-]{43}$/);
      expect(created.json()).toEqual({ id, name: 'ci', role: 'operator', expiresAt: null, token });

      const [row] = await ctx.database.db.select().from(apiTokens).where(eq(apiTokens.id, id));
      expect(JSON.stringify(row)).not.toContain(token);
      expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.lastUsedAt).toBeNull();

      const used = await api.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${token}` } });
      expect(used.statusCode).toBe(200);
      const [afterUse] = await ctx.database.db.select().from(apiTokens).where(eq(apiTokens.id, id));
      expect(afterUse.lastUsedAt).toBeInstanceOf(Date);

      const list = await api.as('admin', { method: 'GET', url: '/api/v1/tokens' });
      const listed = list.json().items.find((t: { id: string }) => t.id === id);
      expect(listed).toMatchObject({ name: 'ci', role: 'operator', createdBy: expect.stringContaining('token:test-admin:'), lastUsedAt: expect.any(String) });
      expect(list.body).not.toContain(token);
      expect(list.body).not.toContain(row.tokenHash);

      expect((await api.as('admin', { method: 'DELETE', url: `/api/v1/tokens/${id}` })).statusCode).toBe(204);
      const revoked = await api.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${token}` } });
      expect(revoked.statusCode).toBe(401);
      expect((await api.as('admin', { method: 'DELETE', url: `/api/v1/tokens/${id}` })).json()).toMatchObject({ error: 'not_found' });
    });

    it('names the field of a bad token request', async () => {
      const res = await api.as('admin', { method: 'POST', url: '/api/v1/tokens', payload: { name: 'x', role: 'root' } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'validation_failed', field: 'role' });
      const blank = await api.as('admin', { method: 'POST', url: '/api/v1/tokens', payload: { name: '  ', role: 'admin' } });
      expect(blank.json()).toMatchObject({ error: 'validation_failed', field: 'name' });
    });
  });

  describe('health', () => {
    // Liveness only; readiness (the probes, for authenticated callers) is in api/hardening.test.ts.
    it.each(['/api/v1/healthz', '/healthz'])('%s is 200 without a token', async (url) => {
      const res = await api.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    });
  });

  it('serves OpenAPI JSON at /docs listing the routes', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    for (const path of ['/api/v1/departments', '/api/v1/departments/{id}', '/api/v1/users', '/api/v1/users/{id}', '/api/v1/users/{id}/offboard', '/api/v1/tokens', '/api/v1/tokens/{id}', '/api/v1/healthz', '/api/v1/readiness']) {
      expect(paths).toContain(path);
    }
    expect(res.json().paths['/api/v1/users'].post.requestBody).toBeDefined();
    expect((await api.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('answers unknown routes with not_found', async () => {
    const res = await api.as('admin', { method: 'GET', url: '/api/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'not_found' });
  });

  it('never logs the Authorization header', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const app = await buildApi({ database: ctx.database, adminToken: testAdminToken, checkTemporal: async () => undefined, logger: { level: 'info', stream } });
    try {
      app.addHook('onRequest', async (request) => request.log.info({ headers: request.headers }, 'request with headers'));
      await app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${testAdminToken}` } });
      expect(lines.join('')).toContain('[redacted]');
      expect(lines.join('')).not.toContain(testAdminToken);
    } finally {
      await app.close();
    }
  });
});
