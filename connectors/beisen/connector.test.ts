import type { DirectoryPage } from '../../engine/model';
import { fakeControl, vendorFailure as failure } from '../shared/test-helpers';
import type { Connector } from '../types';
import { startBeisenFake, type RunningBeisenFake } from './fake';
import { fixtureCredentials, fixtureEmployees, fixtureNow, fixtureOrganizations } from './fake/test-fixtures';
import { createBeisenConnector, type BeisenSettings } from './index';

const { tenantId, appId, secret } = fixtureCredentials;
let fake: RunningBeisenFake;
let bodies: Array<{ path: string; body: Record<string, unknown> }>;
let fetchSpy: jest.SpyInstance;

function connector(extra: Partial<BeisenSettings> = {}, now = fixtureNow): Connector {
  return createBeisenConnector({ baseUrl: fake.baseUrl, tenantId, appId, historyStart: '2025-06-01', ...extra }, { secret }, { now: () => now });
}

async function read(c: Connector) {
  const pages: DirectoryPage[] = [];
  for await (const page of c.readSnapshot()) pages.push(page);
  return { departments: pages.flatMap((p) => p.departments), users: pages.flatMap((p) => p.users) };
}

beforeEach(async () => {
  fake = await startBeisenFake({ ...fixtureCredentials, port: 0 });
  expect((await fakeControl(fake, 'seed', { organizations: fixtureOrganizations, employees: fixtureEmployees })).status).toBe(200);
  bodies = [];
  const realFetch = globalThis.fetch;
  fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const url = new URL(String(input));
    if (url.pathname.includes('GetByTimeWindow')) bodies.push({ path: url.pathname, body: JSON.parse(String(init?.body)) });
    return realFetch(input, init);
  });
});

afterEach(async () => {
  fetchSpy.mockRestore();
  await fake.close();
});

describe('Beisen connector', () => {
  it('reads the tree and maps empStatus: 试用 and 正式 in, 待入职 / 待调入 not yet, 离职 / 退休 / 调出 out; a start date still to come waits for its day', async () => {
    const { departments, users } = await read(connector());
    expect(departments).toEqual([
      { id: '10', name: 'Acme', parentId: null, order: 1, leaderIds: [] },
      { id: '11', name: 'R&D', parentId: '10', order: 2, leaderIds: [] },
      { id: '12', name: 'Platform', parentId: '11', order: 1, leaderIds: [] },
    ]);
    expect(users.map((u) => u.name).sort()).toEqual(['Ceo', 'Probation', 'Regular', 'Today']);
    expect(users.find((u) => u.id === '1001')).toEqual({
      id: '1001', username: 'E1001', name: 'Ceo', email: 'ceo@acme.test', mobile: '13800001001', employeeNumber: 'E1001', title: 'CEO',
      departmentIds: ['10'], mainDepartmentId: '10', managerId: null, status: 'active', attributes: {},
    });
    // The manager is pOIdEmpAdmin.
    expect(users.find((u) => u.id === '1010')).toMatchObject({ managerId: '1003', departmentIds: ['12'] });

    // The next day (a scheduled run), Tomorrow has started.
    const nextDay = await read(connector({}, new Date(fixtureNow.getTime() + 86_400_000)));
    expect(nextDay.users.map((u) => u.name).sort()).toEqual(['Ceo', 'Probation', 'Regular', 'Today', 'Tomorrow']);
  });

  it('walks back-to-back windows of at most 90 days from historyStart to now, scrolling pages of `capacity`', async () => {
    const { users } = await read(connector({ windowDays: 30, capacity: 2, usernameFrom: 'emailLocalPart' }));
    expect(users.map((u) => u.username).sort()).toEqual(['ceo', 'probation', 'regular', 'today']);
    const windows = bodies.filter((b) => b.path.endsWith('Employee/GetByTimeWindow') && b.body.scrollId === '');
    // 2025-06-01 .. 2026-06-15 in 30-day windows: 13 of them, each starting where the last stopped.
    expect(windows).toHaveLength(13);
    windows.slice(1).forEach((w, i) => expect(w.body.startTime).toBe(windows[i].body.stopTime));
    expect(windows[0].body).toMatchObject({ startTime: '2025-06-01T00:00:00', capacity: 2, withDisabled: true, timeWindowQueryType: '1' });
    // The May 2026 window holds six records changed then: three pages, the second and third by scrollId.
    expect(bodies.filter((b) => b.path.endsWith('Employee/GetByTimeWindow') && b.body.scrollId !== '').length).toBeGreaterThanOrEqual(2);
  });

  it('reads a window again when its scroll died between pages (a page held back past the scroll TTL), and gives up, transient, after three tries', async () => {
    await fake.close();
    fake = await startBeisenFake({ ...fixtureCredentials, port: 0, scrollTtlMs: 200 });
    await fakeControl(fake, 'seed', { organizations: fixtureOrganizations, employees: fixtureEmployees });
    const realFetch = fetchSpy.getMockImplementation()!;
    let held = 0;
    fetchSpy.mockImplementation(async (input, init) => {
      const body = String(init?.body ?? '');
      // The first continuation page waits past the TTL, as a rate-limited page would.
      if (body.includes('"scrollId":"') && !body.includes('"scrollId":""') && held++ === 0) await new Promise((resolve) => setTimeout(resolve, 300));
      return realFetch(input, init);
    });
    expect((await read(connector({ capacity: 2 }))).users).toHaveLength(4);

    fetchSpy.mockImplementation(async (input, init) => {
      const body = String(init?.body ?? '');
      if (body.includes('"scrollId":"') && !body.includes('"scrollId":""')) await new Promise((resolve) => setTimeout(resolve, 300));
      return realFetch(input, init);
    });
    const err = await failure(read(connector({ capacity: 2 })));
    expect(err).toMatchObject({ kind: 'transient', vendorCode: '417' });
    expect(err.message).toContain('the scroll expired 3 times');
  });

  it('refuses settings Beisen would refuse, naming the field', () => {
    expect(() => connector({ windowDays: 91 })).toThrow('windowDays: must be an integer from 1 to 90');
    expect(() => connector({ capacity: 301 })).toThrow('capacity: must be an integer from 1 to 300');
    expect(() => connector({ historyStart: 'last year' })).toThrow('historyStart');
  });

  it('fetches a new token once when Beisen answers 401 (expired or revoked), and refuses a wrong secret without echoing it', async () => {
    await read(connector());
    await fakeControl(fake, 'faults', { revokeTokens: true });
    expect((await read(connector())).users).toHaveLength(4);
    const wrong = createBeisenConnector({ baseUrl: fake.baseUrl, tenantId, appId }, { secret: 'not-the-secret' });
    const err = await failure(read(wrong));
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_client' });
    expect(err.message).not.toContain('not-the-secret');
  });

  it('a rate-limit answer and a 500 are transient', async () => {
    await fakeControl(fake, 'faults', { rateLimitBurst: 1 });
    // The token call is the first to hit the burst; the fake answers its 429 shape.
    expect(await failure(read(connector()))).toMatchObject({ kind: 'transient' });
    await fakeControl(fake, 'faults', { serverErrors: 1 });
    expect(await failure(read(connector()))).toMatchObject({ kind: 'transient', vendorCode: 'http_500' });
  });

  it('is read-only', async () => {
    expect(await failure(connector().apply({ action: 'DeleteUser', id: '1001' }))).toMatchObject({ vendorCode: 'invalid_input' });
  });
});
