// A small Beisen tenant for the Beisen tests: records changed over a year, every empStatus, one future start.
import type { BeisenEmployee, BeisenOrganization } from '../mapping';

export const fixtureCredentials = { tenantId: '200002', appId: 'test-app', secret: 'beisen-test-secret-value' };
/** The tests' clock: 2026-06-15 10:00 in China. */
export const fixtureNow = new Date('2026-06-15T02:00:00Z');

const person = (userID: number, name: string, status: string, over: Partial<BeisenEmployee['recordInfo']> = {}, modifiedTime = '2026-05-01T09:00:00'): BeisenEmployee => ({
  employeeInfo: { userID, name, email: `${name.toLowerCase()}@acme.test`, mobilePhone: `1380000${userID}`, modifiedTime },
  recordInfo: { userID, oIdDepartment: 12, pOIdEmpAdmin: 1001, jobNumber: `E${userID}`, entryDate: '2024-03-01T00:00:00', employeeStatus: status, modifiedTime, ...over },
});

export const fixtureOrganizations: BeisenOrganization[] = [
  { oId: 10, name: 'Acme', pOIdOrgAdmin: null, status: 1, orderAdmin: 1, modifiedTime: '2025-07-01T08:00:00' },
  { oId: 11, name: 'R&D', pOIdOrgAdmin: 10, status: 1, orderAdmin: 2, modifiedTime: '2025-09-15T08:00:00' },
  { oId: 12, name: 'Platform', pOIdOrgAdmin: 11, status: 1, orderAdmin: 1, modifiedTime: '2026-01-10T08:00:00' },
  { oId: 13, name: 'Closed', pOIdOrgAdmin: 10, status: 0, modifiedTime: '2026-02-01T08:00:00' },
];

export const fixtureEmployees: BeisenEmployee[] = [
  person(1001, 'Ceo', '3', { oIdDepartment: 10, pOIdEmpAdmin: null, translateProperties: { oIdJobPostText: 'CEO' } }, '2025-07-02T10:00:00'),
  person(1002, 'Probation', '2', {}, '2025-10-20T10:00:00'),
  person(1003, 'Regular', '3', { oIdDepartment: 11 }, '2026-03-03T10:00:00'),
  person(1004, 'Pending', '1', { entryDate: '2026-07-01T00:00:00' }),
  person(1005, 'Leaver', '8'),
  person(1006, 'Retired', '6'),
  person(1007, 'Movedout', '4'),
  person(1008, 'Incoming', '5'),
  // Active in Beisen's eyes (试用) but starting tomorrow: not provisioned before its day.
  person(1009, 'Tomorrow', '2', { entryDate: '2026-06-16T00:00:00' }),
  person(1010, 'Today', '2', { entryDate: '2026-06-15T00:00:00', pOIdEmpAdmin: 1003 }),
];
