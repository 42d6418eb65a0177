// POST /__fake/seed for the Feishu fake: a whole directory in Feishu's shape with custom ids
// (department_id, user_id), built through the same rules as the API so a seed cannot break them.
import { FakeInputError, seedStep } from '../../shared/fake-kit';
import { FeishuDirectory, FeishuFakeError, type IdTypes } from './directory';

type Body = Record<string, unknown>;

const custom: IdTypes = { user: 'user_id', department: 'department_id' };

/**
 * `{tenantName?, departments: [{department_id, name, parent_department_id, order?, leader_user_id?}],
 *   users: [{user_id, name, mobile, department_ids, employee_type?, leader_user_id?, email?, employee_no?,
 *   job_title?, status?: {is_frozen?, is_resigned?}}]}` — parents may come in any order.
 */
export function seedDirectory(input: unknown): FeishuDirectory {
  if (typeof input !== 'object' || input === null) throw new FakeInputError('seed body must be an object');
  const { tenantName, departments = [], users = [] } = input as { tenantName?: unknown; departments?: Body[]; users?: Body[] };
  if (!Array.isArray(departments) || !Array.isArray(users)) throw new FakeInputError('seed: departments and users must be arrays');
  const dir = new FeishuDirectory(typeof tenantName === 'string' && tenantName ? tenantName : undefined);
  const at = (what: string, i: number, run: () => void) => seedStep(what, i, (err) => err instanceof FeishuFakeError, run);
  const known = (id: unknown) => id === '0' || [...dir.departments.values()].some((d) => d.customId === id);
  let pending = departments.map((d, i) => ({ d, i }));
  while (pending.length > 0) {
    const ready = pending.filter(({ d }) => known(d.parent_department_id ?? '0'));
    if (ready.length === 0) at('departments', pending[0].i, () => dir.department(pending[0].d.parent_department_id, 'department_id', 44101));
    for (const { d, i } of ready) at('departments', i, () => dir.createDepartment({ ...d, parent_department_id: d.parent_department_id ?? '0', leader_user_id: undefined }, custom));
    pending = pending.filter((p) => !ready.includes(p));
  }
  users.forEach((u, i) =>
    at('users', i, () => dir.createUser({ employee_type: 1, department_ids: ['0'], ...u, leader_user_id: undefined, status: undefined }, custom)),
  );
  users.forEach((u, i) =>
    at('users', i, () => {
      if (u.leader_user_id) dir.patchUser(String(u.user_id), { leader_user_id: u.leader_user_id }, custom);
      const status = (u.status ?? {}) as Body;
      if (status.is_frozen === true) dir.patchUser(String(u.user_id), { is_frozen: true }, custom);
      if (status.is_resigned === true) dir.resignUser(String(u.user_id), custom);
    }),
  );
  departments.forEach((d, i) => d.leader_user_id && at('departments', i, () => dir.patchDepartment(String(d.department_id), { leader_user_id: d.leader_user_id }, custom)));
  return dir;
}
