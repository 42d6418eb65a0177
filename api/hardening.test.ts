// Issue 11, the API's own hardening: liveness vs readiness, rate limits, token expiry, bounded
// user attributes, and the cap on concurrent run exports.
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { apiTokens, runItems, syncRuns } from '../db/schema';
import { describeOnBothDatabases } from '../test/support/databases';
import { DatabaseQueryError } from '../db/query-errors';
import { defaultRateLimits, rateLimitsFromEnv } from './rate-limit';
import { viaTemporal } from './sync-context';
import { buildApi } from './server';
import { startTestApi, testAdminToken, type TestApi } from './testing';

describeOnBothDatabases('API hardening', (ctx) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(ctx.database);
  });
  afterAll(async () => {
    await api?.app.close();
  });

  describe('health', () => {
    it.each(['/healthz', '/api/v1/healthz'])('%s answers liveness only: no probes, nothing internal', async (url) => {
      let probes = 0;
      const app = await buildApi({
        database: { ...ctx.database, ping: async () => void probes++ },
        checkTemporal: async () => {
          probes++;
          throw new Error('connect ECONNREFUSED temporal.internal.example:7233');
        },
      });
      try {
        const res = await app.inject({ method: 'GET', url });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ status: 'ok' });
        expect(probes).toBe(0);
      } finally {
        await app.close();
      }
    });

    it('answers readiness with the probes to an authenticated caller only', async () => {
      const app = await buildApi({
        database: ctx.database,
        adminToken: testAdminToken,
        checkTemporal: () => Promise.reject(new Error('connect ECONNREFUSED grpc://ops:hunter2@temporal.internal:7233\nstack…')),
      });
      try {
        expect((await app.inject({ method: 'GET', url: '/api/v1/readiness' })).statusCode).toBe(401);
        const res = await app.inject({ method: 'GET', url: '/api/v1/readiness', headers: { authorization: `Bearer ${testAdminToken}` } });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toEqual({ status: 'down', database: { status: 'ok' }, temporal: { status: 'down', error: 'connect ECONNREFUSED grpc://***@temporal.internal:7233' } });
      } finally {
        await app.close();
      }
      const ok = await api.as('approver', { method: 'GET', url: '/api/v1/readiness' });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ status: 'ok', database: { status: 'ok' }, temporal: { status: 'ok' } });
    });
  });

  describe('rate limits', () => {
    const limits = { ...defaultRateLimits, perToken: 5, perAnonymousIp: 3, perWebhookTask: 4, authFailuresPerIp: 3 };

    it('limits each token on its own, and answers 429 with Retry-After', async () => {
      const limited = await startTestApi(ctx.database, { rateLimits: limits });
      try {
        const answers = [];
        for (let i = 0; i < 6; i++) answers.push(await limited.as('operator', { method: 'GET', url: '/api/v1/users' }));
        expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 429]);
        expect(answers[5].json()).toMatchObject({ error: 'rate_limited' });
        expect(Number(answers[5].headers['retry-after'])).toBeGreaterThan(0);
        // Another token has its own bucket.
        expect((await limited.as('approver', { method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
      } finally {
        await limited.app.close();
      }
    });

    it('limits anonymous calls per IP and failed authentications per IP', async () => {
      const limited = await startTestApi(ctx.database, { rateLimits: limits });
      try {
        const health = [];
        for (let i = 0; i < 4; i++) health.push((await limited.app.inject({ method: 'GET', url: '/healthz' })).statusCode);
        expect(health).toEqual([200, 200, 200, 429]);
        const guesses = [];
        for (let i = 0; i < 4; i++) {
          guesses.push((await limited.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer sc_guess${i}` } })).statusCode);
        }
        expect(guesses).toEqual([401, 401, 401, 429]);
        // Once the IP has guessed too often, even a good token from it waits.
        expect((await limited.as('admin', { method: 'GET', url: '/api/v1/users' })).statusCode).toBe(429);
      } finally {
        await limited.app.close();
      }
    });

    it('gives webhooks a bucket per task id, apart from the IP', async () => {
      const limited = await startTestApi(ctx.database, { rateLimits: limits });
      try {
        const post = (taskId: string) => limited.app.inject({ method: 'POST', url: `/api/v1/webhooks/${taskId}`, payload: '{}' });
        const first = [];
        for (let i = 0; i < 5; i++) first.push((await post('task-a')).statusCode);
        expect(first.slice(0, 4).every((s) => s !== 429)).toBe(true);
        expect(first[4]).toBe(429);
        expect((await post('task-b')).statusCode).not.toBe(429);
      } finally {
        await limited.app.close();
      }
    });

    it('reads its settings from the environment, with safe defaults and a clear error', () => {
      expect(rateLimitsFromEnv({})).toEqual(defaultRateLimits);
      expect(rateLimitsFromEnv({ SYNC_CENTER_RATE_LIMIT_PER_TOKEN: '50', SYNC_CENTER_RATE_LIMIT_WEBHOOK: '9' })).toMatchObject({ enabled: true, perToken: 50, perWebhookTask: 9 });
      expect(rateLimitsFromEnv({ SYNC_CENTER_RATE_LIMIT: 'off' }).enabled).toBe(false);
      expect(() => rateLimitsFromEnv({ SYNC_CENTER_RATE_LIMIT_ANONYMOUS: 'lots' })).toThrow('SYNC_CENTER_RATE_LIMIT_ANONYMOUS');
    });
  });

  describe('token expiry', () => {
    it('creates tokens with expiresInDays or expiresAt and refuses them once expired', async () => {
      const res = await api.as('admin', { method: 'POST', url: '/api/v1/tokens', payload: { name: 'short-lived', role: 'operator', expiresInDays: 7 } });
      expect(res.statusCode).toBe(201);
      const created = res.json();
      const days = (Date.parse(created.expiresAt) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(6.9);
      expect(days).toBeLessThanOrEqual(7);
      const call = () => api.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${created.token}` } });
      expect((await call()).statusCode).toBe(200);
      const listed = (await api.as('admin', { method: 'GET', url: '/api/v1/tokens' })).json().items.find((t: { id: string }) => t.id === created.id);
      expect(listed.expiresAt).toBe(created.expiresAt);

      await ctx.database.db.update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.id, created.id));
      const expired = await call();
      expect(expired.statusCode).toBe(401);
      expect(expired.json()).toMatchObject({ error: 'unauthorized' });

      const at = new Date(Date.now() + 3_600_000).toISOString();
      const exact = await api.as('admin', { method: 'POST', url: '/api/v1/tokens', payload: { name: 'until', role: 'approver', expiresAt: at } });
      expect(exact.statusCode).toBe(201);
      expect(Date.parse(exact.json().expiresAt)).toBe(Date.parse(at));
      expect((await api.as('admin', { method: 'POST', url: '/api/v1/tokens', payload: { name: 'forever', role: 'approver' } })).json().expiresAt).toBeNull();
    });

    it.each([
      [{ expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      [{ expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ expiresInDays: 0 }, 'expiresInDays'],
      [{ expiresInDays: 3, expiresAt: '2999-01-01T00:00:00Z' }, 'expiresAt'],
    ])('refuses %j naming %s', async (extra, field) => {
      const res = await api.as('admin', { method: 'POST', url: '/api/v1/tokens', payload: { name: 'bad', role: 'operator', ...extra } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'validation_failed', field });
    });
  });

  describe('user attributes', () => {
    const user = (n: number, attributes: unknown) => ({ username: `attr${n}`, name: `Attr ${n}`, attributes });

    it.each([
      ['a 900 KB value', { blob: 'x'.repeat(900_000) }, 'attributes.blob'],
      ['too many keys', Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])), 'attributes'],
      ['a long key', { ['k'.repeat(65)]: 1 }, 'attributes'],
      ['20 KiB in total', Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`k${i}`, 'y'.repeat(2600)])), 'attributes'],
    ])('refuses %s with 400 naming the field, on create and update', async (_what, attributes, field) => {
      const created = await api.as('operator', { method: 'POST', url: '/api/v1/users', payload: user(1, attributes) });
      expect(created.statusCode).toBe(400);
      expect(created.json()).toMatchObject({ error: 'validation_failed', field });
      const ok = await api.as('operator', { method: 'POST', url: '/api/v1/users', payload: user(Math.floor(Math.random() * 1e9), { costCenter: 'CC-1' }) });
      expect(ok.statusCode).toBe(201);
      const patched = await api.as('operator', { method: 'PATCH', url: `/api/v1/users/${ok.json().id}`, payload: { attributes } });
      expect(patched.statusCode).toBe(400);
      expect(patched.json()).toMatchObject({ error: 'validation_failed', field });
    });
  });

  describe('NUL characters (found by the schemathesis pass: 500 from the database before)', () => {
    it.each([
      ['a body field', { method: 'POST', url: '/api/v1/users', payload: { username: 'nul', name: 'a\u0000b' } }, 'name'],
      ['an attribute key', { method: 'POST', url: '/api/v1/users', payload: { username: 'nul', name: 'n', attributes: { 'k\u0000': 1 } } }, 'attributes.k\u0000'],
      ['a path parameter', { method: 'GET', url: '/api/v1/departments/x%00y' }, 'id'],
      ['a query parameter', { method: 'GET', url: '/api/v1/pending-deletions?taskId=%00&status=FAILED' }, 'taskId'],
      ['a reference list', { method: 'POST', url: '/api/v1/users', payload: { username: 'nul', name: 'n', departmentIds: ['ok', 'x\u0000'] } }, 'departmentIds.1'],
    ] as const)('in %s is a 400 naming the field', async (_where, request, field) => {
      const res = await api.as('admin', request as never);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'validation_failed', field });
    });
  });

  it.each([2 ** 31, -(2 ** 31) - 1, -881828032186])('refuses a department order of %d (past a Postgres integer; was 500, found by schemathesis)', async (order) => {
    const res = await api.as('operator', { method: 'POST', url: '/api/v1/departments', payload: { name: `Order ${order}`, order } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation_failed', field: 'order' });
  });

  it('serves an entity by an id of the full accepted length (128; was 414 past 100, found by schemathesis)', async () => {
    const id = `long-${'x'.repeat(123)}`;
    expect((await api.as('operator', { method: 'POST', url: '/api/v1/departments', payload: { id, name: 'Long id' } })).statusCode).toBe(201);
    const res = await api.as('operator', { method: 'GET', url: `/api/v1/departments/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id });
  });

  it('answers a database failure inside a Temporal call as a generic 500, not a 503 echoing the query', async () => {
    const failing = new DatabaseQueryError('select 1 where id = $1', 'boom (query: select 1 where id = $1)', { code: '22021' });
    await expect(viaTemporal('signalling', () => Promise.reject(failing))).rejects.toBe(failing);
    await expect(viaTemporal('signalling', () => Promise.reject(new Error('14 UNAVAILABLE')))).rejects.toMatchObject({ statusCode: 503, code: 'temporal_unavailable', message: 'signalling: 14 UNAVAILABLE' });
  });

  describe('run exports', () => {
    const runId = 'export-cap-run';
    const itemCount = 10_000;

    beforeAll(async () => {
      await ctx.database.db.insert(syncRuns).values({ id: runId, taskId: 'export-cap-task', trigger: 'manual', status: 'succeeded', finishedAt: new Date() });
      // Big enough (about 20 MB of CSV) that an unread download stays open on socket back-pressure.
      const before = { note: 'z'.repeat(2000) };
      const rows = Array.from({ length: itemCount }, (_, seq) => ({ runId, seq, batch: 0, key: `user:${seq}`, action: 'UpdateUser', entity: 'user' as const, sourceId: `u${seq}`, status: 'succeeded' as const, payload: {}, before }));
      for (let i = 0; i < rows.length; i += 500) await ctx.database.db.insert(runItems).values(rows.slice(i, i + 500));
    });

    it('streams at most `exportsAtOnce` exports; the next gets 429 with Retry-After until one ends', async () => {
      const capped = await startTestApi(ctx.database, { exportsAtOnce: 1 });
      await capped.app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(capped.app.server.address() as AddressInfo).port}`;
      const get = (format: string) => fetch(`${base}/api/v1/runs/${runId}/export?format=${format}`, { headers: { authorization: `Bearer ${capped.tokens.approver}` } });
      try {
        const first = await get('csv');
        expect(first.status).toBe(200);
        const second = await get('xlsx');
        expect(second.status).toBe(429);
        expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await second.json()).toMatchObject({ error: 'too_many_exports' });
        const lines = (await first.text()).trimEnd().split('\r\n');
        expect(lines).toHaveLength(itemCount + 1);
        // The slot is free once the first download has ended (its close may trail the last byte).
        let third = await get('xlsx');
        for (let i = 0; third.status === 429 && i < 20; i++) third = await new Promise((resolve) => setTimeout(resolve, 100)).then(() => get('xlsx'));
        expect(third.status).toBe(200);
        const workbook = new ExcelJS.Workbook();
        await workbook.xlsx.load(Buffer.from(await third.arrayBuffer()) as unknown as ExcelJS.Buffer);
        const sheet = workbook.getWorksheet('Items')!;
        expect(sheet.rowCount).toBe(itemCount + 1);
        expect(sheet.getRow(itemCount + 1).getCell(5).value).toBe(`u${itemCount - 1}`);
      } finally {
        await capped.app.close();
      }
    });
  });
});
