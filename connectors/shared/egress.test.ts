// What a connector sends out and reads in when a task author aims its base URL somewhere hostile:
// no redirect is followed, no raw body reaches an error, and a host off the allow-list gets nothing.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DingtalkClient } from '../dingtalk/client';
import { ConnectorSettingsError, createConnector } from '../registry';
import { VendorError } from '../errors';
import { FeishuClient } from '../feishu/client';
import { createWecomConnector } from '../wecom';
import { WecomClient } from '../wecom/client';
import { wecomDocumentedHosts } from '../wecom/hosts';
import { allowAnyHostVariable, allowedHostsVariable, hostRefusal } from './host-policy';
import { vendorFailure } from './test-helpers';

interface RecordingServer {
  base: string;
  host: string;
  hits: string[];
  close(): Promise<void>;
}

async function startServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<RecordingServer> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base: `http://${host}`,
    host,
    hits,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const internalPage = 'INTERNAL-ADMIN-PAGE db_password=hunter2';
const corpSecret = 'corp-secret-for-egress-tests';

let internal: RecordingServer;
let redirecting: RecordingServer;
let odd: RecordingServer;

beforeAll(async () => {
  // Stands for a private address (metadata service, admin console) the author wants to read.
  internal = await startServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errcode: 0, errmsg: internalPage, access_token: 'x' })));
  redirecting = await startServer((req, res) => {
    res.writeHead(302, { location: `${internal.base}/latest/meta-data${req.url}`, 'content-type': 'text/html' }).end(`<a href="${internal.base}">moved</a>`);
  });
  odd = await startServer((req, res) => {
    if (req.url?.startsWith('/cgi-bin/gettoken')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errcode: 0, errmsg: 'ok', access_token: 'tok', expires_in: 7200 }));
    } else if (req.url?.startsWith('/cgi-bin/user/create')) {
      res.writeHead(502, { 'content-type': 'text/html; charset=utf-8' }).end(`<html><body>${internalPage}</body></html>`);
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<html><body>${internalPage}</body></html>`);
    }
  });
});

afterAll(async () => {
  await Promise.all([internal, redirecting, odd].map((s) => s?.close()));
});

beforeEach(() => {
  internal.hits.length = 0;
});

function expectNoLeak(err: VendorError) {
  for (const text of [err.message, err.vendorMessage, err.vendorCode]) {
    expect(text).not.toContain('INTERNAL-ADMIN-PAGE');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('meta-data');
    expect(text).not.toContain(internal.host);
    expect(text).not.toContain(corpSecret);
  }
}

describe('redirects', () => {
  it('a 302 to a private address is not followed: a permanent error naming the status, without Location or body', async () => {
    const client = new WecomClient({ baseUrl: `${redirecting.base}/cgi-bin`, corpId: 'ww1', corpSecret });
    const err = await vendorFailure(client.get('/department/list'));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'http_302' });
    expect(err.vendorMessage).toMatch(/redirect/);
    expectNoLeak(err);
    expect(internal.hits).toEqual([]);
    expect(redirecting.hits).toHaveLength(1);
  });

  it('holds for the Feishu and DingTalk clients too', async () => {
    const feishu = new FeishuClient({ baseUrl: `${redirecting.base}/open-apis`, appId: 'cli_1', appSecret: corpSecret });
    const dingtalk = new DingtalkClient({ oapiBaseUrl: redirecting.base, apiBaseUrl: redirecting.base, appKey: 'k', appSecret: corpSecret });
    for (const call of [feishu.request('GET', '/contact/v3/departments/0'), dingtalk.post('/topapi/v2/department/get', { dept_id: 1 }), dingtalk.apiAccessToken()]) {
      const err = await vendorFailure(call);
      expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'http_302' });
      expectNoLeak(err);
    }
    expect(internal.hits).toEqual([]);
  });
});

describe('odd answers', () => {
  it('an HTML body (200 or 502) never reaches the error a run item stores', async () => {
    const connector = createWecomConnector({ baseUrl: `${odd.base}/cgi-bin`, corpId: 'ww1' }, { corpSecret });
    // user/create answers 502 with HTML; department/list answers 200 with HTML.
    const created = await vendorFailure(connector.apply({ action: 'CreateUser', user: { id: 'u1', username: 'u1', name: 'U', email: 'u@x.test', mobile: null, employeeNumber: null, title: null, departmentIds: ['1'], mainDepartmentId: '1', managerId: null, status: 'active', attributes: {} } }));
    expect(created).toMatchObject({ kind: 'transient', vendorCode: 'http_502' });
    expect(created.vendorMessage).toMatch(/text\/html, \d+ bytes/);
    expectNoLeak(created);
    const read = await vendorFailure(connector.apply({ action: 'DeleteDepartment', id: '2' }));
    expect(read).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_response' });
    expect(read.vendorMessage).toMatch(/not JSON/);
    expectNoLeak(read);
  });

  it('a content type is reported only by its shape, so a hostile header carries nothing', async () => {
    const sneaky = await startServer((_req, res) => res.writeHead(200, { 'content-type': `text/plain; x=${internalPage.replace(/ /g, '_')}` }).end('nope'));
    try {
      const err = await vendorFailure(new WecomClient({ baseUrl: sneaky.base, corpId: 'ww1', corpSecret }).get('/x'));
      expect(err.vendorMessage).toContain('text/plain, 4 bytes');
      expectNoLeak(err);
    } finally {
      await sneaky.close();
    }
  });
});

describe('host allow-list', () => {
  const saved = { any: process.env[allowAnyHostVariable], hosts: process.env[allowedHostsVariable] };
  beforeEach(() => {
    delete process.env[allowAnyHostVariable];
    delete process.env[allowedHostsVariable];
  });
  afterEach(() => {
    for (const [name, value] of [[allowAnyHostVariable, saved.any], [allowedHostsVariable, saved.hosts]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('a host outside the vendor list gets no request at all, so the secret never leaves', async () => {
    const wecom = new WecomClient({ baseUrl: `${internal.base}/cgi-bin`, corpId: 'ww1', corpSecret });
    const feishu = new FeishuClient({ baseUrl: `${internal.base}/open-apis`, appId: 'cli_1', appSecret: corpSecret });
    const dingtalk = new DingtalkClient({ oapiBaseUrl: internal.base, apiBaseUrl: internal.base, appKey: 'k', appSecret: corpSecret });
    for (const call of [wecom.get('/department/list'), feishu.request('GET', '/contact/v3/departments/0'), dingtalk.post('/topapi/v2/department/get', { dept_id: 1 }), dingtalk.apiAccessToken()]) {
      const err = await vendorFailure(call);
      expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'host_not_allowed' });
      expect(err.vendorMessage).toContain(`host "${internal.host}" is not allowed`);
      expect(err.vendorMessage).toContain(allowedHostsVariable);
      expect(err.message).not.toContain(corpSecret);
    }
    expect(internal.hits).toEqual([]);
  });

  it('the operator list lets a private host through, by name or name:port; SYNC_CENTER_ALLOW_ANY_HOST=1 lifts the rule', async () => {
    const wecom = () => new WecomClient({ baseUrl: `${internal.base}/cgi-bin`, corpId: 'ww1', corpSecret });
    process.env[allowedHostsVariable] = `hr.internal, ${internal.host}`;
    await expect(wecom().get('/department/list')).resolves.toMatchObject({ errcode: 0 });
    process.env[allowedHostsVariable] = '127.0.0.1:1';
    await expect(vendorFailure(wecom().get('/department/list'))).resolves.toMatchObject({ vendorCode: 'host_not_allowed' });
    process.env[allowAnyHostVariable] = '1';
    await expect(wecom().get('/department/list')).resolves.toMatchObject({ errcode: 0 });
  });

  it('a task whose saved base URL is no longer allowed fails when its connector is built, naming the setting', async () => {
    const deps = { database: undefined as never, actor: 'sync:test' };
    expect(() => createConnector('wecom', { baseUrl: `${internal.base}/cgi-bin`, corpId: 'ww1' }, { corpSecret }, deps)).toThrow(
      new ConnectorSettingsError('connector.settings.baseUrl', hostRefusal(`${internal.base}/cgi-bin`, wecomDocumentedHosts)!),
    );
    expect(() => createConnector('dingtalk', { oapiBaseUrl: 'https://oapi.dingtalk.com', apiBaseUrl: internal.base, appKey: 'k' }, { appSecret: corpSecret }, deps)).toThrow(
      /^connector\.settings\.apiBaseUrl: host "127\.0\.0\.1:\d+" is not allowed/,
    );
    expect(() => createConnector('feishu', { baseUrl: 'https://open.larksuite.com/open-apis', appId: 'cli_1' }, { appSecret: corpSecret }, deps)).not.toThrow();
    expect(internal.hits).toEqual([]);
  });

  it('documented vendor hosts pass without configuration', () => {
    expect(hostRefusal('https://qyapi.weixin.qq.com/cgi-bin/gettoken', ['qyapi.weixin.qq.com'], {})).toBeUndefined();
    expect(hostRefusal('https://QYAPI.weixin.qq.com/x', ['qyapi.weixin.qq.com'], {})).toBeUndefined();
    expect(hostRefusal('https://qyapi.weixin.qq.com.evil.test/x', ['qyapi.weixin.qq.com'], {})).toMatch(/not allowed/);
    expect(hostRefusal('https://user@evil.test/x', ['qyapi.weixin.qq.com'], {})).toMatch(/"evil\.test" is not allowed/);
  });
});
