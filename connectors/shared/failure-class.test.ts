// The failure class a run records comes from the connectors' typed errors: each client's credential
// refusal (against its fake, whose envelopes and codes are the vendor's) throws a VendorError whose
// class is the one the vendor-call metrics count, auth_failed, and so fails a run as "auth"; other
// refusals are "vendor", answers that are no answer "network", a host not allowed "config".
import { vendorFailureDetails } from '../../activities/vendor-failure';
import { BeisenClient, employeeWindowPath } from '../beisen/client';
import { beisenFakeDefaults, startBeisenFake } from '../beisen/fake';
import { DingtalkClient } from '../dingtalk/client';
import { startDingtalkFake } from '../dingtalk/fake';
import { EcologyClient } from '../ecology/client';
import { ecologyFakeDefaults, startEcologyFake } from '../ecology/fake';
import { VendorError, vendorErrorResult } from '../errors';
import { FeishuClient } from '../feishu/client';
import { startFeishuFake } from '../feishu/fake';
import { MokaClient, departmentsPath } from '../moka/client';
import { mokaFakeDefaults, startMokaFake } from '../moka/fake';
import { WecomClient } from '../wecom/client';
import { startWecomFake } from '../wecom/fake';
import { allowAnyHostVariable } from './host-policy';
import { requestJson } from './http';

async function classOf(call: () => Promise<unknown>): Promise<string> {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof VendorError)) throw new Error(`expected a VendorError, got ${String(error)}`);
  return vendorFailureDetails(error).failureClass;
}

test('every HTTP connector\'s credential refusal is an auth failure; a record refusal is a vendor one', async () => {
  const [wecom, feishu, dingtalk, beisen, moka, ecology] = await Promise.all([
    startWecomFake({ port: 0 }),
    startFeishuFake({ port: 0 }),
    startDingtalkFake({ port: 0 }),
    startBeisenFake({ port: 0 }),
    startMokaFake({ port: 0 }),
    startEcologyFake({ port: 0 }),
  ]);
  try {
    const wecomWith = (corpSecret: string) => new WecomClient({ baseUrl: wecom.baseUrl, corpId: 'ww0000000000000001', corpSecret });
    expect(await classOf(() => wecomWith('not-the-secret').get('/department/list'))).toBe('auth');
    expect(await classOf(() => wecomWith('fake-corp-secret').get('/user/get', { userid: 'nobody' }))).toBe('vendor');

    const feishuWith = (appSecret: string) => new FeishuClient({ baseUrl: feishu.baseUrl, appId: 'cli_fake0000000001', appSecret });
    expect(await classOf(() => feishuWith('wrong').request('GET', '/contact/v3/users/ou_nobody'))).toBe('auth');
    expect(await classOf(() => feishuWith('fake-app-secret').request('GET', '/contact/v3/users/ou_nobody'))).toBe('vendor');

    const dingtalkWith = (appSecret: string) => new DingtalkClient({ oapiBaseUrl: dingtalk.oapiBaseUrl, apiBaseUrl: dingtalk.apiBaseUrl, appKey: 'dingfakeappkey0001', appSecret });
    expect(await classOf(() => dingtalkWith('wrong').post('/topapi/v2/user/get', { userid: 'nobody' }))).toBe('auth');
    expect(await classOf(() => dingtalkWith('wrong').apiAccessToken())).toBe('auth');
    expect(await classOf(() => dingtalkWith('fake-app-secret').post('/topapi/v2/user/get', { userid: 'nobody' }))).toBe('vendor');

    const window = { startTime: '2026-01-01T00:00:00', stopTime: '2026-01-02T00:00:00' };
    expect(await classOf(() => new BeisenClient({ baseUrl: beisen.baseUrl, ...beisenFakeDefaults, secret: 'wrong' }).scrollWindow(employeeWindowPath, window))).toBe('auth');

    const mokaOptions = { baseUrl: moka.baseUrl, entCode: 'other-ent', apiKey: mokaFakeDefaults.apiKey, privateKey: mokaFakeDefaults.privateKey };
    expect(await classOf(() => new MokaClient(mokaOptions).post(departmentsPath, mokaFakeDefaults.departmentsApiCode, {}))).toBe('auth');

    expect(await classOf(() => new EcologyClient({ baseUrl: ecology.baseUrl, auth: 'token', tokenKey: 'not-the-key' }).readAll('getHrmdepartmentWithPage', 10).next())).toBe('auth');
    expect(ecologyFakeDefaults.tokenKey).not.toBe('not-the-key');
  } finally {
    await Promise.all([wecom.close(), feishu.close(), dingtalk.close(), beisen.close(), moka.close(), ecology.close()]);
  }
});

test('no answer is a network failure, a host outside the allow-list a config one; the texts play no part', async () => {
  // a closed port: nothing listens on port 9 of the loopback
  expect(await classOf(() => requestJson({ method: 'GET', url: 'http://127.0.0.1:9/x', allowedHosts: ['127.0.0.1'], timeoutMs: 2000 }))).toBe('network');
  const previous = process.env[allowAnyHostVariable];
  delete process.env[allowAnyHostVariable];
  try {
    expect(await classOf(() => requestJson({ method: 'GET', url: 'http://internal.example.test/token?credential=1', allowedHosts: ['qyapi.weixin.qq.com'] }))).toBe('config');
  } finally {
    process.env[allowAnyHostVariable] = previous;
  }
  // The class is the code's, whatever the message says.
  expect(vendorErrorResult(new VendorError('permanent', '60111', 'invalid credential token'))).toBe('refused');
  expect(vendorErrorResult(new VendorError('permanent', 'http_401', 'please try again'))).toBe('auth_failed');
  expect(vendorFailureDetails(new VendorError('permanent', 'invalid_input', 'mobile: not a number')).failureClass).toBe('config');
});
