// A small Feishu tenant used by the Feishu tests: four departments, 25 members, one resigned.
export const fixtureCredentials = { appId: 'cli_test0001', appSecret: 'app-secret-value-123' };

export const fixtureSeed = {
  tenantName: 'Acme',
  departments: [
    { department_id: 'sales', name: 'Sales', parent_department_id: '0', order: 2 },
    { department_id: 'rnd', name: 'R&D', parent_department_id: '0', order: 1, leader_user_id: 'u1' },
    { department_id: 'platform', name: 'Platform', parent_department_id: 'rnd', order: 1 },
    { department_id: 'empty', name: 'Empty', parent_department_id: 'platform' },
  ],
  users: [
    ...Array.from({ length: 24 }, (_, i) => ({
      user_id: `u${i}`,
      name: `User ${i}`,
      mobile: `+86138000000${String(i).padStart(2, '0')}`,
      email: `u${i}@acme.test`,
      // every fifth user is in two departments, to show de-duplication
      department_ids: i === 0 ? ['0'] : i % 5 === 0 ? ['sales', 'rnd'] : [i % 2 === 0 ? 'sales' : 'platform'],
      leader_user_id: i === 0 ? undefined : 'u0',
      employee_no: `E${100 + i}`,
      job_title: i === 0 ? 'CEO' : 'Engineer',
      employee_type: i === 3 ? 2 : 1,
      status: { is_frozen: i === 23 },
    })),
    { user_id: 'gone', name: 'Gone', mobile: '+8613900000000', department_ids: ['sales'], status: { is_resigned: true } },
  ],
};
