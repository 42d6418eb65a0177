// The generic HTTP/JSON HR source against a small local HR server (./fake): each paging style over GET
// and POST, a fixed auth header and OAuth2 client credentials (token refreshed after a revocation),
// JSONata mapping under the sandbox, save-time checks of the expressions, and the host guard.
import { connectorSettingsIssues, createConnector } from '../registry';
import { allowAnyHostVariable, allowedHostsVariable } from '../shared/host-policy';
import { fakeControl, vendorFailure } from '../shared/test-helpers';
import type { Connector } from '../types';
import type { DirectoryPage } from '../../engine/model';
import { testHttpHrConnection } from './connection-test';
import { httpHrExampleMapping } from './definition';
import { httpHrFakeDefaults, startHttpHrFake, type RunningHttpHrFake } from './fake';
import { createHttpHrConnector, httpHrSettingsIssues } from './index';
import { HttpHrSettingsSchema, type HttpHrSecrets } from './settings';

let fake: RunningHttpHrFake;
let requests: { method: string; url: URL; body: string; headers: Headers }[];
let fetchSpy: jest.SpyInstance;

const employees = Array.from({ length: 7 }, (_, i) => ({
  emp_no: `E${i + 1}`,
  login: `user${i + 1}`,
  full_name: `User ${i + 1}`,
  work_email: `user${i + 1}@acme.test`,
  phone: `1380000000${i + 1}`,
  position: i === 0 ? 'CEO' : 'Engineer',
  dept_code: i < 4 ? 'ENG' : 'SALES',
  manager_emp_no: i === 0 ? null : 'E1',
  state: i === 6 ? 'TERMINATED' : 'ACTIVE',
}));
const departments = [
  { code: 'ACME', name: 'Acme', parent_code: null, sort: 0 },
  { code: 'ENG', name: 'Engineering', parent_code: 'ACME', sort: 1 },
  { code: 'SALES', name: 'Sales', parent_code: 'ACME', sort: 2 },
];

const settingsFor = (extra: Record<string, unknown> = {}) =>
  HttpHrSettingsSchema.parse({
    usersUrl: `${fake.baseUrl}/employees`,
    usersPath: 'data.items',
    departmentsUrl: `${fake.baseUrl}/departments`,
    departmentsPath: 'data.items',
    ...httpHrExampleMapping,
    ...extra,
  });
const bearer: HttpHrSecrets = { headerValue: `Bearer ${httpHrFakeDefaults.apiKey}` };
const oauth: HttpHrSecrets = { clientId: httpHrFakeDefaults.clientId, clientSecret: httpHrFakeDefaults.clientSecret };
const oauthSettings = () => ({ auth: 'oauth2-client-credentials', tokenUrl: `${fake.baseUrl}/oauth/token`, scope: 'hr.read' });

async function snapshot(c: Connector): Promise<DirectoryPage> {
  const all: DirectoryPage = { departments: [], users: [] };
  for await (const page of c.readSnapshot()) {
    all.departments.push(...page.departments);
    all.users.push(...page.users);
  }
  return all;
}

const employeeRequests = () => requests.filter((r) => r.url.pathname.endsWith('/employees'));

beforeEach(async () => {
  fake = await startHttpHrFake();
  await fakeControl(fake, 'seed', { employees, departments });
  requests = [];
  const realFetch = globalThis.fetch;
  fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (url.pathname.startsWith('/hr/')) requests.push({ method: init?.method ?? 'GET', url, body: String(init?.body ?? ''), headers: new Headers(init?.headers) });
    return realFetch(input, init);
  });
});

afterEach(async () => {
  fetchSpy.mockRestore();
  await fake.close();
});

describe('paging', () => {
  test.each([
    ['offset', 'GET', { style: 'offset', pageSize: 3 }, [{ offset: '0', limit: '3' }, { offset: '3', limit: '3' }, { offset: '6', limit: '3' }]],
    ['page number', 'GET', { style: 'page', pageSize: 3 }, [{ page: '1', pageSize: '3' }, { page: '2', pageSize: '3' }, { page: '3', pageSize: '3' }]],
    ['cursor', 'GET', { style: 'cursor', sizeParam: 'limit', nextCursorPath: 'data.next_cursor', pageSize: 3 }, [{ limit: '3' }, { limit: '3', cursor: 'c3' }, { limit: '3', cursor: 'c6' }]],
    ['offset', 'POST', { style: 'offset', pageSize: 3 }, [{ offset: 0, limit: 3 }, { offset: 3, limit: 3 }, { offset: 6, limit: 3 }]],
    ['page number', 'POST', { style: 'page', pageSize: 4 }, [{ page: 1, pageSize: 4 }, { page: 2, pageSize: 4 }]],
    ['cursor', 'POST', { style: 'cursor', sizeParam: 'limit', nextCursorPath: 'data.next_cursor', pageSize: 5 }, [{ limit: 5 }, { limit: 5, cursor: 'c5' }]],
  ])('%s paging over %s reads every record once, in order', async (_style, method, paging, expected) => {
    const c = createHttpHrConnector(settingsFor({ method, paging, ...(method === 'POST' ? { requestBody: { fields: ['all'] } } : {}) }), bearer);
    const all = await snapshot(c);
    expect(all.users.map((u) => u.id)).toEqual(employees.map((e) => e.emp_no));
    const sent = employeeRequests().map((r) => (method === 'GET' ? Object.fromEntries(r.url.searchParams) : JSON.parse(r.body)));
    expect(sent).toEqual(expected.map((params) => (method === 'POST' ? { fields: ['all'], ...params } : params)));
    expect(employeeRequests().every((r) => r.method === method)).toBe(true);
  });

  test('no paging: one request; a missing records array is named', async () => {
    const c = createHttpHrConnector(settingsFor(), bearer);
    expect((await snapshot(c)).users).toHaveLength(7);
    expect(employeeRequests()).toHaveLength(1);
    const wrongPath = await vendorFailure(snapshot(createHttpHrConnector(settingsFor({ usersPath: 'data.rows' }), bearer)));
    expect(wrongPath.message).toContain('users: the answer has no array at "data.rows"');
  });
});

describe('mapping', () => {
  test('records become canonical users and departments: ids, managers, departments, E.164 mobiles, statuses', async () => {
    const all = await snapshot(createHttpHrConnector(settingsFor({ paging: { style: 'offset', pageSize: 3 } }), bearer));
    expect(all.departments).toEqual([
      { id: 'ACME', name: 'Acme', parentId: null, order: 0, leaderIds: [] },
      { id: 'ENG', name: 'Engineering', parentId: 'ACME', order: 1, leaderIds: [] },
      { id: 'SALES', name: 'Sales', parentId: 'ACME', order: 2, leaderIds: [] },
    ]);
    expect(all.users[1]).toEqual({
      id: 'E2',
      username: 'user2',
      name: 'User 2',
      email: 'user2@acme.test',
      mobile: '+8613800000002',
      employeeNumber: 'E2',
      title: 'Engineer',
      departmentIds: ['ENG'],
      mainDepartmentId: 'ENG',
      managerId: 'E1',
      status: 'active',
      attributes: {},
    });
    expect(all.users[6].status).toBe('disabled');
  });

  test('a record that does not map fails the read naming the record and the field, never its content', async () => {
    await fakeControl(fake, 'seed', { employees: [...employees.slice(0, 4), { ...employees[4], work_email: 'not-an-email' }], departments });
    const err = await vendorFailure(snapshot(createHttpHrConnector(settingsFor({ paging: { style: 'offset', pageSize: 3 } }), bearer)));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'mapping_failed' });
    expect(err.vendorMessage).toMatch(/^connector\.settings\.userMapping: record 5: email: /);
    expect(err.message).not.toContain('not-an-email');
  });

  test('an expression that fails on a record (or echoes it through $error) reports where and the JSONata code, never the record', async () => {
    // Found in review: `$error($string($))` put a person's whole record into the connection test's answer.
    await fakeControl(fake, 'seed', { employees, departments });
    for (const mapping of ['$error($string($))', '{"id": emp_no, "username": login, "name": $substring(work_email, "x")}']) {
      const err = await vendorFailure(snapshot(createHttpHrConnector(settingsFor({ userMapping: mapping, departmentsUrl: undefined, departmentMapping: undefined }), bearer)));
      expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'mapping_failed' });
      expect(err.vendorMessage).toMatch(/^connector\.settings\.userMapping: record 1: the expression failed \(JSONata [DTS]\d{4}\)$/);
      expect(err.message).not.toContain(employees[0].work_email);
    }
  });

  test('an expression past its time budget fails in the sandbox, not on this thread', async () => {
    const spin = '($f := function($n) { $n > 0 ? $f($n - 1) + $f($n - 1) : 0 }; {"id": emp_no, "username": login, "name": $string($f(40))})';
    const started = Date.now();
    const err = await vendorFailure(snapshot(createHttpHrConnector(settingsFor({ userMapping: spin, departmentsUrl: undefined, departmentMapping: undefined }), bearer)));
    expect(err.message).toMatch(/connector\.settings\.userMapping.*(budget|exceeded)/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  test('expressions are compiled and checked on save: a syntax error, $eval and JavaScript internals are refused naming the field', () => {
    const issues = (extra: Record<string, unknown>) => httpHrSettingsIssues(settingsFor(extra));
    expect(issues({ userMapping: '{"id": ' })).toEqual([{ field: 'connector.settings.userMapping', message: expect.stringContaining('does not compile') }]);
    expect(issues({ userMapping: '$eval("1")' })[0]).toMatchObject({ field: 'connector.settings.userMapping', message: expect.stringContaining('$eval') });
    expect(issues({ departmentMapping: '$string.constructor' })[0]).toMatchObject({ field: 'connector.settings.departmentMapping', message: expect.stringContaining('constructor') });
    expect(issues({ departmentMapping: undefined })).toEqual([{ field: 'connector.settings.departmentMapping', message: 'is required with departmentsUrl' }]);
    expect(issues({ auth: 'oauth2-client-credentials' })).toEqual([{ field: 'connector.settings.tokenUrl', message: expect.stringContaining('required') }]);
    expect(issues({ requestBody: { a: 1 } })).toEqual([{ field: 'connector.settings.requestBody', message: 'is sent only with method POST' }]);
    expect(HttpHrSettingsSchema.safeParse({ ...settingsFor(), usersPath: 'data.__proto__' }).success).toBe(false);
    // The registry runs the same checks on save.
    expect(connectorSettingsIssues('http-hr', { ...settingsFor(), userMapping: '$eval("1")' })).toEqual([expect.objectContaining({ field: 'connector.settings.userMapping' })]);
  });
});

describe('authentication', () => {
  test('header mode sends the configured header with the secret value; a wrong one is a 401 without the secret', async () => {
    await snapshot(createHttpHrConnector(settingsFor(), bearer));
    expect(requests.every((r) => r.headers.get('authorization') === `Bearer ${httpHrFakeDefaults.apiKey}`)).toBe(true);
    const wrong = await vendorFailure(snapshot(createHttpHrConnector(settingsFor(), { headerValue: 'Bearer wrong-key-0123' })));
    expect(wrong).toMatchObject({ kind: 'permanent', vendorCode: 'http_401' });
    expect(wrong.message).not.toContain('wrong-key-0123');
    await snapshot(createHttpHrConnector(settingsFor({ headerName: 'X-Api-Key' }), { headerValue: 'k' })).catch(() => undefined);
    expect(requests.at(-1)!.headers.get('x-api-key')).toBe('k');
  });

  test('OAuth2 client credentials: one token for the whole read, a new one after a revocation', async () => {
    const c = createHttpHrConnector(settingsFor({ ...oauthSettings(), paging: { style: 'page', pageSize: 3 } }), oauth);
    expect((await snapshot(c)).users).toHaveLength(7);
    const tokenCalls = () => requests.filter((r) => r.url.pathname.endsWith('/oauth/token'));
    expect(tokenCalls()).toHaveLength(1);
    expect(Object.fromEntries(new URLSearchParams(tokenCalls()[0].body))).toEqual({ grant_type: 'client_credentials', client_id: oauth.clientId, client_secret: oauth.clientSecret, scope: 'hr.read' });
    const token = requests.at(-1)!.headers.get('authorization');
    expect(token).toMatch(/^Bearer .+/);
    await fakeControl(fake, 'faults', { revokeTokens: true });
    expect((await snapshot(c)).users).toHaveLength(7);
    expect(tokenCalls()).toHaveLength(2);
    expect(requests.at(-1)!.headers.get('authorization')).not.toBe(token);
  });

  test('a wrong client secret fails with the OAuth2 error code and never the secret', async () => {
    const err = await vendorFailure(snapshot(createHttpHrConnector(settingsFor(oauthSettings()), { ...oauth, clientSecret: 'wrong-secret-0123' })));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_client' });
    expect(err.message).not.toContain('wrong-secret-0123');
  });

  test('a 429 is transient with its Retry-After; a 5xx is transient', async () => {
    const c = createHttpHrConnector(settingsFor(), bearer);
    await fakeControl(fake, 'faults', { rateLimitBurst: 1 });
    expect(await vendorFailure(snapshot(c))).toMatchObject({ kind: 'transient', vendorCode: 'http_429', retryAfterMs: 1000 });
    await fakeControl(fake, 'faults', { serverErrors: 1 });
    expect(await vendorFailure(snapshot(c))).toMatchObject({ kind: 'transient', vendorCode: 'http_500' });
    expect((await snapshot(c)).users).toHaveLength(7);
  });

  test('missing secrets are refused naming them', () => {
    expect(() => createHttpHrConnector(settingsFor(), {})).toThrow('connector.secrets.headerValue');
    expect(() => createHttpHrConnector(settingsFor(oauthSettings()), { clientId: 'x' })).toThrow('connector.secrets.clientId and clientSecret');
  });

  test('the connection test checks the credentials and that the first page maps', async () => {
    expect(await testHttpHrConnection(settingsFor(oauthSettings()), oauth)).toEqual([
      { name: 'credentials', ok: true, detail: 'the employees endpoint answered (7 records on the first page)' },
      { name: 'read_contacts', ok: true, detail: 'userMapping maps the first page (7 users)' },
    ]);
    const bad = await testHttpHrConnection(settingsFor(), { headerValue: 'Bearer nope-nope' });
    expect(bad.map((c) => [c.name, c.ok, c.detail])).toEqual([
      ['credentials', false, 'http_401: HTTP 401'],
      ['read_contacts', false, 'not checked: the first page was refused'],
    ]);
  });
});

describe('untrusted URLs', () => {
  const saved = { any: process.env[allowAnyHostVariable], allowed: process.env[allowedHostsVariable] };
  afterEach(() => {
    process.env[allowAnyHostVariable] = saved.any;
    if (saved.allowed === undefined) delete process.env[allowedHostsVariable];
    else process.env[allowedHostsVariable] = saved.allowed;
  });

  test('every URL setting (records, departments, token endpoint) must name an allowed host, on save and on create; nothing is sent', async () => {
    process.env[allowAnyHostVariable] = '';
    delete process.env[allowedHostsVariable];
    const settings = { ...settingsFor(oauthSettings()), departmentsUrl: 'http://169.254.169.254/latest/meta-data' };
    expect(connectorSettingsIssues('http-hr', settings).map((i) => i.field).sort()).toEqual(['connector.settings.departmentsUrl', 'connector.settings.tokenUrl', 'connector.settings.usersUrl']);
    expect(() => createConnector('http-hr', settings, oauth, { database: undefined as never, actor: 'test' })).toThrow(/connector\.settings\.\w+Url/);
    // Allowing the fake's host lets records and token through, still not the metadata address.
    process.env[allowedHostsVariable] = new URL(fake.url).host;
    expect(connectorSettingsIssues('http-hr', settings).map((i) => i.field)).toEqual(['connector.settings.departmentsUrl']);
    const direct = await vendorFailure(snapshot(createHttpHrConnector(HttpHrSettingsSchema.parse(settings), oauth)));
    expect(direct).toMatchObject({ vendorCode: 'host_not_allowed' });
    expect(requests.filter((r) => r.url.host === '169.254.169.254')).toEqual([]);
  });
});
