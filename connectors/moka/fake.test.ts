import { randomBytes } from 'node:crypto';
import { fakeControl, fakeState } from '../shared/test-helpers';
import { departmentsPath } from './client';
import type { MokaEmployee } from './mapping';
import { fixtureEmployees } from './fake/test-fixtures';
import { mokaFakeDefaults, startMokaFake, type RunningMokaFake } from './fake';
import { parsePrivateKey, signQuery } from './signing';

let fake: RunningMokaFake;
const { entCode, apiKey, departmentsApiCode, privateKey } = mokaFakeDefaults;
const key = parsePrivateKey(privateKey)!;

async function call(query: Record<string, string>, body: unknown = { pageNum: 1, pageSize: 10 }, basic = apiKey) {
  const url = new URL(`${fake.baseUrl}${departmentsPath}`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${basic}:`).toString('base64')}` }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { code: number; msg: string; data: { total: number } | null } };
}

const signed = (over: Record<string, string> = {}) => {
  const query = { apiCode: departmentsApiCode, entCode, nonce: randomBytes(4).toString('hex'), timestamp: String(Date.now()), ...over };
  return { ...query, sign: signQuery(query, key) };
};

beforeEach(async () => {
  fake = await startMokaFake({ port: 0 });
});
afterEach(() => fake.close());

describe('Moka fake', () => {
  it('answers a signed call, and refuses a tampered query, an old timestamp, a replayed nonce, a wrong apiCode and a wrong key', async () => {
    const ok = signed();
    expect((await call(ok)).body).toMatchObject({ code: 0, data: { total: 2 } });
    expect((await call(ok)).body).toMatchObject({ code: 403, msg: 'nonce已使用' });
    const tampered = { ...signed(), entCode: 'other' };
    expect((await call(tampered)).body.code).toBe(403);
    expect((await call(signed({ timestamp: String(Date.now() - 600_000) }))).body).toMatchObject({ code: 403, msg: '请求已过期' });
    expect((await call(signed({ apiCode: 'not-this-one' }))).body).toMatchObject({ code: 403 });
    expect((await call(signed(), undefined, 'wrong')).status).toBe(401);
    const unsigned = signed();
    expect((await call({ ...unsigned, sign: signQuery({ ...unsigned, nonce: 'x' }, key) })).body).toMatchObject({ code: 403, msg: '签名验证失败' });
  });

  it('caps pageSize at 200 and answers 429 over 3 calls a second', async () => {
    expect((await call(signed(), { pageNum: 1, pageSize: 201 })).body.code).toBe(400);
    const answers = await Promise.all(Array.from({ length: 5 }, () => call(signed())));
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(1);
  });

  it('stamps update_time only on what a seed changed, as an edit in Moka would', async () => {
    const people = fixtureEmployees.slice(0, 2).map((e) => ({ ...e, update_time: undefined }));
    const stamps = async () => (await fakeState<{ employees: MokaEmployee[] }>(fake)).employees.map((e) => e.update_time);
    await fakeControl(fake, 'seed', { departments: [], employees: people });
    const first = await stamps();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await fakeControl(fake, 'seed', { departments: [], employees: [people[0], { ...people[1], name: 'Renamed' }] });
    const second = await stamps();
    expect(second[0]).toBe(first[0]);
    expect(second[1]! > first[1]!).toBe(true);
  });
});
