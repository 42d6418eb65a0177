import { fakeControl, fakeState } from '../shared/test-helpers';
import type { BeisenEmployee } from './mapping';
import { employeeWindowPath, tokenPath } from './client';
import { startBeisenFake, type RunningBeisenFake } from './fake';
import { fixtureCredentials, fixtureEmployees, fixtureOrganizations } from './fake/test-fixtures';

let fake: RunningBeisenFake;

async function token(): Promise<string> {
  const { tenantId, appId, secret } = fixtureCredentials;
  const res = await fetch(`${fake.url}${tokenPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ app_id: appId, tenant_id: tenantId, secret, grant_type: 'client_credentials' }).toString(),
  });
  const body = (await res.json()) as { access_token: string; expires_in: number };
  expect([res.status, body.expires_in]).toEqual([200, 7200]);
  return body.access_token;
}

async function window(bearer: string | null, body: Record<string, unknown>) {
  const res = await fetch(`${fake.url}${employeeWindowPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { code: string; message: string; scrollId?: string; isLastData?: boolean; total?: number; data?: unknown[] } };
}

const may = { startTime: '2026-05-01T00:00:00', stopTime: '2026-05-31T00:00:00' };

beforeEach(async () => {
  fake = await startBeisenFake({ ...fixtureCredentials, port: 0, scrollTtlMs: 300 });
  await fakeControl(fake, 'seed', { organizations: fixtureOrganizations, employees: fixtureEmployees });
});
afterEach(() => fake.close());

describe('Beisen fake', () => {
  it('answers code 417 for a window over 90 days or a capacity over 300, and 401 without a valid token', async () => {
    const bearer = await token();
    expect((await window(bearer, { startTime: '2026-01-01T00:00:00', stopTime: '2026-04-02T00:00:00' })).body).toMatchObject({ code: '417' });
    expect((await window(bearer, { ...may, capacity: 301 })).body).toMatchObject({ code: '417' });
    expect((await window(null, may)).status).toBe(401);
    expect((await window('forged', may)).status).toBe(401);
  });

  it('pages by scrollId; left records only with withDisabled; a scroll left alone past its TTL is gone', async () => {
    const bearer = await token();
    const first = await window(bearer, { ...may, capacity: 2, withDisabled: true });
    expect(first.body).toMatchObject({ code: '200', isLastData: false, total: 7 });
    const second = await window(bearer, { scrollId: first.body.scrollId });
    expect(second.body).toMatchObject({ code: '200', isLastData: false });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await window(bearer, { scrollId: second.body.scrollId })).body).toMatchObject({ code: '417' });
    expect((await window(bearer, { ...may })).body.total).toBe(5); // 离职 and 退休 left out
  });

  it('refuses a wrong secret and a JSON token request the OAuth way', async () => {
    const res = await fetch(`${fake.url}${tokenPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(400);
    const wrong = await fetch(`${fake.url}${tokenPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fixtureCredentials, secret: 'x', grant_type: 'client_credentials' }).toString(),
    });
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('stamps modifiedTime only on what a seed changed, as an edit in Beisen would', async () => {
    const bare = (e: BeisenEmployee): BeisenEmployee => ({ employeeInfo: { ...e.employeeInfo, modifiedTime: undefined }, recordInfo: { ...e.recordInfo, modifiedTime: undefined } });
    const people = fixtureEmployees.slice(0, 2).map(bare);
    const stamps = async () => (await fakeState<{ employees: BeisenEmployee[] }>(fake)).employees.map((e) => [e.employeeInfo.modifiedTime, e.recordInfo.modifiedTime]);
    await fakeControl(fake, 'seed', { organizations: [], employees: people });
    const first = await stamps();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await fakeControl(fake, 'seed', { organizations: [], employees: [people[0], { ...people[1], recordInfo: { ...people[1].recordInfo, jobNumber: 'NEW' } }] });
    const second = await stamps();
    expect(second[0]).toEqual(first[0]);
    expect(second[1][0]).toBe(first[1][0]);
    expect(second[1][1]! > first[1][1]!).toBe(true);
  });
});
