// Beisen incremental reads: what changed since a watermark, by the same time windows as a full read.
import { fakeControl, spyVendorCalls, vendorFailure as failure, type VendorCallSpy } from '../shared/test-helpers';
import type { Connector } from '../types';
import { startBeisenFake, type RunningBeisenFake } from './fake';
import { fixtureCredentials, fixtureEmployees, fixtureNow, fixtureOrganizations } from './fake/test-fixtures';
import type { BeisenEmployee, BeisenOrganization } from './mapping';
import { createBeisenConnector, type BeisenSettings } from './index';

const { tenantId, appId, secret } = fixtureCredentials;
const hourMs = 3_600_000;
const employeePath = '/TenantBaseExternal/api/v5/Employee/GetByTimeWindow';
let fake: RunningBeisenFake;
let vendor: VendorCallSpy;

function connector(now: Date, extra: Partial<BeisenSettings> = {}): Required<Pick<Connector, 'changeWatermark' | 'readChangesSince'>> & Connector {
  return createBeisenConnector({ baseUrl: fake.baseUrl, tenantId, appId, historyStart: '2025-06-01', ...extra }, { secret }, { now: () => now }) as never;
}

const seed = (organizations: BeisenOrganization[], employees: BeisenEmployee[]) => fakeControl(fake, 'seed', { organizations, employees });
const employeeCalls = () => vendor.bodies.filter((b) => b.path === employeePath);
const edited = (id: number, changes: Partial<BeisenEmployee['recordInfo']>, modifiedTime: string) =>
  fixtureEmployees.map((e) => (e.employeeInfo.userID === id ? { employeeInfo: { ...e.employeeInfo, modifiedTime }, recordInfo: { ...e.recordInfo, ...changes, modifiedTime } } : e));

beforeEach(async () => {
  fake = await startBeisenFake({ ...fixtureCredentials, port: 0 });
  expect((await seed(fixtureOrganizations, fixtureEmployees)).status).toBe(200);
  vendor = spyVendorCalls((path) => path.includes('GetByTimeWindow'), (path) => path === employeePath);
});

afterEach(async () => {
  vendor.restore();
  await fake.close();
});

describe('Beisen incremental reads', () => {
  it('the watermark is the time taken before the full read, with the people still to start; the readSnapshot after it reads nothing again', async () => {
    const c = connector(fixtureNow);
    const watermark = await c.changeWatermark();
    expect(JSON.parse(watermark)).toEqual({ since: '2026-06-15T10:00:00', starts: [{ id: '1009', day: '2026-06-16', changed: '2026-05-01T09:00:00' }] });
    const calls = vendor.bodies.length;
    const users = [];
    for await (const page of c.readSnapshot()) users.push(...page.users);
    expect(users.map((u) => u.name).sort()).toEqual(['Ceo', 'Probation', 'Regular', 'Today']);
    expect(vendor.bodies.length).toBe(calls);
    // A second readSnapshot of the same connector reads again.
    for await (const page of c.readSnapshot()) void page;
    expect(vendor.bodies.length).toBeGreaterThan(calls);
  });

  it('lists the employees and organisations changed since the watermark, reading employees only in the windows since it', async () => {
    const watermark = await connector(fixtureNow).changeWatermark();
    // Three hours later: Regular is moved to a new team, a new hire joins it reporting to the CEO, Probation leaves.
    const organizations = [...fixtureOrganizations, { oId: 14, name: 'Data', pOIdOrgAdmin: 11, status: 1, orderAdmin: 3, modifiedTime: '2026-06-15T11:30:00' }];
    const hire: BeisenEmployee = {
      employeeInfo: { userID: 1011, name: 'Newbie', email: 'newbie@acme.test', mobilePhone: '13800001011', modifiedTime: '2026-06-15T12:00:00' },
      recordInfo: { userID: 1011, oIdDepartment: 14, pOIdEmpAdmin: 1001, jobNumber: 'E1011', entryDate: '2026-06-15T00:00:00', employeeStatus: '2', modifiedTime: '2026-06-15T12:00:00' },
    };
    let employees = edited(1003, { oIdDepartment: 14 }, '2026-06-15T11:00:00');
    employees = [...employees.map((e) => (e.employeeInfo.userID === 1002 ? edited(1002, { employeeStatus: '8' }, '2026-06-15T11:15:00').find((x) => x.employeeInfo.userID === 1002)! : e)), hire];
    await seed(organizations, employees);
    vendor.bodies = [];

    const later = connector(new Date(fixtureNow.getTime() + 3 * hourMs));
    const changes = await later.readChangesSince(watermark);
    expect(changes.changedIds.sort()).toEqual(['1002', '1003', '1011', '14']);
    expect(changes.byEntity).toEqual({ departmentIds: ['14'], userIds: expect.arrayContaining(['1002', '1003', '1011']) });
    expect(JSON.parse(changes.watermark)).toEqual({ since: '2026-06-15T13:00:00', starts: [{ id: '1009', day: '2026-06-16', changed: '2026-05-01T09:00:00' }] });
    // Employees: one window, from the watermark to a second past now. Organisations: the whole tree, split at the watermark.
    expect(employeeCalls().map((b) => [b.body.startTime, b.body.stopTime])).toEqual([['2026-06-15T10:00:00', '2026-06-15T13:00:01']]);
    expect(vendor.bodies.filter((b) => b.path.includes('Organization')).at(-1)!.body).toMatchObject({ startTime: '2026-06-15T10:00:00', timeWindowQueryType: '1' });

    // The engine then reads the listed ids: answered from this read, no further call.
    const calls = vendor.bodies.length;
    const read = await later.readByIds({ departmentIds: [...changes.changedIds, '11'], userIds: changes.changedIds });
    expect(vendor.bodies.length).toBe(calls);
    expect(read.departments.map((d) => [d.id, d.parentId]).sort()).toEqual([['11', '10'], ['14', '11']]);
    expect(read.users.map((u) => [u.name, u.departmentIds, u.managerId]).sort()).toEqual([
      ['Newbie', ['14'], '1001'], // the CEO was not read: the engine finds him by his link
      ['Regular', ['14'], '1001'],
    ]);
    // The leaver is listed but not present: the engine offboards her account.
    expect(read.missing.userIds).toEqual(expect.arrayContaining(['1002']));
  });

  it('pages across windows: windows of windowDays back to back from the watermark, pages of capacity by scrollId', async () => {
    const watermark = JSON.stringify({ since: '2026-06-10T10:00:00', starts: [] });
    let employees = fixtureEmployees;
    for (const [id, at] of [[1001, '2026-06-11T09:00:00'], [1003, '2026-06-13T09:00:00'], [1010, '2026-06-13T09:30:00'], [1002, '2026-06-13T10:00:00']] as const) {
      employees = edited(id, {}, at).map((e, i) => (e.employeeInfo.userID === id ? e : employees[i]));
    }
    await seed(fixtureOrganizations, employees);
    vendor.bodies = [];
    const changes = await connector(fixtureNow, { windowDays: 2, capacity: 1, historyStart: '2026-06-01' }).readChangesSince(watermark);
    expect(changes.changedIds.sort()).toEqual(['1001', '1002', '1003', '1010']);
    const firsts = employeeCalls().filter((b) => b.body.scrollId === '');
    expect(firsts.map((b) => b.body.startTime)).toEqual(['2026-06-10T10:00:00', '2026-06-12T10:00:00', '2026-06-14T10:00:00']);
    firsts.slice(1).forEach((w, i) => expect(w.body.startTime).toBe(firsts[i].body.stopTime));
    expect(firsts.at(-1)!.body.stopTime).toBe('2026-06-15T10:00:01');
    // 2026-06-12..14 holds three changed records: two more pages by scrollId, at capacity 1.
    expect(employeeCalls().filter((b) => b.body.scrollId !== '')).toHaveLength(2);
    expect(employeeCalls().every((b) => b.body.capacity === 1)).toBe(true);
  });

  it('refuses a watermark it did not return, naming the field and not echoing it', async () => {
    const c = connector(fixtureNow);
    for (const bad of ['2026-06-15T10:00:00', 'garbage', '{"since":"2026-13-45T99:00:00","starts":[]}', '{"since":"2026-06-15T10:00:00"}', '{"since":"2026-06-15T10:00:00","starts":[{"id":"x1","day":"2026-06-16","changed":"2026-05-01T09:00:00"}]}']) {
      const err = await failure(c.readChangesSince(bad));
      expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_input' });
      expect(err.vendorMessage).toMatch(/^watermark: not a Beisen watermark/);
      expect(err.message).not.toContain('x1');
    }
    expect(vendor.bodies).toEqual([]);
  });

  it('a record changed while the changes are listed is listed by the next read', async () => {
    const watermark = await connector(fixtureNow).changeWatermark();
    const at = new Date(fixtureNow.getTime() + hourMs);
    // Right after the employee window was answered, Probation changes (this second).
    vendor.afterNextHooked = async () => {
      await seed(fixtureOrganizations, edited(1002, { jobNumber: 'E1002B' }, '2026-06-15T11:00:00'));
    };
    const first = await connector(at).readChangesSince(watermark);
    expect(first.changedIds).toEqual([]);
    const second = await connector(new Date(at.getTime() + 60_000)).readChangesSince(first.watermark);
    expect(second.changedIds).toEqual(['1002']);
  });

  it('a start day that comes with no change to the record: the read that day lists the person, fetched by the second it last changed', async () => {
    const watermark = await connector(fixtureNow).changeWatermark();
    const sameDay = await connector(new Date(fixtureNow.getTime() + 2 * hourMs)).readChangesSince(watermark);
    expect(sameDay.changedIds).toEqual([]);
    expect(JSON.parse(sameDay.watermark).starts).toEqual([{ id: '1009', day: '2026-06-16', changed: '2026-05-01T09:00:00' }]);

    vendor.bodies = [];
    const nextDay = connector(new Date(fixtureNow.getTime() + 24 * hourMs));
    const changes = await nextDay.readChangesSince(sameDay.watermark);
    expect(changes.changedIds).toEqual(['1009']);
    expect(JSON.parse(changes.watermark).starts).toEqual([]);
    expect(employeeCalls().map((b) => [b.body.startTime, b.body.stopTime])).toContainEqual(['2026-05-01T09:00:00', '2026-05-01T09:00:01']);
    const read = await nextDay.readByIds({ departmentIds: [], userIds: ['1009'] });
    expect(read.users).toEqual([expect.objectContaining({ id: '1009', name: 'Tomorrow', departmentIds: ['12'], managerId: '1001' })]);
  });
});
