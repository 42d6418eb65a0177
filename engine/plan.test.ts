import type { Department, User } from './model';
import { planSync, resolveAction, summarizePlan } from './plan';
import type { Link, Plan, PlanAction, PlanInput } from './plan-types';
import { simulatePlan } from './simulate';
import { allCapabilities, dept, person } from './testing/directory-world';

function input(partial: Partial<PlanInput> & { source: PlanInput['source']; target: PlanInput['target'] }): PlanInput {
  return { links: [], matchRules: ['employeeNumber', 'email', 'mobile'], offboarding: 'disable', capabilities: allCapabilities, ...partial };
}

const keys = (plan: Plan): string[] => plan.actions.map((a) => a.key);
const at = (plan: Plan, key: string): number => {
  const index = keys(plan).indexOf(key);
  if (index < 0) throw new Error(`no action ${key} in ${keys(plan).join(', ')}`);
  return index;
};
const link = (entity: Link['entity'], sourceId: string, targetId: string): Link => ({ entity, sourceId, targetId });

describe('planSync ordering', () => {
  // Source: A > B > C, all new; M (in C) manages R (in A); X existing, gets M as manager.
  // Target: X (linked), O (linked, gone from the source) in old department OD > ODC (linked, gone).
  const source = {
    departments: [dept('C', 'B'), dept('A', null), dept('B', 'A')],
    users: [
      person('R', { departmentIds: ['A'], managerId: 'M' }),
      person('X', { departmentIds: ['A'], managerId: 'M', title: 'new' }),
      person('M', { departmentIds: ['C'] }),
    ],
  };
  const target = {
    departments: [dept('t-OD', null), dept('t-ODC', 't-OD')],
    users: [person('t-X', { username: 'user-X', name: 'Name X', departmentIds: ['t-OD'] }), person('t-O', { departmentIds: ['t-ODC'] })],
  };
  const links = [link('user', 'X', 't-X'), link('user', 'O', 't-O'), link('department', 'OD', 't-OD'), link('department', 'ODC', 't-ODC')];
  const plan = planSync(input({ source, target, links }));

  it('creates departments top-down, managers before reports with the manager in the create call', () => {
    expect(at(plan, 'department:A:CreateDepartment')).toBeLessThan(at(plan, 'department:B:CreateDepartment'));
    expect(at(plan, 'department:B:CreateDepartment')).toBeLessThan(at(plan, 'department:C:CreateDepartment'));
    expect(at(plan, 'user:M:CreateUser')).toBeLessThan(at(plan, 'user:R:CreateUser'));
    expect((plan.actions[at(plan, 'user:R:CreateUser')].after as Partial<User>).managerId).toBe('M');
    expect(keys(plan)).not.toContain('user:R:SetManager');
  });

  it('runs phases in order: departments, users, manager pass, disables, staged user deletes, departments bottom-up', () => {
    const lastDepartmentWrite = Math.max(at(plan, 'department:C:CreateDepartment'));
    expect(lastDepartmentWrite).toBeLessThan(at(plan, 'user:X:UpdateUser'));
    expect(at(plan, 'user:X:ChangeUserDepartment')).toBeLessThan(at(plan, 'user:X:SetManager'));
    expect(at(plan, 'user:R:CreateUser')).toBeLessThan(at(plan, 'user:X:SetManager'));
    expect(at(plan, 'user:X:SetManager')).toBeLessThan(at(plan, 'user:O:DisableUser'));
    expect(at(plan, 'user:O:ChangeUserDepartment')).toBeLessThan(at(plan, 'user:O:DisableUser'));
    expect(at(plan, 'user:O:DisableUser')).toBeLessThan(at(plan, 'department:ODC:DeleteDepartment'));
    expect(at(plan, 'department:ODC:DeleteDepartment')).toBeLessThan(at(plan, 'department:OD:DeleteDepartment'));
    expect(plan.actions.filter((a) => a.kind === 'DeleteDepartment').every((a) => a.staged)).toBe(true);
  });

  it('records before/after per field and references as source ids', () => {
    const update = plan.actions[at(plan, 'user:X:UpdateUser')];
    expect(update).toMatchObject({ targetId: 't-X', before: { title: null }, after: { title: 'new' } });
    expect(plan.actions[at(plan, 'user:X:ChangeUserDepartment')].after).toEqual({ departmentIds: ['A'], mainDepartmentId: null });
    expect(plan.actions[at(plan, 'department:B:CreateDepartment')]).toMatchObject({ targetId: null, after: { parentId: 'A' } });
  });

  it('is applicable as planned and round-trips through JSON', () => {
    const replayed = JSON.parse(JSON.stringify(plan)) as Plan;
    const result = simulatePlan(replayed, target, links);
    expect(result.unresolved).toEqual([]);
    expect(result.target.departments.map((d) => d.name).sort()).toEqual(['name-A', 'name-B', 'name-C']);
    expect(result.target.users.find((u) => u.id === 't-O')).toMatchObject({ status: 'disabled', departmentIds: [] });
  });

  it('counts actions per kind and entity', () => {
    const summary = summarizePlan(plan);
    expect(summary.byAction).toMatchObject({ CreateDepartment: 3, CreateUser: 2, DeleteDepartment: 2, DisableUser: 1, SetManager: 1 });
    expect(summary.byEntity.department + summary.byEntity.user).toBe(plan.actions.length);
    expect(summary.staged).toBe(2);
  });
});

describe('planSync correlation', () => {
  it('fails an ambiguous match, creates nothing for it and leaves the candidates alone', () => {
    const plan = planSync(
      input({
        source: { departments: [], users: [person('S', { email: 'dup@corp.example' })] },
        target: { departments: [], users: [person('t1', { email: 'DUP@corp.example' }), person('t2', { email: 'dup@corp.example' })] },
      }),
    );
    expect(plan.actions).toEqual([]);
    expect(plan.failed).toEqual([expect.objectContaining({ sourceId: 'S', candidates: ['t1', 't2'], reason: expect.stringContaining('ambiguous') })]);
  });

  it('adopts the first rule that yields exactly one match, comparing case and mobile formats loosely', () => {
    const plan = planSync(
      input({
        matchRules: ['employeeNumber', 'mobile'],
        source: { departments: [], users: [person('S', { mobile: '138 0013 8000' })] },
        target: { departments: [], users: [person('t1', { username: 'user-S', name: 'Name S', mobile: '+86-13800138000' })] },
      }),
    );
    expect(plan.newLinks).toEqual([link('user', 'S', 't1')]);
    expect(plan.actions.map((a) => a.kind)).toEqual(['UpdateUser']);
  });

  it('adopts a department by matched parent and name', () => {
    const plan = planSync(
      input({
        targetRootId: '1',
        source: { departments: [dept('A', null, { name: 'Sales' }), dept('B', 'A', { name: 'East' })], users: [] },
        target: { departments: [dept('1', null), dept('t-a', '1', { name: 'Sales' }), dept('t-b', 't-a', { name: 'East' })], users: [] },
      }),
    );
    expect(plan.newLinks).toEqual([link('department', 'A', 't-a'), link('department', 'B', 't-b')]);
    expect(plan.actions).toEqual([]);
  });
});

describe('planSync offboarding', () => {
  const target = { departments: [], users: [person('t-gone'), person('t-off')] };
  const links = [link('user', 'gone', 't-gone'), link('user', 'off', 't-off')];
  const source = { departments: [], users: [person('off', { username: 'user-t-off', name: 'Name t-off', status: 'disabled' })] };

  it('disables a removed person and one disabled in the source under the disable policy', () => {
    const plan = planSync(input({ source, target, links }));
    expect(plan.actions.map((a) => [a.key, a.staged ?? false])).toEqual([
      ['user:off:DisableUser', false],
      ['user:gone:DisableUser', false],
    ]);
  });

  it('stages a delete for a removed person under the delete policy, still disabling the one disabled in the source', () => {
    const plan = planSync(input({ source, target, links, offboarding: 'delete' }));
    expect(plan.actions.map((a) => [a.key, a.staged ?? false])).toEqual([
      ['user:off:DisableUser', false],
      ['user:gone:DeleteUser', true],
    ]);
  });

  it('turns offboarding into a staged delete, with the reason, when the target cannot disable accounts', () => {
    const plan = planSync(input({ source, target, links, capabilities: { ...allCapabilities, disableUser: false } }));
    expect(plan.actions.map((a) => a.kind)).toEqual(['DeleteUser', 'DeleteUser']);
    expect(plan.actions.every((a) => a.staged && /cannot disable/.test(a.reason ?? ''))).toBe(true);
  });

  it('does not create an account for a person who is disabled in the source', () => {
    const plan = planSync(input({ source: { departments: [], users: [person('new', { status: 'disabled' })] }, target: { departments: [], users: [] } }));
    expect(plan.actions).toEqual([]);
  });
});

describe('planSync: deleted in the hub versus offboarded', () => {
  // A downstream task: the hub is the source. "gone" was deleted in the hub, "off" disabled there, "out" moved out of scope.
  const target = {
    departments: [dept('t-in', null), dept('t-other', null)],
    users: [person('t-gone', { departmentIds: ['t-in'] }), person('t-off', { departmentIds: ['t-in'] }), person('t-out', { departmentIds: ['t-other'] })],
  };
  const links = [link('user', 'gone', 't-gone'), link('user', 'off', 't-off'), link('user', 'out', 't-out'), link('department', 'in', 't-in'), link('department', 'other', 't-other')];
  const source = {
    departments: [dept('in', null), dept('other', null)],
    users: [person('off', { username: 'user-t-off', name: 'Name t-off', status: 'disabled', departmentIds: ['in'] }), person('out', { username: 'user-t-out', name: 'Name t-out', departmentIds: ['other'] })],
  };
  const scope = { departmentIds: ['in'], userIds: [], includeNewUsers: true };
  const actions = (plan: Plan) => plan.actions.filter((a) => a.kind === 'DisableUser' || a.kind === 'DeleteUser').map((a) => [a.key, a.staged ?? false]);

  it('3: a person deleted in the hub is frozen now and a delete is staged, even under the disable policy', () => {
    const plan = planSync(input({ source, target, links, scope, sourceIsHub: true }));
    expect(actions(plan)).toEqual([
      ['user:off:DisableUser', false],
      ['user:gone:DisableUser', false],
      ['user:out:DisableUser', false],
      ['user:gone:DeleteUser', true],
    ]);
    expect(plan.actions.find((a) => a.key === 'user:gone:DeleteUser')?.reason).toBe('deleted in the hub');
  });

  it('an account already frozen gets only the staged delete; an upstream source gone from the app only freezes', () => {
    const frozen = { ...target, users: target.users.map((u) => (u.id === 't-gone' ? { ...u, status: 'disabled' as const } : u)) };
    expect(actions(planSync(input({ source, target: frozen, links, scope, sourceIsHub: true })))).toContainEqual(['user:gone:DeleteUser', true]);
    expect(actions(planSync(input({ source, target: frozen, links, scope, sourceIsHub: true }))).map(([key]) => key)).not.toContain('user:gone:DisableUser');
    expect(actions(planSync(input({ source, target, links, scope })))).toContainEqual(['user:gone:DisableUser', false]);
    expect(actions(planSync(input({ source, target, links, scope }))).map(([key]) => key)).not.toContain('user:gone:DeleteUser');
  });

  it('2a: a person whose departments vanished from the source is moved to the top level, and the item says why', () => {
    const stays = { departments: [dept('other', null)], users: [person('out', { username: 'user-t-out', name: 'Name t-out', departmentIds: ['in'] })] };
    const plan = planSync(input({ source: stays, target: { departments: target.departments, users: [person('t-out', { departmentIds: ['t-in'] })] }, links }));
    const move = plan.actions.find((a) => a.kind === 'ChangeUserDepartment');
    expect(move).toMatchObject({ targetId: 't-out', after: { departmentIds: [] } });
    expect(move?.reason).toMatch(/in no department of the source/);
  });
});

describe('planSync: an upstream task offboards only the hub people it owns', () => {
  // Target = the hub. "mine" and "handed" are linked; only "mine" and "unlinked-mine" belong to this task.
  const target = {
    departments: [dept('hd-mine', null), dept('hd-other', null)],
    users: [person('h-mine'), person('h-handed'), person('h-api'), person('h-other-source'), person('h-unlinked-mine')],
  };
  const links = [link('user', 'mine', 'h-mine'), link('user', 'handed', 'h-handed'), link('department', 'mine', 'hd-mine')];
  const disabledInSource = person('handed', { username: 'user-h-handed', name: 'Name h-handed', status: 'disabled' });
  const owned = new Set(['h-mine', 'h-unlinked-mine']);

  it('8: people created through the API or by another source, and people handed to another source, are left alone', () => {
    const plan = planSync(input({ source: { departments: [], users: [disabledInSource] }, target, links, hubOwnership: { ownedUserIds: owned } }));
    // Departments: only the one this task linked; another source's (unlinked) department is not its to delete.
    expect(plan.actions.map((a) => a.key)).toEqual(['user:mine:DisableUser', 'user:target:h-unlinked-mine:DisableUser', 'department:mine:DeleteDepartment']);
  });

  it('without ownership (the old rule) every unlinked hub person is a leaver', () => {
    const plan = planSync(input({ source: { departments: [], users: [] }, target, links }));
    expect(plan.actions.filter((a) => a.kind === 'DisableUser')).toHaveLength(5);
    expect(plan.actions.filter((a) => a.kind === 'DeleteDepartment')).toHaveLength(2);
  });
});

describe('planSync scope', () => {
  // Root > Sales > East; Root > Ops. u1 in East, u2 in Ops, u3 in Ops (listed alone), u4 in East (linked).
  const departments: Department[] = [dept('root', null), dept('sales', 'root'), dept('east', 'sales'), dept('ops', 'root')];
  const users: User[] = [
    person('u1', { departmentIds: ['east'] }),
    person('u2', { departmentIds: ['ops'], managerId: 'u3' }),
    person('u3', { departmentIds: ['ops', 'east'] }),
    person('u4', { departmentIds: ['east'], managerId: 'u2' }),
  ];
  const target = { departments: [dept('t-east', null, { name: 'name-east' })], users: [person('t-u4', { departmentIds: ['t-east'] })] };
  const links = [link('user', 'u4', 't-u4')];
  const created = (plan: Plan): (string | null)[] => plan.actions.filter((a) => a.kind.startsWith('Create')).map((a) => a.sourceId);

  it('syncs a department subtree with its ancestors as containers, and defers a manager outside the scope', () => {
    const plan = planSync(input({ source: { departments, users }, target, links, scope: { departmentIds: ['sales'], userIds: [], includeNewUsers: true } }));
    expect(created(plan)).toEqual(['root', 'sales', 'east', 'u1', 'u3']);
    const u3 = plan.actions.find((a) => a.key === 'user:u3:CreateUser');
    expect((u3?.after as Partial<User>).departmentIds).toEqual(['east']);
    expect(plan.deferred).toEqual([expect.objectContaining({ sourceId: 'u4', field: 'managerId', missingSourceIds: ['u2'] })]);
    // The unlinked target department is not this task's to delete while a scope is set.
    expect(plan.actions.some((a) => a.kind === 'DeleteDepartment')).toBe(false);
  });

  it('adds single users with their departments, and leaves new users out when asked', () => {
    const single = planSync(input({ source: { departments, users }, target, links, scope: { departmentIds: [], userIds: ['u2'], includeNewUsers: true } }));
    expect(created(single)).toEqual(['root', 'ops', 'u2']);
    // u4 is linked but outside the scope now: offboarded.
    expect(single.actions.find((a) => a.sourceId === 'u4')?.kind).toBe('DisableUser');
    const noNew = planSync(input({ source: { departments, users }, target, links, scope: { departmentIds: ['sales'], userIds: [], includeNewUsers: false } }));
    expect(created(noNew)).toEqual(['root', 'sales', 'east']);
    expect(noNew.actions.some((a) => a.sourceId === 'u4' && a.kind === 'DisableUser')).toBe(false);
  });
});

describe('planSync department order', () => {
  // The hub's default order 0 is "no preference"; Feishu picked 1000 when it created the department.
  const source = { departments: [dept('A', null, { order: 0 }), dept('B', null, { order: 2000 })], users: [] };
  const target = { departments: [dept('t-A', null, { name: 'name-A', order: 1000 }), dept('t-B', null, { name: 'name-B', order: 1000 })], users: [] };
  const links = [link('department', 'A', 't-A'), link('department', 'B', 't-B')];
  const updates = (plan: Plan) => plan.actions.filter((a) => a.kind === 'UpdateDepartment').map((a) => [a.sourceId, a.before, a.after]);

  it('keeps the order a target assigned itself while the source has none, and still sends a wished-for order', () => {
    const plan = planSync(input({ source, target, links, capabilities: { ...allCapabilities, assignsDepartmentOrder: true } }));
    expect(updates(plan)).toEqual([['B', { order: 1000 }, { order: 2000 }]]);
  });

  it('compares no order for a target that keeps none (an LDAP OU), so a second run stays empty', () => {
    const plan = planSync(input({ source, target, links, capabilities: { ...allCapabilities, departmentOrder: false } }));
    expect(updates(plan)).toEqual([]);
  });

  it('sends order 0 to a target that stores orders as given', () => {
    const plan = planSync(input({ source, target, links }));
    expect(updates(plan)).toEqual([
      ['A', { order: 1000 }, { order: 0 }],
      ['B', { order: 1000 }, { order: 2000 }],
    ]);
  });
});

describe('planSync flat departments (SCIM Groups)', () => {
  // The source nests B under A with an order; the target keeps neither a parent nor an order.
  const source = { departments: [dept('A', null, { order: 0 }), dept('B', 'A', { order: 5 })], users: [] };
  const target = { departments: [dept('t-A', null, { name: 'name-A', order: 0 }), dept('t-B', null, { name: 'name-B', order: 0 })], users: [] };
  const links = [link('department', 'A', 't-A'), link('department', 'B', 't-B')];

  it('plans neither a move nor an order for a target without hierarchy and order, so a second run is empty', () => {
    const plan = planSync(input({ source, target, links, capabilities: { ...allCapabilities, departmentHierarchy: false, departmentOrder: false } }));
    expect(plan.actions).toEqual([]);
  });

  it('still moves and orders for a target that keeps both', () => {
    const plan = planSync(input({ source, target, links }));
    expect(plan.actions.map((a) => [a.kind, a.sourceId])).toEqual([
      ['UpdateDepartment', 'B'],
      ['MoveDepartment', 'B'],
    ]);
  });
});

describe('planSync matching', () => {
  it('adopts by email whatever its case, and by mobile however it is written, keeping the source spelling', () => {
    const source = {
      departments: [],
      users: [person('s1', { email: 'Alice.Wang@Acme.Test' }), person('s2', { email: null, mobile: '+8613800000002' })],
    };
    const target = {
      departments: [],
      users: [person('t1', { username: 'user-s1', name: 'Name s1', email: 'alice.wang@acme.test' }), person('t2', { username: 'user-s2', name: 'Name s2', email: null, mobile: '138 0000 0002' })],
    };
    const plan = planSync(input({ source, target, matchRules: ['email', 'mobile'] }));
    expect(plan.newLinks).toEqual([link('user', 's1', 't1'), link('user', 's2', 't2')]);
    expect(plan.actions.map((a) => [a.kind, a.targetId, a.after])).toEqual([
      ['UpdateUser', 't1', { email: 'Alice.Wang@Acme.Test' }],
      ['UpdateUser', 't2', { mobile: '+8613800000002' }],
    ]);
  });
});

describe('resolveAction', () => {
  const plan = planSync(
    input({
      targetRootId: '1',
      source: { departments: [dept('A', null)], users: [person('U', { departmentIds: ['A'] }), person('V')] },
      target: { departments: [dept('1', null)], users: [] },
    }),
  );
  const byKey = (key: string) => plan.actions.find((a) => a.key === key)!;

  it('places top-level departments and department-less users under the target root', () => {
    expect(resolveAction(byKey('department:A:CreateDepartment'), () => undefined, plan.targetRootId)).toEqual({
      action: 'CreateDepartment',
      department: { id: '', name: 'name-A', parentId: '1', order: 0, leaderIds: [] },
    });
    const v = resolveAction(byKey('user:V:CreateUser'), () => undefined, plan.targetRootId);
    expect(v).toMatchObject({ action: 'CreateUser', user: { id: '', departmentIds: ['1'] } });
  });

  it('reports a reference that has no target yet instead of guessing', () => {
    expect(resolveAction(byKey('user:U:CreateUser'), () => undefined, plan.targetRootId)).toEqual({
      unresolved: 'department A has no target department yet',
    });
    const resolved = resolveAction(byKey('user:U:CreateUser'), (entity, id) => (entity === 'department' && id === 'A' ? 't-A' : undefined), '1');
    expect(resolved).toMatchObject({ action: 'CreateUser', user: { departmentIds: ['t-A'] } });
  });

  it('moves someone to no department of a target without a root (the hub) clearing the main department too', () => {
    const move: PlanAction = {
      key: 'user:U:ChangeUserDepartment',
      kind: 'ChangeUserDepartment',
      entity: 'user',
      sourceId: 'U',
      targetId: 'u-1',
      before: { departmentIds: ['A'], mainDepartmentId: 'A' },
      after: { departmentIds: [], mainDepartmentId: null },
    };
    expect(resolveAction(move, () => undefined, null)).toEqual({ action: 'UpdateUser', id: 'u-1', changes: { departmentIds: [], mainDepartmentId: null } });
    // Under a root the main department is left to the vendor.
    expect(resolveAction(move, () => undefined, '1')).toEqual({ action: 'UpdateUser', id: 'u-1', changes: { departmentIds: ['1'] } });
  });

  it('refuses a target that cannot be written', () => {
    expect(() => planSync(input({ source: { departments: [], users: [] }, target: { departments: [], users: [] }, capabilities: { ...allCapabilities, write: false } }))).toThrow(/cannot write/);
  });
});

describe('planSync at scale', () => {
  it('plans 100k users in 5k departments without quadratic work', () => {
    const departments = Array.from({ length: 5000 }, (_, i) => dept(`d${i}`, i === 0 ? null : `d${Math.floor((i - 1) / 5)}`));
    const users = Array.from({ length: 100_000 }, (_, i) =>
      person(`u${i}`, { employeeNumber: `E${i}`, departmentIds: [`d${i % 5000}`], managerId: i === 0 ? null : `u${Math.floor((i - 1) / 8)}` }),
    );
    // The same directory under other ids, nothing linked yet.
    const t = (id: string | null): string | null => (id === null ? null : `t-${id}`);
    const target = {
      departments: departments.map((d) => ({ ...d, id: `t-${d.id}`, parentId: t(d.parentId) })),
      users: users.map((u) => ({ ...u, id: `t-${u.id}`, departmentIds: u.departmentIds.map((d) => `t-${d}`), managerId: t(u.managerId) })),
    };
    const started = Date.now();
    const adopted = planSync(input({ source: { departments, users }, target })); // all matched by rules
    const elapsed = Date.now() - started;
    expect(adopted.newLinks).toHaveLength(105_000);
    expect(adopted.actions.length).toBe(0);
    // ~0.7 s of CPU on one core; the bound is loose for busy CI machines, tight enough to catch O(n²).
    expect(elapsed).toBeLessThan(8000);
  });
});

describe('planSync with bad source data', () => {
  it('fails departments in a parent cycle and their members, and deletes nothing they hold', () => {
    const plan = planSync(
      input({
        source: { departments: [dept('A', 'B'), dept('B', 'A')], users: [person('U', { departmentIds: ['A'] })] },
        target: { departments: [dept('t-A', null)], users: [person('t-U', { departmentIds: ['t-A'] })] },
        links: [link('department', 'A', 't-A'), link('user', 'U', 't-U')],
      }),
    );
    expect(plan.actions).toEqual([]);
    expect(plan.failed.map((f) => f.key).sort()).toEqual(['department:A:Match', 'department:B:Match', 'user:U:Department']);
  });
});

describe('planSync with mapping failures', () => {
  it('holds the failed person’s account and offboards no unlinked account this run', () => {
    const plan = planSync(
      input({
        source: { departments: [], users: [] }, // 'bad' was dropped by mapUsers
        target: { departments: [], users: [person('t-bad'), person('t-stranger'), person('t-left')] },
        links: [link('user', 'bad', 't-bad'), link('user', 'left', 't-left')],
        sourceFailures: [{ entity: 'user', sourceId: 'bad', field: 'email', reason: 'email: expression failed: boom' }],
      }),
    );
    expect(plan.actions.map((a) => a.key)).toEqual(['user:left:DisableUser']);
    expect(plan.failed).toEqual([expect.objectContaining({ key: 'user:bad:Mapping', targetId: 't-bad' })]);
  });
});

describe('planSync attributes', () => {
  const source = { departments: [dept('d1', null, { name: 'R&D' })], users: [person('u1', { departmentIds: ['d1'], mainDepartmentId: 'd1', attributes: { costCenter: 'CC-7', employeeType: 2 } })] };
  const target = { departments: [dept('t-d1', null, { name: 'R&D' })], users: [person('t-u1', { username: 'user-u1', name: 'Name u1', departmentIds: ['t-d1'], mainDepartmentId: 't-d1' })] };
  const links = [link('department', 'd1', 't-d1'), link('user', 'u1', 't-u1')];

  it('compares only the attributes the target keeps, so the second run stays empty', () => {
    const keepsNone = planSync(input({ source, target, links, capabilities: { ...allCapabilities, attributes: undefined } }));
    expect(keepsNone.actions.filter((a) => a.kind === 'UpdateUser')).toEqual([]);
    const keepsOne = planSync(input({ source, target, links, capabilities: { ...allCapabilities, attributes: ['employeeType'] } }));
    expect(keepsOne.actions.filter((a) => a.kind === 'UpdateUser').map((a) => (a.entity === 'user' ? a.after?.attributes : undefined))).toEqual([{ costCenter: 'CC-7', employeeType: 2 }]);
  });
});
