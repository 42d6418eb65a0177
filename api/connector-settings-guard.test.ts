// On save, a task may not point its connector at a host outside the allow-list or at a file outside
// the import directory: 400 naming the setting, nothing stored. (The request-time guards are in
// connectors/shared/egress.test.ts and connectors/csv/file-source.test.ts.)
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectorSettingsIssues } from '../connectors/registry';
import { allowAnyHostVariable, allowedHostsVariable } from '../connectors/shared/host-policy';
import { importDirVariable } from '../connectors/csv/import-dir';
import { syncTasks } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import { describeOnBothDatabases } from '../test/support/databases';
import type { TemporalControl } from './temporal-control';
import { startTestApi, type TestApi } from './testing';

const corpSecret = `corp-secret-${randomBytes(8).toString('hex')}`;
const temporal: TemporalControl = {
  ensureTask: async () => undefined,
  requestRun: async () => ({ runId: 'run-1', coalesced: false }),
  removeTask: async () => undefined,
  runProgress: async () => undefined,
  signalApproval: async () => 'signaled',
  decideApproval: async (_run, request) => ({ accepted: request.ids.length, refused: [] }),
  approvalItemsChanged: async () => undefined,
};

const wecomTask = (baseUrl: string, corpId = `ww-${randomBytes(3).toString('hex')}`) => ({
  name: `Hub to WeCom ${corpId}`,
  direction: 'downstream',
  connector: { kind: 'wecom', settings: { baseUrl, corpId }, secrets: { corpSecret } },
});
const csvTask = (path: string) => ({ name: `HR ${randomBytes(3).toString('hex')}`, direction: 'upstream', connector: { kind: 'csv', settings: { path } } });

describeOnBothDatabases('connector settings checked on save', (ctx) => {
  let api: TestApi;
  let importDir: string;
  const saved = { any: process.env[allowAnyHostVariable], hosts: process.env[allowedHostsVariable], dir: process.env[importDirVariable] };

  beforeAll(async () => {
    importDir = realpathSync(mkdtempSync(join(tmpdir(), 'imports-')));
    delete process.env[allowAnyHostVariable];
    process.env[allowedHostsVariable] = 'hr-gateway.corp.test';
    process.env[importDirVariable] = importDir;
    api = await startTestApi(ctx.database, { secretBox: createSecretBox(randomBytes(32)), temporal, connectorSettingsIssues });
  });
  afterAll(async () => {
    await api?.app.close();
    rmSync(importDir, { recursive: true, force: true });
    for (const [name, value] of [[allowAnyHostVariable, saved.any], [allowedHostsVariable, saved.hosts], [importDirVariable, saved.dir]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const post = (body: object) => api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks', payload: body });
  const storedCount = async () => (await ctx.database.db.select().from(syncTasks)).length;

  it('refuses a base URL on a host off the list (create and PATCH), accepts the vendor and operator hosts', async () => {
    const before = await storedCount();
    const refused = await post(wecomTask('http://169.254.169.254/cgi-bin'));
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: 'validation_failed', field: 'connector.settings.baseUrl', message: expect.stringContaining('host "169.254.169.254" is not allowed') });
    expect(await storedCount()).toBe(before);

    expect((await post(wecomTask('https://qyapi.weixin.qq.com/cgi-bin'))).statusCode).toBe(201);
    const task = (await post(wecomTask('https://hr-gateway.corp.test/cgi-bin'))).json();
    expect(task.id).toEqual(expect.any(String));

    const patched = await api.as('operator', {
      method: 'PATCH',
      url: `/api/v1/sync-tasks/${task.id}`,
      payload: { connector: { kind: 'wecom', settings: { baseUrl: 'http://attacker.test/cgi-bin', corpId: task.config.connector.settings.corpId }, secrets: { corpSecret } } },
    });
    expect(patched.statusCode).toBe(400);
    expect(patched.json()).toMatchObject({ field: 'connector.settings.baseUrl' });
    const after = (await api.as('operator', { method: 'GET', url: `/api/v1/sync-tasks/${task.id}` })).json();
    expect(after.config.connector.settings.baseUrl).toBe('https://hr-gateway.corp.test/cgi-bin');
  });

  it('refuses a CSV path outside the import directory, accepts one inside (even before the file exists)', async () => {
    for (const path of ['/etc/passwd', '../../etc/passwd', join(importDir, '..', 'x.csv')]) {
      const res = await post(csvTask(path));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ field: 'connector.settings.path', message: expect.stringContaining('inside the import directory') });
    }
    expect((await post(csvTask(join(importDir, 'hr.csv')))).statusCode).toBe(201);
  });

  it('refuses a connection test to a host off the list with 400 naming the setting, and sends nothing: a body, and a task saved before the list changed', async () => {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"errcode":0,"errmsg":"ok","access_token":"t","expires_in":7200}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const body = wecomTask(`http://${host}/cgi-bin`);
      const refused = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks/test-connection', payload: body });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ error: 'validation_failed', field: 'connector.settings.baseUrl', message: expect.stringContaining(`host "${host}" is not allowed`) });

      process.env[allowedHostsVariable] = `hr-gateway.corp.test,${host}`;
      const task = (await post(body)).json();
      expect(task.id).toEqual(expect.any(String));
      process.env[allowedHostsVariable] = 'hr-gateway.corp.test';
      const stored = await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${task.id}/test-connection` });
      expect(stored.statusCode).toBe(400);
      expect(stored.json()).toMatchObject({ error: 'validation_failed', field: 'connector.settings.baseUrl' });
      expect(stored.body).not.toContain(corpSecret);
      expect(requests).toEqual([]);
    } finally {
      process.env[allowedHostsVariable] = 'hr-gateway.corp.test';
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const hrTask = (settings: Record<string, unknown>) => ({
    name: `HR export ${randomBytes(3).toString('hex')}`,
    direction: 'upstream',
    connector: { kind: 'http-hr', settings: { usersUrl: 'https://hr-gateway.corp.test/api/employees', userMapping: '{"id": id, "username": login, "name": name}', ...settings }, secrets: { headerValue: 'Bearer k' } },
  });

  it('refuses an HTTP HR source whose URLs leave the list or whose JSONata mapping fails the sandbox rules, naming the setting', async () => {
    const before = await storedCount();
    for (const [settings, field, message] of [
      [{ usersUrl: 'http://169.254.169.254/latest/meta-data' }, 'connector.settings.usersUrl', 'is not allowed'],
      [{ departmentsUrl: 'http://10.0.0.1/departments', departmentMapping: '{"id": id, "name": name}' }, 'connector.settings.departmentsUrl', 'is not allowed'],
      [{ auth: 'oauth2-client-credentials', tokenUrl: 'http://metadata.internal/token' }, 'connector.settings.tokenUrl', 'is not allowed'],
      [{ userMapping: '$eval(payload)' }, 'connector.settings.userMapping', '$eval'],
      [{ userMapping: '{"id": ' }, 'connector.settings.userMapping', 'does not compile'],
      [{ userMapping: '$string.constructor' }, 'connector.settings.userMapping', 'constructor'],
    ] as const) {
      const res = await post(hrTask(settings));
      expect({ settings, status: res.statusCode, body: res.json() }).toMatchObject({ settings, status: 400, body: { error: 'validation_failed', field, message: expect.stringContaining(message) } });
    }
    expect(await storedCount()).toBe(before);
    expect((await post(hrTask({}))).statusCode).toBe(201);
  });
});
