/**
 * Each app's quirks, against the SCIM fake started with that app's profile: GitHub EMU's required
 * roles, primary email and User-Agent, Atlassian's eq-only filters and 404 for deactivated users,
 * Zoom's OAuth token and ~1 request/s, Aliyun's 100-per-page cap, and 429 Retry-After.
 */
import type { User } from '../../engine/model';
import { vendorFailure } from '../shared/test-helpers';
import type { Connector } from '../types';
import { startScimFake, fakeScimToken, fakeZoomCredentials, type RunningScimFake } from './fake';
import { createScimConnector, type ScimSettings } from './index';
import type { ScimProfileName } from './profiles';
import { testScimConnection } from './connection-test';

jest.setTimeout(30_000);

const fakes: RunningScimFake[] = [];
afterAll(async () => {
  for (const f of fakes) await f.close();
});

async function fakeFor(profile: ScimProfileName, extra: Partial<Parameters<typeof startScimFake>[0]> = {}): Promise<RunningScimFake> {
  const fake = await startScimFake({ profile, ...extra });
  fakes.push(fake);
  return fake;
}

function connect(profile: ScimProfileName, fake: RunningScimFake, extra: Partial<ScimSettings> = {}): Connector {
  if (profile === 'zoom') {
    const { accountId, clientId, clientSecret } = fakeZoomCredentials;
    return createScimConnector({ profile, baseUrl: fake.baseUrl, tokenUrl: fake.tokenUrl, accountId, ...extra }, { clientId, clientSecret });
  }
  return createScimConnector({ profile, baseUrl: fake.baseUrl, ...extra }, { token: fakeScimToken });
}

const person = (username: string, extra: Partial<User> = {}): User => ({
  id: '',
  username,
  name: `${username} Person`,
  email: `${username}@acme.test`,
  mobile: null,
  employeeNumber: null,
  title: null,
  departmentIds: [],
  mainDepartmentId: null,
  managerId: null,
  status: 'active',
  attributes: {},
  ...extra,
});

async function users(connector: Connector) {
  const out = [];
  for await (const page of connector.readSnapshot()) out.push(...page.users);
  return out;
}

describe('github-emu', () => {
  it('creates a user with the required roles, a primary email and a User-Agent on every call', async () => {
    const fake = await fakeFor('github-emu');
    const { externalId } = await connect('github-emu', fake).apply({ action: 'CreateUser', user: person('mona') });
    expect(fake.users.get(externalId!)).toMatchObject({ roles: [{ value: 'user', primary: true }], emails: [{ value: 'mona@acme.test', primary: true }], externalId: 'mona', active: true });
    expect(fake.requests.every((r) => typeof r.headers['user-agent'] === 'string' && r.headers['user-agent'] !== '')).toBe(true);
    expect(fake.requests.every((r) => r.headers.accept === 'application/scim+json')).toBe(true);
  });

  it('refuses a user without an email before calling GitHub (it needs a primary one)', async () => {
    const fake = await fakeFor('github-emu');
    const error = await vendorFailure(connect('github-emu', fake).apply({ action: 'CreateUser', user: person('octo', { email: null }) }));
    expect(error).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_input' });
    expect(fake.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it("counts only writes against GitHub's assignment budget: reads are not held", async () => {
    const fake = await fakeFor('github-emu');
    // The profile's 1,000 writes an hour, scaled down: 2 writes per 1.5 s.
    const github = connect('github-emu', fake, { rateLimit: { limit: 2, windowMs: 1_500 } });
    let started = Date.now();
    for (let i = 0; i < 10; i++) await github.readByIds({ departmentIds: [], userIds: [`nobody-${i}`] });
    expect(Date.now() - started).toBeLessThan(1_000);
    started = Date.now();
    for (const name of ['w1', 'w2', 'w3']) await github.apply({ action: 'CreateUser', user: person(name) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
  });
});

describe('atlassian', () => {
  it('filters only with eq on userName/externalId, and a deactivated (DELETEd) user is gone from reads but keeps its name', async () => {
    const fake = await fakeFor('atlassian');
    const jira = connect('atlassian', fake);
    const ann = (await jira.apply({ action: 'CreateUser', user: person('ann') })).externalId!;
    const dept = (await jira.apply({ action: 'CreateDepartment', department: { id: '', name: 'Jira users', parentId: null, order: 0, leaderIds: [] } })).externalId!;
    await jira.apply({ action: 'UpdateUser', id: ann, changes: { departmentIds: [dept] } });
    expect(fake.requests.filter((r) => r.query.filter).every((r) => /^(userName|externalId) eq "/.test(r.query.filter))).toBe(true);
    expect((await users(jira)).find((u) => u.id === ann)?.departmentIds).toEqual([dept]);

    await jira.apply({ action: 'DeleteUser', id: ann });
    // DELETE deactivated it: the account stays (active false) yet answers 404.
    expect(fake.users.get(ann)).toMatchObject({ active: false, userName: 'ann' });
    expect(await jira.readByIds({ departmentIds: [], userIds: [ann] })).toMatchObject({ users: [], missing: { userIds: [ann] } });
    expect((await users(jira)).map((u) => u.username)).toEqual([]);
    // Deleting again (a retry) is not an error.
    await jira.apply({ action: 'DeleteUser', id: ann });
  });
});

describe('zoom', () => {
  it('fetches an OAuth token by client credentials, reuses it, and keeps to ~1 request/s per endpoint (no 429)', async () => {
    const fake = await fakeFor('zoom');
    const zoom = connect('zoom', fake);
    const started = Date.now();
    await zoom.apply({ action: 'CreateUser', user: person('zed') });
    await zoom.apply({ action: 'CreateUser', user: person('zoe') });
    const elapsed = Date.now() - started;
    const userCalls = fake.requests.filter((r) => r.path.startsWith('/Users'));
    // Two creates = 2 look-ups each + 1 POST each = 6 calls on /Users: at 1/s that takes ≥ 5 s.
    expect(userCalls).toHaveLength(6);
    expect(elapsed).toBeGreaterThanOrEqual(4_900);
    expect(fake.users.size).toBe(2);
  }, 30_000);

  it('fetches a new token once when Zoom stops accepting the cached one (401), and carries on', async () => {
    const fake = await fakeFor('zoom', { rateLimit: { limit: 100, windowMs: 1000 } });
    const zoom = connect('zoom', fake, { rateLimit: { limit: 100, windowMs: 1000 } });
    await zoom.apply({ action: 'CreateUser', user: person('zara') });
    fake.revokeTokens();
    await zoom.apply({ action: 'CreateUser', user: person('zack') });
    expect(fake.users.size).toBe(2);
  });

  it('fails credentials on a wrong client secret, without the secret in the answer', async () => {
    const fake = await fakeFor('zoom');
    const checks = await testScimConnection(
      { profile: 'zoom', baseUrl: fake.baseUrl, tokenUrl: fake.tokenUrl, accountId: fakeZoomCredentials.accountId },
      { clientId: fakeZoomCredentials.clientId, clientSecret: 'wrong-zoom-secret' },
      { direction: 'downstream', realtime: false },
    );
    expect(checks[0]).toMatchObject({ name: 'credentials', ok: false, detail: expect.stringContaining('oauth_401') });
    expect(JSON.stringify(checks)).not.toContain('wrong-zoom-secret');
  });
});

describe('aliyun-cloudsso', () => {
  it('pages through 250 users with at most 100 per page even when a larger page is asked for', async () => {
    const fake = await fakeFor('aliyun-cloudsso', { rateLimit: undefined });
    const aliyun = connect('aliyun-cloudsso', fake, { rateLimit: { limit: 10_000, windowMs: 1_000 } });
    for (let i = 0; i < 250; i++) await aliyun.apply({ action: 'CreateUser', user: person(`u${String(i).padStart(3, '0')}`) });
    fake.requests.length = 0;
    const read = await users(connect('aliyun-cloudsso', fake, { pageSize: 500 }));
    expect(new Set(read.map((u) => u.username)).size).toBe(250);
    const lists = fake.requests.filter((r) => r.path === '/Users' && !r.query.filter);
    expect(lists.map((r) => [r.query.startIndex, r.query.count])).toEqual([
      ['1', '100'],
      ['101', '100'],
      ['201', '100'],
    ]);
  }, 60_000);
});

describe('429 Retry-After', () => {
  it('is a transient error carrying the wait, and the client holds every call for that long', async () => {
    const fake = await fakeFor('generic');
    const scim = connect('generic', fake);
    await fetch(`${fake.url}/__fake/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rateLimitBurst: 1, retryAfterSeconds: 2 }) });
    const error = await vendorFailure(scim.apply({ action: 'CreateUser', user: person('rita') }));
    expect(error).toMatchObject({ kind: 'transient', vendorCode: '429', retryAfterMs: 2000 });
    const started = Date.now();
    await scim.apply({ action: 'CreateUser', user: person('rita') });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(fake.users.size).toBe(1);
  });
});
