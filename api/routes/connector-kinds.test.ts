// Connector kinds over the API: only kinds with a definition are accepted, each kind's settings and
// secrets are checked at save time naming the field, every accepted kind can be built and read
// (vendor kinds against their fakes), /docs shows every kind, and the connection test works.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { connectorCatalog, definitionOf, definitions } from '../../connectors/definitions';
import { createConnector } from '../../connectors/registry';
import { syncTasks } from '../../db/schema';
import { createSecretBox } from '../../db/secret-box';
import { KindFixtures } from '../../test/support/connector-kinds';
import { describeOnBothDatabases } from '../../test/support/databases';
import { startTestApi, type TestApi } from '../testing';

describeOnBothDatabases('connector kinds over the API', (ctx) => {
  let api: TestApi;
  const secretBox = createSecretBox(randomBytes(32));
  let kinds: KindFixtures;

  beforeAll(async () => {
    api = await startTestApi(ctx.database, { secretBox, publicUrl: 'https://sync.example.com/' });
    kinds = await KindFixtures.start();
  });
  afterAll(async () => {
    await api.app.close();
    await kinds.close();
  });

  const taskCount = async () => (await ctx.database.db.select().from(syncTasks)).length;
  const post = (payload: unknown, url = '/api/v1/sync-tasks', role: 'operator' | 'admin' | 'approver' = 'operator') => api.as(role, { method: 'POST', url, payload: payload as object });
  const unique = () => randomBytes(3).toString('hex');

  /** A task body of this kind pointed at its fake (or, for the file source, its example's inline content). */
  function bodyFor(kind: string, direction = definitionOf(kind)?.directions[0] ?? 'upstream', overrides: Record<string, unknown> = {}) {
    return { name: `${kind} ${unique()}`, direction, connector: kinds.connectorOf(kind), ...overrides };
  }

  it.each(['workday', 'fax'])('refuses kind %s, which has no connector, with 400 naming connector.kind and stores nothing', async (kind) => {
    const before = await taskCount();
    const res = await post({ name: 'x', direction: 'downstream', connector: { kind, settings: { baseUrl: 'https://example.com' } } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation_failed', field: 'connector.kind', message: expect.stringContaining('unknown connector kind') });
    expect(await taskCount()).toBe(before);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a WeCom task without corpId', { kind: 'wecom', settings: { baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin' }, secrets: { corpSecret: 's' } }, 'connector.settings.corpId'],
    ['a WeCom task without corpSecret', { kind: 'wecom', settings: { corpId: 'ww1' } }, 'connector.secrets.corpSecret'],
    ['a WeCom base URL that is not http(s)', { kind: 'wecom', settings: { baseUrl: 'file:///etc/passwd', corpId: 'ww1' }, secrets: { corpSecret: 's' } }, 'connector.settings.baseUrl'],
    ['a misspelt WeCom setting', { kind: 'wecom', settings: { corpID: 'ww1' }, secrets: { corpSecret: 's' } }, 'connector.settings.corpID'],
    ['a Feishu task without appSecret', { kind: 'feishu', settings: { appId: 'cli_1' } }, 'connector.secrets.appSecret'],
    ['a Beisen task without tenantId', { kind: 'beisen', settings: { appId: 'a1' }, secrets: { secret: 's' } }, 'connector.settings.tenantId'],
    ['a Beisen window over 90 days', { kind: 'beisen', settings: { tenantId: '1', appId: 'a1', windowDays: 91 }, secrets: { secret: 's' } }, 'connector.settings.windowDays'],
    ['a Moka task without its private key', { kind: 'moka', settings: { entCode: 'e', departmentsApiCode: 'd', employeesApiCode: 'x' }, secrets: { apiKey: 'k' } }, 'connector.secrets.privateKey'],
    ['a DingTalk task without appKey', { kind: 'dingtalk', settings: {}, secrets: { appSecret: 's' } }, 'connector.settings.appKey'],
    ['a CSV task with neither path nor content', { kind: 'csv', settings: {} }, 'connector.settings.path'],
    ['an e-cology task without its subcompany', { kind: 'ecology', settings: { baseUrl: 'https://oa.example.com' }, secrets: { tokenKey: 'k' } }, 'connector.settings.subcompanyId'],
    ['an HTTP HR source with an unknown paging style', { kind: 'http-hr', settings: { usersUrl: 'https://hr.example.com/api/employees', userMapping: '{"id": id}', paging: { style: 'links' } }, secrets: {} }, 'connector.settings.paging.style'],
    ['a SCIM task with an unknown profile', { kind: 'scim', settings: { profile: 'okta', baseUrl: 'https://api.github.com/scim/v2/enterprises/acme' }, secrets: { token: 't' } }, 'connector.settings.profile'],
  ])('refuses %s at save time, naming the field, storing nothing', async (_label, connector, field) => {
    const before = await taskCount();
    const res = await post({ name: 'x', direction: 'upstream', connector });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation_failed', issues: expect.arrayContaining([expect.objectContaining({ field })]) });
    expect(await taskCount()).toBe(before);
  });

  it('accepts every kind of the definitions list, and the registry builds and reads each stored task', async () => {
    const accepted: string[] = [];
    for (const { kind } of connectorCatalog) {
      const res = await post(bodyFor(kind));
      expect({ kind, status: res.statusCode }).toEqual({ kind, status: 201 });
      const [row] = await ctx.database.db.select().from(syncTasks).where(eq(syncTasks.id, res.json().id));
      const config = row.config as { connector: { settings: Record<string, unknown> } };
      const connector = createConnector(kind, config.connector.settings, secretBox.open(row.secretsSealed), { database: ctx.database, actor: 'test' });
      // A full read against the fake (an empty tenant may yield no page) must complete without a refusal.
      let users = 0;
      for await (const page of connector.readSnapshot()) users += page.users.length;
      if (kind === 'csv') expect(users).toBe(1);
      accepted.push(kind);
    }
    expect(accepted).toEqual(definitions.filter((d) => !('internal' in d && d.internal)).map((d) => d.kind));
    expect(accepted).toEqual(expect.arrayContaining(['csv', 'dingtalk', 'ecology', 'feishu', 'http-hr', 'ldap', 'scim', 'scim-push', 'wecom']));
    expect(accepted).not.toContain('hub');
  });

  it('declares a webhook (and so its receiver) for exactly the kinds whose capabilities say they push events', () => {
    // task validation lets an upstream task turn real time on by realtimeEvents; the route needs the receiver
    for (const d of definitions) expect({ kind: d.kind, webhook: 'webhook' in d && typeof d.webhook?.createReceiver === 'function' }).toEqual({ kind: d.kind, webhook: d.capabilities.realtimeEvents });
  });

  it("shows every kind's settings and secrets schema on /docs", async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const body = JSON.stringify(doc.paths['/api/v1/sync-tasks'].post.requestBody);
    for (const name of ['"wecom"', '"feishu"', '"dingtalk"', '"csv"', 'corpId', 'corpSecret', 'appId', 'appKey', 'oapiBaseUrl', 'departmentSeparator', '"ldap"', 'bindDn', 'bindPassword', '"scim"', 'github-emu', 'aliyun-cloudsso', '"ecology"', 'subcompanyId', 'tokenKey', '"http-hr"', 'userMapping', 'oauth2-client-credentials', '"beisen"', 'historyStart', '"moka"', 'entCode', 'privateKey']) expect(body).toContain(name);
  });

  describe('connection test', () => {
    it.each(['wecom', 'feishu', 'dingtalk', 'ldap', 'scim', 'ecology'])('passes for %s with the credentials its fake accepts, and saves nothing', async (kind) => {
      const before = await taskCount();
      const res = await post(bodyFor(kind, 'downstream'), '/api/v1/sync-tasks/test-connection');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ ok: true, checks: expect.arrayContaining([{ name: 'credentials', ok: true, detail: expect.any(String) }, expect.objectContaining({ name: 'read_contacts', ok: true })]) });
      // A downstream task writes: its write permission is checked, and nothing in the directory changed.
      expect(res.json().checks).toContainEqual({ name: 'write_contacts', ok: true, detail: expect.any(String) });
      expect(await taskCount()).toBe(before);
    });

    /** Seeds a kind's fake through its control route; `{}` puts it back to an empty, fully permitted tenant. */
    const seedFake = async (kind: string, body: object) => {
      const res = await fetch(`${kinds.fakeOf(kind)!.url}/__fake/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect({ kind, status: res.status, body: await res.text() }).toMatchObject({ kind, status: 200 });
    };

    it.each<[string, string]>([
      ['wecom', '48002'],
      ['feishu', 'contact:contact'],
      ['dingtalk', '60011'],
    ])('fails the write check of a downstream %s task whose credentials may only read, and does not fail an upstream one on it', async (kind, named) => {
      await seedFake(kind, { contact_write: false });
      try {
        const downstream = (await post(bodyFor(kind, 'downstream'), '/api/v1/sync-tasks/test-connection')).json();
        expect(downstream.ok).toBe(false);
        const write = downstream.checks.find((c: { name: string }) => c.name === 'write_contacts');
        expect(write).toEqual({ name: 'write_contacts', ok: false, detail: expect.stringContaining(named) });
        expect(downstream.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([write]);
        const upstream = (await post(bodyFor(kind, 'upstream'), '/api/v1/sync-tasks/test-connection')).json();
        expect(upstream).toMatchObject({ ok: true });
        expect(upstream.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
      } finally {
        await seedFake(kind, {});
      }
    });

    it('fails the WeCom visibility check when the secret sees only part of the company (应用可见范围)', async () => {
      await seedFake('wecom', { department: [{ id: 1, name: 'Acme', parentid: 0 }, { id: 2, name: 'Sales', parentid: 1 }], visible_department_ids: [2] });
      try {
        const result = (await post(bodyFor('wecom', 'upstream'), '/api/v1/sync-tasks/test-connection')).json();
        expect(result.ok).toBe(false);
        expect(result.checks).toContainEqual({ name: 'visibility_scope', ok: false, detail: expect.stringMatching(/60011.*root department 1/) });
        expect(result.checks).toContainEqual(expect.objectContaining({ name: 'credentials', ok: true }));
        expect(JSON.stringify(result)).not.toContain('fake-corp-secret');
      } finally {
        await seedFake('wecom', {});
      }
    });

    it('checks the whole-company scope for WeCom and Feishu, and the write permission of a downstream WeCom task', async () => {
      const wecom = (await post(bodyFor('wecom', 'downstream'), '/api/v1/sync-tasks/test-connection')).json();
      expect(wecom.checks.map((c: { name: string }) => c.name)).toEqual(['credentials', 'visibility_scope', 'read_contacts', 'write_contacts']);
      const feishu = (await post(bodyFor('feishu', 'upstream'), '/api/v1/sync-tasks/test-connection')).json();
      expect(feishu.checks).toContainEqual({ name: 'visibility_scope', ok: true, detail: expect.stringContaining('whole company') });
    });

    it('fails the Feishu visibility check when the app does not see the whole company', async () => {
      const fake = kinds.fakeOf('feishu')!;
      const seed = (body: object) => fetch(`${fake.url}/__fake/seed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect((await seed({ departments: [{ department_id: 'sales', name: 'Sales' }], scope_department_ids: ['sales'] })).ok).toBe(true);
      try {
        const result = (await post(bodyFor('feishu'), '/api/v1/sync-tasks/test-connection')).json();
        expect(result.ok).toBe(false);
        expect(result.checks).toContainEqual({ name: 'visibility_scope', ok: false, detail: expect.stringContaining('partial_scope: the app sees departments sales') });
      } finally {
        await seed({ departments: [] });
      }
    });

    it.each<[string, string, string]>([
      ['wecom', 'corpSecret', '40001'],
      ['feishu', 'appSecret', '10014'],
      ['dingtalk', 'appSecret', '40001'],
      ['ldap', 'bindPassword', '49: bind: invalidCredentials'],
      ['scim', 'token', '401'],
      ['beisen', 'secret', 'invalid_client'],
      ['ecology', 'tokenKey', '-1: token 校验失败'],
    ])('fails the credentials check of %s with a wrong secret, carrying the vendor code and never the secret', async (kind, secretName, code) => {
      const before = await taskCount();
      const wrong = `wrong-${randomBytes(6).toString('hex')}`;
      const body = bodyFor(kind);
      const res = await post({ ...body, connector: { ...body.connector, secrets: { [secretName]: wrong } } }, '/api/v1/sync-tasks/test-connection');
      expect(res.statusCode).toBe(200);
      const result = res.json();
      expect(result.ok).toBe(false);
      expect(result.checks[0]).toEqual({ name: 'credentials', ok: false, detail: expect.stringContaining(code) });
      expect(result.checks.slice(1).every((c: { ok: boolean }) => !c.ok)).toBe(true);
      expect(res.body).not.toContain(wrong);
      expect(await taskCount()).toBe(before);
    });

    it.each(['beisen', 'moka'])('passes for the HR source %s with the credentials its fake accepts', async (kind) => {
      const res = (await post(bodyFor(kind), '/api/v1/sync-tasks/test-connection')).json();
      expect(res).toEqual({ ok: true, checks: [{ name: 'credentials', ok: true, detail: expect.any(String) }, { name: 'read_contacts', ok: true, detail: expect.any(String) }] });
    });

    it('fails the credentials check of Moka for a wrong API key (HTTP 401) and for a key pair it does not know (403), echoing neither', async () => {
      const body = bodyFor('moka');
      const wrong = `wrong-${randomBytes(6).toString('hex')}`;
      const badKey = await post({ ...body, connector: { ...body.connector, secrets: { ...body.connector.secrets, apiKey: wrong } } }, '/api/v1/sync-tasks/test-connection');
      expect(badKey.json().checks).toEqual([{ name: 'credentials', ok: false, detail: expect.stringContaining('401') }, { name: 'read_contacts', ok: false, detail: 'not checked: credentials refused' }]);
      expect(badKey.body).not.toContain(wrong);
      const otherPair = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const badPair = await post({ ...body, connector: { ...body.connector, secrets: { ...body.connector.secrets, privateKey: otherPair } } }, '/api/v1/sync-tasks/test-connection');
      expect(badPair.json().checks[0]).toEqual({ name: 'credentials', ok: false, detail: expect.stringContaining('403') });
      expect(badPair.body).not.toContain('PRIVATE KEY');
    });

    it('reads a CSV source through: a good file passes, a bad row fails the source_file check naming its line', async () => {
      const good = (await post(bodyFor('csv'), '/api/v1/sync-tasks/test-connection')).json();
      expect(good).toEqual({ ok: true, checks: [{ name: 'source_file', ok: true, detail: 'read 1 users' }] });
      const bad = (await post({ ...bodyFor('csv'), connector: { kind: 'csv', settings: { content: 'username,name\n,No Username\n' } } }, '/api/v1/sync-tasks/test-connection')).json();
      expect(bad.ok).toBe(false);
      expect(bad.checks).toEqual([{ name: 'source_file', ok: false, detail: expect.stringMatching(/line 2/) }]);
    });

    it('answers 400 naming the field for a body that would not save', async () => {
      const res = await post({ name: 'x', direction: 'upstream', connector: { kind: 'wecom', settings: {} } }, '/api/v1/sync-tasks/test-connection');
      expect(res.statusCode).toBe(400);
      expect(res.json().field).toMatch(/^connector\.(settings\.corpId|secrets\.corpSecret)$/);
    });

    it('tests a stored task with its stored secrets, reports the callback secrets of a real-time task, and is for admins and operators', async () => {
      const realtime = bodyFor('wecom', 'upstream', { triggers: { realtime: true } });
      const created = await post(realtime);
      expect(created.statusCode).toBe(201);
      const { id } = created.json();
      const res = await post(undefined, `/api/v1/sync-tasks/${id}/test-connection`, 'admin');
      expect(res.statusCode).toBe(200);
      const checks = res.json().checks;
      expect(checks.find((c: { name: string }) => c.name === 'credentials')).toMatchObject({ ok: true });
      // No callback secrets were given: the check names the missing one.
      expect(checks).toContainEqual({ name: 'callback_url', ok: false, detail: expect.stringContaining('connector.secrets.callbackToken') });
      expect(res.body).not.toContain('fake-corp-secret');
      expect((await post(undefined, `/api/v1/sync-tasks/${id}/test-connection`, 'approver')).statusCode).toBe(403);
      expect((await post(undefined, '/api/v1/sync-tasks/no-such-task/test-connection')).statusCode).toBe(404);
    });
  });

  it('answers the webhook URL of a real-time upstream task (absolute with a public URL), null for other tasks', async () => {
    const realtime = (await post(bodyFor('feishu', 'upstream', { triggers: { realtime: true } }))).json();
    expect(realtime.webhookUrl).toBe(`https://sync.example.com/api/v1/webhooks/${realtime.id}`);
    const scheduled = (await post(bodyFor('dingtalk', 'upstream'))).json();
    expect(scheduled.webhookUrl).toBeNull();
  });
});
