// A small Moka tenant for the Moka tests: every employee_status, a future start, a disabled department.
import type { MokaDepartment, MokaEmployee } from '../mapping';

export const fixtureNow = new Date('2026-06-15T02:00:00Z');

const person = (employee_id: number, name: string, employee_status: number, over: Partial<MokaEmployee> = {}): MokaEmployee => ({
  employee_id, name, email: `${name.toLowerCase()}@acme.test`, mobile: `1390000${employee_id}`, employee_no: `M${employee_id}`, department_id: 2,
  position_name: 'Engineer', employee_status, report_leader_id: 1, entry_date: '2024-01-01', update_time: '2026-05-01 10:00:00', ...over,
});

export const fixtureDepartments: MokaDepartment[] = [
  { nodeUid: 1, nodeName: 'Acme', parentNodeUid: null, sortNum: 1 },
  { nodeUid: 2, nodeName: 'Product', parentNodeUid: 1, sortNum: 2 },
  { nodeUid: 3, nodeName: 'Old team', parentNodeUid: 1, haveUsed: 0 },
];

export const fixtureEmployees: MokaEmployee[] = [
  person(1, 'Boss', 1, { department_id: 1, report_leader_id: null, position_name: 'CEO', update_time: '2026-01-05 09:00:00' }),
  person(2, 'Trial', 3, { update_time: '2026-06-01 09:00:00' }),
  person(3, 'Gone', 2),
  person(4, 'Coming', 4, { entry_date: '2026-07-01' }),
  person(5, 'Monday', 3, { entry_date: '2026-06-16', report_leader_id: 2 }),
  ...Array.from({ length: 5 }, (_, i) => person(10 + i, `Staff${i}`, 1)),
];
