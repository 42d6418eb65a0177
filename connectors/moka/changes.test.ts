// Moka incremental reads: the employees changed in a date range (startDate / endDate) since a watermark.
import { fakeControl, spyVendorCalls, vendorFailure as failure, type VendorCallSpy } from '../shared/test-helpers';
import type { Connector } from '../types';
import { employeesPath } from './client';
import { mokaFakeDefaults, startMokaFake, type RunningMokaFake } from './fake';
import { fixtureDepartments, fixtureEmployees, fixtureNow } from './fake/test-fixtures';
import type { MokaDepartment, MokaEmployee } from './mapping';
import { createMokaConnector, type MokaSettings } from './index';

const { entCode, apiKey, privateKey, departmentsApiCode, employeesApiCode } = mokaFakeDefaults;
const hourMs = 3_600_000;
let fake: RunningMokaFake;
let vendor: VendorCallSpy;

function connector(now: Date, extra: Partial<MokaSettings> = {}): Required<Pick<Connector, 'changeWatermark' | 'readChangesSince'>> & Connector {
  return createMokaConnector({ baseUrl: fake.baseUrl, entCode, departmentsApiCode, employeesApiCode, ratePerSecond: 100, ratePerMinute: 1_000, ...extra }, { apiKey, privateKey }, { now: () => now }) as never;
}

const seed = (departments: MokaDepartment[], employees: MokaEmployee[]) => fakeControl(fake, 'seed', { departments, employees });
const employeeCalls = () => vendor.bodies.filter((b) => b.path.endsWith(employeesPath));
const edited = (id: number, changes: Partial<MokaEmployee>, employees = fixtureEmployees) => employees.map((e) => (e.employee_id === id ? { ...e, ...changes } : e));

beforeEach(async () => {
  fake = await startMokaFake({ port: 0, ratePerSecond: 1_000, ratePerMinute: 10_000 });
  expect((await seed(fixtureDepartments, fixtureEmployees)).status).toBe(200);
  vendor = spyVendorCalls((path) => path.startsWith('/api-platform/'), (path) => path.endsWith(employeesPath));
});

afterEach(async () => {
  vendor.restore();
  await fake.close();
});

describe('Moka incremental reads', () => {
  it('the watermark is the day taken before the full read, with the people still to start; the readSnapshot after it reads nothing again', async () => {
    const c = connector(fixtureNow);
    const watermark = await c.changeWatermark();
    expect(JSON.parse(watermark)).toEqual({ since: '2026-06-15', starts: [{ id: '5', day: '2026-06-16', changed: '2026-05-01' }] });
    const calls = vendor.bodies.length;
    const users = [];
    for await (const page of c.readSnapshot()) users.push(...page.users);
    expect(users).toHaveLength(7);
    expect(vendor.bodies.length).toBe(calls);
  });

  it('lists the employees changed from the watermark day to today, with the departments they are in and their ancestors', async () => {
    const watermark = await connector(fixtureNow).changeWatermark();
    // Later that day: Staff0 moves to a new team under Product, Staff1 leaves, a new hire reports to Trial.
    const departments = [...fixtureDepartments, { nodeUid: 4, nodeName: 'Data', parentNodeUid: 2, sortNum: 3 }];
    let employees = edited(10, { department_id: 4, update_time: '2026-06-15 11:00:00' });
    employees = edited(11, { employee_status: 2, update_time: '2026-06-15 11:30:00' }, employees);
    employees = [...employees, { employee_id: 20, name: 'Hire', email: 'hire@acme.test', employee_no: 'M20', department_id: 2, employee_status: 3, report_leader_id: 2, entry_date: '2026-06-15', update_time: '2026-06-15 12:00:00' }];
    await seed(departments, employees);
    vendor.bodies = [];

    const later = connector(new Date(fixtureNow.getTime() + 3 * hourMs));
    const changes = await later.readChangesSince(watermark);
    expect(changes.changedIds.sort()).toEqual(['1', '10', '11', '2', '20', '4']);
    // Department 1 and 2 are not Boss (1) and Trial (2), who did not change: the engine is told which is which.
    expect({ departmentIds: changes.byEntity!.departmentIds.sort(), userIds: changes.byEntity!.userIds.sort() }).toEqual({ departmentIds: ['1', '2', '4'], userIds: ['10', '11', '20'] });
    expect(JSON.parse(changes.watermark)).toEqual({ since: '2026-06-15', starts: [{ id: '5', day: '2026-06-16', changed: '2026-05-01' }] });
    expect(employeeCalls().map((b) => b.body)).toEqual([{ startDate: '2026-06-15', endDate: '2026-06-15', pageNum: 1, pageSize: 200 }]);

    const calls = vendor.bodies.length;
    const read = await later.readByIds({ departmentIds: changes.changedIds, userIds: changes.changedIds });
    expect(vendor.bodies.length).toBe(calls);
    expect(read.departments.map((d) => [d.id, d.parentId]).sort()).toEqual([['1', null], ['2', '1'], ['4', '2']]);
    expect(read.users.map((u) => [u.name, u.departmentIds, u.managerId]).sort()).toEqual([
      ['Hire', ['2'], '2'], // Trial was not read: the engine finds her by her link
      ['Staff0', ['4'], '1'],
    ]);
    expect(read.missing.userIds).toEqual(expect.arrayContaining(['11']));
  });

  it('pages the changed employees by pageNum / pageSize over a range of days', async () => {
    let employees = fixtureEmployees;
    for (const [id, day] of [[10, '2026-06-11'], [11, '2026-06-12'], [12, '2026-06-13'], [13, '2026-06-14'], [14, '2026-06-15']] as const) employees = edited(id, { update_time: `${day} 09:00:00` }, employees);
    await seed(fixtureDepartments, employees);
    vendor.bodies = [];
    const changes = await connector(fixtureNow, { pageSize: 2 }).readChangesSince(JSON.stringify({ since: '2026-06-11', starts: [] }));
    expect(changes.changedIds.filter((id) => Number(id) >= 10).sort()).toEqual(['10', '11', '12', '13', '14']);
    expect(employeeCalls().map((b) => b.body)).toEqual([1, 2, 3].map((pageNum) => ({ startDate: '2026-06-11', endDate: '2026-06-15', pageNum, pageSize: 2 })));
  });

  it('refuses a watermark it did not return, naming the field, before any call', async () => {
    const c = connector(fixtureNow);
    for (const bad of ['2026-06-15', 'garbage', '{"since":"2026-02-30","starts":[]}', '{"since":"2026-06-15T10:00:00","starts":[]}', '{"since":"2026-06-15","starts":[{"id":"5","day":"tomorrow","changed":"2026-05-01"}]}']) {
      const err = await failure(c.readChangesSince(bad));
      expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_input' });
      expect(err.vendorMessage).toMatch(/^watermark: not a Moka watermark/);
    }
    expect(vendor.bodies).toEqual([]);
  });

  it('a record changed while the changes are listed is listed by the next read', async () => {
    const watermark = await connector(fixtureNow).changeWatermark();
    vendor.afterNextHooked = async () => {
      await seed(fixtureDepartments, edited(12, { position_name: 'Lead', update_time: '2026-06-15 11:00:00' }));
    };
    const at = new Date(fixtureNow.getTime() + hourMs);
    const first = await connector(at).readChangesSince(watermark);
    expect(first.changedIds).toEqual([]);
    const second = await connector(new Date(at.getTime() + 60_000)).readChangesSince(first.watermark);
    expect(second.changedIds.sort()).toEqual(['1', '12', '2']);
  });

  it('a start day that comes with no change to the record: the read that day lists the person, read again by the day it last changed', async () => {
    const watermark = await connector(fixtureNow).changeWatermark();
    const sameDay = await connector(new Date(fixtureNow.getTime() + 2 * hourMs)).readChangesSince(watermark);
    expect(sameDay.changedIds).toEqual([]);

    vendor.bodies = [];
    const nextDay = connector(new Date(fixtureNow.getTime() + 24 * hourMs));
    const changes = await nextDay.readChangesSince(sameDay.watermark);
    expect(changes.changedIds.sort()).toEqual(['1', '2', '5']); // with Monday's department and its parent
    expect(JSON.parse(changes.watermark)).toEqual({ since: '2026-06-16', starts: [] });
    expect(employeeCalls().map((b) => [b.body.startDate, b.body.endDate])).toEqual([['2026-06-15', '2026-06-16'], ['2026-05-01', '2026-05-01']]);
    const read = await nextDay.readByIds({ departmentIds: [], userIds: ['5'] });
    expect(read.users).toEqual([expect.objectContaining({ id: '5', name: 'Monday', departmentIds: ['2'], managerId: '2' })]);
  });
});
