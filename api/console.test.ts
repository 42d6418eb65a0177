// What the web console needs from the API process: its bundle at /console (client routes answered
// with the page, a missing asset a 404, a clear 503 before the bundle is built), who the token is
// (/me), the connector kinds it generates the task form from, and a task's next scheduled run.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSecretBox } from '../db/secret-box';
import { describeOnBothDatabases } from '../test/support/databases';
import { startTestApi, type TestApi } from './testing';

function fakeBundle(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-console-dist-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="/console/assets/index-abc.js"></script>');
  fs.writeFileSync(path.join(dir, 'assets', 'index-abc.js'), 'console.log("app")');
  return dir;
}

describeOnBothDatabases('web console support', (ctx) => {
  let api: TestApi;
  let bundle: string;
  const corpSecret = `corp-secret-${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    bundle = fakeBundle();
    api = await startTestApi(ctx.database, { consoleDir: bundle, secretBox: createSecretBox(randomBytes(32)) });
  });
  afterAll(async () => {
    await api?.app.close();
    fs.rmSync(bundle, { recursive: true, force: true });
  });

  it('serves the bundle at /console without a token: the page, its hashed assets cached for good, and the page for client routes', async () => {
    const bare = await api.app.inject({ url: '/console' });
    expect([bare.statusCode, bare.headers.location]).toEqual([302, '/console/']);
    const page = await api.app.inject({ url: '/console/' });
    expect([page.statusCode, page.headers['content-type'], page.headers['cache-control']]).toEqual([200, 'text/html; charset=utf-8', 'no-cache']);
    expect(page.body).toContain('<div id="root">');
    const asset = await api.app.inject({ url: '/console/assets/index-abc.js' });
    expect([asset.statusCode, asset.headers['cache-control'], asset.body]).toEqual([200, 'public, max-age=31536000, immutable', 'console.log("app")']);
    const route = await api.app.inject({ url: '/console/tasks/3f2a/runs' });
    expect([route.statusCode, route.body]).toEqual([200, page.body]);
    const missing = await api.app.inject({ url: '/console/assets/gone-123.js' });
    expect([missing.statusCode, missing.json().error]).toEqual([404, 'not_found']);
    // The page is not a hole in the API's authentication.
    expect((await api.app.inject({ url: '/api/v1/sync-tasks' })).statusCode).toBe(401);
  });

  it('answers 503 saying how to build the console when there is no bundle', async () => {
    const unbuilt = await startTestApi(ctx.database, { consoleDir: path.join(bundle, 'nowhere') });
    try {
      const res = await unbuilt.app.inject({ url: '/console/tasks' });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('npm run build:console');
    } finally {
      await unbuilt.app.close();
    }
  });

  it('GET /me names the token and its role, for every API role', async () => {
    for (const role of ['admin', 'operator', 'approver'] as const) {
      const res = await api.as(role, { url: '/api/v1/me' });
      expect([res.statusCode, res.json()]).toEqual([200, { name: `test-${role}`, role }]);
    }
    expect((await api.as('bootstrap', { url: '/api/v1/me' })).json()).toEqual({ name: 'bootstrap-admin', role: 'admin' });
    expect((await api.app.inject({ url: '/api/v1/me' })).statusCode).toBe(401);
  });

  it('GET /connector-kinds gives each kind its settings and secrets as JSON Schema, required fields and directions included', async () => {
    const res = await api.as('approver', { url: '/api/v1/connector-kinds' });
    expect(res.statusCode).toBe(200);
    const kinds = res.json().items as { kind: string; directions: string[]; settings: { properties: Record<string, unknown>; required?: string[] }; secrets: { properties: Record<string, unknown>; required?: string[] }; defaultMapping: unknown[]; realtime: boolean; connectionTest: boolean }[];
    expect(kinds.map((k) => k.kind)).toEqual(expect.arrayContaining(['wecom', 'feishu', 'dingtalk', 'csv', 'ldap', 'scim']));
    expect(kinds.map((k) => k.kind)).not.toContain('hub');
    const wecom = kinds.find((k) => k.kind === 'wecom')!;
    expect(wecom).toMatchObject({ directions: ['upstream', 'downstream'], realtime: true, connectionTest: true, settings: { required: ['corpId'] }, secrets: { required: ['corpSecret'] } });
    expect(Object.keys(wecom.settings.properties)).toEqual(expect.arrayContaining(['baseUrl', 'corpId', 'timeoutMs']));
    expect(Object.keys(wecom.secrets.properties)).toEqual(['corpSecret', 'callbackToken', 'callbackEncodingAesKey', 'onboardingWebhookUrl']);
    expect(wecom.defaultMapping).toContainEqual({ target: 'title', source: 'title', vendorField: 'position' });
  });

  it('previews field mapping rows on real hub users (vendor names read as canonical), and names a bad row', async () => {
    for (const [id, name, email, title] of [['pv-1', '预览一', 'One@Example.com', 'engineer'], ['pv-2', 'Preview Two', 'TWO@example.com', 'manager']]) {
      expect((await api.as('admin', { method: 'POST', url: '/api/v1/users', payload: { id, username: id, name, email, title } })).statusCode).toBe(201);
    }
    const fieldMapping = [
      { target: 'position', expression: '$uppercase(title)' },
      { target: 'email', expression: '$lowercase(email)' },
      { target: 'attributes.badge', expression: '"B-" & username' },
    ];
    const res = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks/preview-mapping', payload: { kind: 'wecom', fieldMapping, limit: 20 } });
    expect(res.statusCode).toBe(200);
    const preview = (res.json().items as { id: string; values: Record<string, unknown>; error: string | null }[]).filter((i) => i.id.startsWith('pv-'));
    expect(preview).toEqual([
      { id: 'pv-1', name: '预览一', error: null, values: expect.objectContaining({ title: 'ENGINEER', email: 'one@example.com', username: 'pv-1', 'attributes.badge': 'B-pv-1' }) },
      { id: 'pv-2', name: 'Preview Two', error: null, values: expect.objectContaining({ title: 'MANAGER', email: 'two@example.com', 'attributes.badge': 'B-pv-2' }) },
    ]);
    const bad = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks/preview-mapping', payload: { kind: 'wecom', fieldMapping: [{ target: 'title', source: 'title' }, { target: 'email', expression: '$lowercase(' }] } });
    expect([bad.statusCode, bad.json().field]).toEqual([400, 'fieldMapping.1.expression']);
    const unknown = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks/preview-mapping', payload: { kind: 'nope', fieldMapping: [] } });
    expect([unknown.statusCode, unknown.json().field]).toEqual([400, 'kind']);
    expect((await api.as('approver', { method: 'POST', url: '/api/v1/sync-tasks/preview-mapping', payload: { kind: 'wecom', fieldMapping: [] } })).statusCode).toBe(403);
  });

  it("says when an enabled task's schedule fires next, and null when disabled or unscheduled", async () => {
    const body = (schedule?: object) => ({
      name: `console-${randomBytes(4).toString('hex')}`,
      direction: 'downstream',
      connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:18081/cgi-bin', corpId: `ww${randomBytes(4).toString('hex')}` }, secrets: { corpSecret } },
      triggers: { manual: true, realtime: false, ...(schedule ? { schedule } : {}) },
    });
    const before = Date.now();
    const daily = await api.as('admin', { method: 'POST', url: '/api/v1/sync-tasks', payload: body({ every: 'daily', at: '02:00', timezone: 'Asia/Shanghai' }) });
    expect(daily.statusCode).toBe(201);
    const next = new Date(daily.json().nextRunAt as string);
    // 02:00 in Shanghai is 18:00 UTC, within the next 24 hours.
    expect([next.getUTCHours(), next.getUTCMinutes()]).toEqual([18, 0]);
    expect(next.getTime()).toBeGreaterThan(before);
    expect(next.getTime()).toBeLessThanOrEqual(before + 86_400_000);
    const disabled = await api.as('admin', { method: 'POST', url: `/api/v1/sync-tasks/${daily.json().id}/disable` });
    expect(disabled.json().nextRunAt).toBeNull();
    const manual = await api.as('admin', { method: 'POST', url: '/api/v1/sync-tasks', payload: body() });
    expect(manual.json().nextRunAt).toBeNull();
  });
});
