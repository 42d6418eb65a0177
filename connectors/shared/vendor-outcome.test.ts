// A vendor's refusal inside an HTTP 200 envelope is counted (and traced) as the vendor's verdict, not
// as "ok": each connector's client against its fake, whose envelopes and codes are the vendor's.
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracing } from '../../telemetry/otel';
import { apiLabel, vendorRequests } from '../../telemetry/metrics';
import { DingtalkClient } from '../dingtalk/client';
import { startDingtalkFake, type RunningDingtalkFake } from '../dingtalk/fake';
import { FeishuClient } from '../feishu/client';
import { startFeishuFake, type RunningFeishuFake } from '../feishu/fake';
import { WecomClient } from '../wecom/client';
import { startWecomFake, type RunningWecomFake } from '../wecom/fake';
import { BeisenClient, employeeWindowPath } from '../beisen/client';
import { beisenFakeDefaults, startBeisenFake } from '../beisen/fake';
import { EcologyClient } from '../ecology/client';
import { ecologyFakeDefaults, startEcologyFake } from '../ecology/fake';
import { MokaClient, departmentsPath } from '../moka/client';
import { mokaFakeDefaults, startMokaFake } from '../moka/fake';
import { classifyVendorCode, vendorResultOfStatus } from './http';

const exporter = new InMemorySpanExporter();
startTracing({ exporter });

let wecom: RunningWecomFake;
let feishu: RunningFeishuFake;
let dingtalk: RunningDingtalkFake;
beforeAll(async () => {
  [wecom, feishu, dingtalk] = await Promise.all([startWecomFake({ port: 0 }), startFeishuFake({ port: 0 }), startDingtalkFake({ port: 0 })]);
});
afterAll(async () => {
  await Promise.all([wecom.close(), feishu.close(), dingtalk.close()]);
});
beforeEach(() => exporter.reset());

async function count(labels: { connector: string; api: string; result: string }): Promise<number> {
  const metric = await vendorRequests.get();
  return metric.values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k as keyof typeof v.labels] === want))?.value ?? 0;
}

/** What one call adds to the counter for each result class of that API. */
async function resultsOf(connector: string, api: string, call: () => Promise<unknown>): Promise<Record<string, number>> {
  const classes = ['ok', 'refused', 'rate_limited', 'auth_failed', 'transport_error', 'blocked'];
  const before = await Promise.all(classes.map((result) => count({ connector, api, result })));
  await call().catch(() => undefined);
  const after = await Promise.all(classes.map((result) => count({ connector, api, result })));
  return Object.fromEntries(classes.map((c, i) => [c, after[i] - before[i]]).filter(([, d]) => d !== 0));
}

/** the latest span of that API */
function spanOf(api: string) {
  const span = [...exporter.getFinishedSpans()].reverse().find((s) => s.name.endsWith(` ${api}`));
  if (!span) throw new Error(`no span for ${api}: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
  return span;
}

test('WeCom: errcode 60111 in an HTTP 200 is refused, a wrong secret is auth_failed, errcode 0 is ok', async () => {
  const client = new WecomClient({ baseUrl: wecom.baseUrl, corpId: 'ww0000000000000001', corpSecret: 'fake-corp-secret' });
  expect(await resultsOf('wecom', '/cgi-bin/department/list', () => client.get('/department/list'))).toEqual({ ok: 1 });
  expect(await resultsOf('wecom', '/cgi-bin/user/get', () => client.get('/user/get', { userid: 'nobody' }))).toEqual({ refused: 1 });
  const span = spanOf('/cgi-bin/user/get');
  expect(span.status.code).toBe(SpanStatusCode.ERROR);
  expect(span.attributes).toMatchObject({ 'sync_center.vendor_result': 'refused', 'sync_center.vendor_code': '60111', 'http.response.status_code': 200 });

  const wrong = new WecomClient({ baseUrl: wecom.baseUrl, corpId: 'ww0000000000000001', corpSecret: 'not-the-secret' });
  expect(await resultsOf('wecom', '/cgi-bin/gettoken', () => wrong.get('/department/list'))).toEqual({ auth_failed: 1 });
});

test('Feishu: a code other than 0 is refused, a wrong app secret is auth_failed', async () => {
  const client = new FeishuClient({ baseUrl: feishu.baseUrl, appId: 'cli_fake0000000001', appSecret: 'fake-app-secret' });
  expect(await resultsOf('feishu', '/open-apis/contact/v3/users/:id', () => client.request('GET', '/contact/v3/users/ou_nobody'))).toEqual({ refused: 1 });
  expect(spanOf('/open-apis/contact/v3/users/:id').status.code).toBe(SpanStatusCode.ERROR);
  const wrong = new FeishuClient({ baseUrl: feishu.baseUrl, appId: 'cli_fake0000000001', appSecret: 'wrong' });
  expect(await resultsOf('feishu', '/open-apis/auth/v3/tenant_access_token/internal', () => wrong.request('GET', '/contact/v3/users/ou_nobody'))).toEqual({ auth_failed: 1 });
});

test('DingTalk: an errcode other than 0 is refused, a wrong appsecret is auth_failed, on both token endpoints', async () => {
  const client = new DingtalkClient({ oapiBaseUrl: dingtalk.oapiBaseUrl, apiBaseUrl: dingtalk.apiBaseUrl, appKey: 'dingfakeappkey0001', appSecret: 'fake-app-secret' });
  expect(await resultsOf('dingtalk', '/topapi/v2/user/get', () => client.post('/topapi/v2/user/get', { userid: 'nobody' }))).toEqual({ refused: 1 });
  expect(spanOf('/topapi/v2/user/get').attributes['sync_center.vendor_result']).toBe('refused');
  const wrong = new DingtalkClient({ oapiBaseUrl: dingtalk.oapiBaseUrl, apiBaseUrl: dingtalk.apiBaseUrl, appKey: 'dingfakeappkey0001', appSecret: 'wrong' });
  expect(await resultsOf('dingtalk', '/gettoken', () => wrong.post('/topapi/v2/user/get', { userid: 'nobody' }))).toEqual({ auth_failed: 1 });
  expect(await resultsOf('dingtalk', '/v1.0/oauth2/accessToken', () => wrong.apiAccessToken())).toEqual({ auth_failed: 1 });
});

test('Beisen, Moka and e-cology: a refused credential in their envelope (or OAuth error) is auth_failed, a good call ok', async () => {
  const [beisen, moka, ecology] = await Promise.all([startBeisenFake({ port: 0 }), startMokaFake({ port: 0 }), startEcologyFake({ port: 0 })]);
  try {
    const window = { startTime: '2026-01-01T00:00:00', stopTime: '2026-01-02T00:00:00' };
    const goodBeisen = new BeisenClient({ baseUrl: beisen.baseUrl, ...beisenFakeDefaults });
    expect(await resultsOf('beisen', employeeWindowPath, () => goodBeisen.scrollWindow(employeeWindowPath, window))).toMatchObject({ ok: expect.any(Number) });
    const wrongBeisen = new BeisenClient({ baseUrl: beisen.baseUrl, ...beisenFakeDefaults, secret: 'wrong' });
    expect(await resultsOf('beisen', '/OAuth/Token', () => wrongBeisen.scrollWindow(employeeWindowPath, window))).toEqual({ auth_failed: 1 });

    const mokaApi = apiLabel(new URL(`${moka.baseUrl}${departmentsPath}`).pathname);
    const mokaOptions = { baseUrl: moka.baseUrl, entCode: mokaFakeDefaults.entCode, apiKey: mokaFakeDefaults.apiKey, privateKey: mokaFakeDefaults.privateKey };
    expect(await resultsOf('moka', mokaApi, () => new MokaClient(mokaOptions).post(departmentsPath, mokaFakeDefaults.departmentsApiCode, { pageNum: 1, pageSize: 10 }))).toEqual({ ok: 1 });
    // a wrong tenant code: HTTP 200 with code 403
    expect(await resultsOf('moka', mokaApi, () => new MokaClient({ ...mokaOptions, entCode: 'other-ent' }).post(departmentsPath, mokaFakeDefaults.departmentsApiCode, {}))).toEqual({ auth_failed: 1 });
    expect(spanOf(mokaApi).attributes).toMatchObject({ 'sync_center.vendor_result': 'auth_failed', 'sync_center.vendor_code': '403', 'http.response.status_code': 200 });

    const api = apiLabel(new URL(`${ecology.baseUrl}/api/hrm/resful/getHrmdepartmentWithPage`).pathname);
    const good = new EcologyClient({ baseUrl: ecology.baseUrl, auth: 'token', tokenKey: ecologyFakeDefaults.tokenKey });
    expect(await resultsOf('ecology', api, () => good.readAll('getHrmdepartmentWithPage', 10).next())).toEqual({ ok: 1 });
    const wrong = new EcologyClient({ baseUrl: ecology.baseUrl, auth: 'token', tokenKey: 'not-the-key' });
    expect(await resultsOf('ecology', api, () => wrong.readAll('getHrmdepartmentWithPage', 10).next())).toEqual({ auth_failed: 1 });
  } finally {
    await Promise.all([beisen.close(), moka.close(), ecology.close()]);
  }
});

test('result classes are a fixed set, whatever the code', () => {
  expect(classifyVendorCode(45009, { ok: 0, rateLimited: new Set([45009]) })).toEqual({ result: 'rate_limited', code: '45009' });
  expect(classifyVendorCode('42001', { ok: 0, authFailed: new Set([42001]) })).toEqual({ result: 'auth_failed', code: '42001' });
  expect(classifyVendorCode(123456789, { ok: 0 })).toEqual({ result: 'refused', code: '123456789' });
  expect(classifyVendorCode(undefined, { ok: 0 })).toBeUndefined();
  expect([200, 204, 400, 401, 403, 404, 409, 429].map(vendorResultOfStatus)).toEqual(['ok', 'ok', 'refused', 'auth_failed', 'auth_failed', 'refused', 'refused', 'rate_limited']);
});
