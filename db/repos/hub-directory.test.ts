import { describeOnBothDatabases } from '../../test/support/databases';
import type { ChangeEvent } from '../../engine/model';
import { createAuditLog } from './audit-log';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { createHubDirectory, type HubDirectory } from './hub-directory';

const actor = 'test-actor';

async function expectError(promise: Promise<unknown>, type: typeof ValidationError | typeof ConflictError, field?: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  if (field !== undefined) expect((error as { field?: string }).field).toBe(field);
  return error as Error;
}

describeOnBothDatabases('hub directory repository', (ctx) => {
  let hub: HubDirectory;
  const events: ChangeEvent[] = [];

  beforeAll(() => {
    hub = createHubDirectory(ctx.database.db, { onChange: (e) => void events.push(...e) });
  });

  it('creates a tree and users, and rejects bad references naming the field', async () => {
    const root = await hub.createDepartment({ id: 'root', name: 'Company' }, actor);
    const rd = await hub.createDepartment({ name: ' R&D ', parentId: root.id, order: 2 }, actor);
    expect(rd).toEqual({ id: expect.any(String), name: 'R&D', parentId: 'root', order: 2, leaderIds: [] });
    const web = await hub.createDepartment({ id: 'web', name: 'Web', parentId: rd.id }, actor);

    await expectError(hub.createDepartment({ name: 'X', parentId: 'nope' }, actor), ValidationError, 'parentId');
    await expectError(hub.createDepartment({ name: 'Web', parentId: rd.id }, actor), ConflictError, 'name');
    await expectError(hub.updateDepartment(root.id, { parentId: web.id }, actor), ValidationError, 'parentId');
    await expectError(hub.updateDepartment(rd.id, { parentId: rd.id }, actor), ValidationError, 'parentId');
    await expectError(hub.createDepartment({ name: 'L', leaderIds: ['ghost'] }, actor), ValidationError, 'leaderIds.0');

    const alice = await hub.createUser(
      { id: 'alice', username: 'Alice', name: 'Alice', email: 'Alice@Example.com', mobile: ' +8613800000000 ', employeeNumber: 'E1', departmentIds: [rd.id], mainDepartmentId: rd.id },
      actor,
    );
    expect(alice.mobile).toBe('+8613800000000');
    const bob = await hub.createUser({ id: 'bob', username: 'bob', name: 'Bob', mobile: '13800000001', managerId: alice.id, departmentIds: [web.id] }, actor);
    expect(bob.mobile).toBe('+8613800000001');

    await expectError(hub.createUser({ username: 'ALICE', name: 'x' }, actor), ConflictError, 'username');
    await expectError(hub.createUser({ username: 'c', name: 'x', email: 'alice@example.COM' }, actor), ConflictError, 'email');
    await expectError(hub.createUser({ username: 'c', name: 'x', mobile: '+8613800000000' }, actor), ConflictError, 'mobile');
    await expectError(hub.createUser({ username: 'c', name: 'x', mobile: '+86 138 0000 0001' }, actor), ConflictError, 'mobile');
    await expectError(hub.createUser({ username: 'c', name: 'x', employeeNumber: 'E1' }, actor), ConflictError, 'employeeNumber');
    await expectError(hub.createUser({ username: 'c', name: 'x', email: 'not-an-email' }, actor), ValidationError, 'email');
    await expectError(hub.createUser({ username: 'c', name: 'x', mobile: '12345' }, actor), ValidationError, 'mobile');
    await expectError(hub.createUser({ username: 'c', name: 'x', departmentIds: [rd.id, 'ghost'] }, actor), ValidationError, 'departmentIds.1');
    await expectError(hub.createUser({ username: 'c', name: 'x', departmentIds: [rd.id], mainDepartmentId: web.id }, actor), ValidationError, 'mainDepartmentId');
    await expectError(hub.createUser({ username: 'c', name: 'x', managerId: 'ghost' }, actor), ValidationError, 'managerId');
    await expectError(hub.updateUser(alice.id, { managerId: bob.id }, actor), ValidationError, 'managerId');
    await expectError(hub.updateUser(alice.id, { managerId: alice.id }, actor), ValidationError, 'managerId');
    await expect(hub.updateUser('ghost', { name: 'x' }, actor)).rejects.toBeInstanceOf(NotFoundError);

    // renaming your own email's case is not a duplicate of yourself
    await expect(hub.updateUser(alice.id, { email: 'alice@example.com' }, actor)).resolves.toMatchObject({ email: 'alice@example.com' });
  });

  it('refuses deletes that would orphan members, sub-departments, reports or led departments', async () => {
    const rdId = (await hub.listDepartments({ q: 'r&d' })).items[0].id;
    await expectError(hub.deleteDepartment('root', actor), ConflictError);
    await expectError(hub.deleteDepartment(rdId, actor), ConflictError);
    const error = await expectError(hub.deleteUser('alice', actor), ConflictError);
    expect(error.message).toContain('bob');
    await hub.updateDepartment('web', { leaderIds: ['bob'] }, actor);
    expect((await expectError(hub.deleteUser('bob', actor), ConflictError)).message).toContain('Web');
  });

  it('offboards idempotently, with one audit row', async () => {
    const audit = createAuditLog(ctx.database.db);
    const first = await hub.offboard('bob', 'hr-admin');
    const second = await hub.offboard('bob', 'hr-admin');
    expect(first.status).toBe('disabled');
    expect(second).toEqual(first);
    const rows = await audit.list({ entityId: 'bob', action: 'user.offboard' });
    expect(rows.total).toBe(1);
    expect(rows.items[0]).toMatchObject({ actor: 'hr-admin', before: { status: 'active' }, after: { status: 'disabled' } });
  });

  it('lists with paging and filters', async () => {
    for (let i = 0; i < 5; i++) await hub.createUser({ username: `user${i}`, name: `User ${i}`, departmentIds: ['root'], status: i % 2 ? 'disabled' : 'active' }, actor);
    const page = await hub.listUsers({ limit: 2, offset: 1 });
    expect(page.total).toBe(7);
    expect(page.items).toHaveLength(2);
    expect((await hub.listUsers({ departmentId: 'root' })).total).toBe(5);
    expect((await hub.listUsers({ departmentId: 'root', includeSubDepartments: true })).total).toBe(7);
    expect((await hub.listUsers({ status: 'disabled' })).total).toBe(3);
    expect((await hub.listUsers({ q: 'EXAMPLE' })).items.map((u) => u.id)).toEqual(['alice']);
    expect((await hub.listUsers({ q: '13800000001' })).items.map((u) => u.id)).toEqual(['bob']);
    expect((await hub.listDepartments({ parentId: null })).items.map((d) => d.id)).toEqual(['root']);
    expect((await hub.listDepartments({ parentId: 'root' })).total).toBe(1);

    const seen: string[] = [];
    for (let after: string | null = null; ; ) {
      const users = await hub.listUsersPage(after, 3);
      if (!users.length) break;
      seen.push(...users.map((u) => u.id));
      after = users[users.length - 1].id;
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    expect((await hub.getUsersByIds(['alice', 'ghost'])).map((u) => u.id)).toEqual(['alice']);
    expect((await hub.getDepartmentsByIds(['web', 'root', 'web'])).map((d) => d.id).sort()).toEqual(['root', 'web']);
    expect(await hub.listAllDepartments()).toHaveLength(3);
  });

  it('reports change events after commit, and none for a refused write', async () => {
    events.length = 0;
    const user = await hub.createUser({ username: 'evented', name: 'E' }, actor);
    await hub.createUser({ username: 'evented', name: 'E' }, actor).catch(() => undefined);
    await hub.deleteUser(user.id, actor);
    expect(events.map((e) => [e.entity, e.id, e.kind])).toEqual([
      ['user', user.id, 'created'],
      ['user', user.id, 'deleted'],
    ]);
    expect(events[0].eventId).toMatch(/^audit:\d+:user:/);
  });

  // Creates, field updates and offboardings share the hub write lock (db/repos/sql.ts); what others check stays exclusive.
  it('concurrent manager changes that would close a cycle together: exactly one is refused, every time', async () => {
    for (let i = 0; i < 10; i++) {
      const a = await hub.createUser({ username: `cycle-a${i}`, name: 'A' }, actor);
      const b = await hub.createUser({ username: `cycle-b${i}`, name: 'B' }, actor);
      const results = await Promise.allSettled([hub.updateUser(a.id, { managerId: b.id }, actor), hub.updateUser(b.id, { managerId: a.id }, actor)]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    }
  });

  it('a department deleted while people are created into it never leaves a person in a missing department', async () => {
    for (let i = 0; i < 10; i++) {
      const department = await hub.createDepartment({ name: `Racing ${i}` }, actor);
      await Promise.allSettled([
        ...Array.from({ length: 4 }, (_, j) => hub.createUser({ username: `racer-${i}-${j}`, name: 'R', departmentIds: [department.id] }, actor)),
        hub.deleteDepartment(department.id, actor),
      ]);
      const kept = (await hub.getDepartmentsByIds([department.id])).length === 1;
      const members = (await hub.listUsers({ departmentId: department.id, limit: 10 })).items;
      if (!kept) expect(members).toEqual([]);
    }
  });

  it('concurrent updates of different fields of one person both land (no lost update)', async () => {
    for (let i = 0; i < 10; i++) {
      const person = await hub.createUser({ username: `both-${i}`, name: 'Before', title: 'Before' }, actor);
      await Promise.all([hub.updateUser(person.id, { title: 'New title' }, actor), hub.updateUser(person.id, { name: 'New name' }, actor), hub.offboard(person.id, actor)]);
      expect(await hub.getUser(person.id)).toMatchObject({ title: 'New title', name: 'New name', status: 'disabled' });
    }
  });

  it('a duplicate names the field and the user who holds it', async () => {
    await hub.createUser({ username: 'holder', name: 'H', email: 'held@example.com', employeeNumber: 'HELD-1' }, actor);
    const email = await expectError(hub.createUser({ username: 'other', name: 'O', email: 'HELD@example.com' }, actor), ConflictError, 'email');
    expect(email.message).toBe('email is already used by user holder');
    const number = await expectError(hub.createUser({ username: 'other', name: 'O', employeeNumber: 'HELD-1' }, actor), ConflictError, 'employeeNumber');
    expect(number.message).toBe('employeeNumber is already used by user holder');
  });

  it('concurrent creates of one username: one wins, the rest are refused naming username', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => hub.createUser({ username: 'Same.Person', name: 'S' }, actor)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(r.reason).toBeInstanceOf(ConflictError);
      expect((r.reason as ConflictError).field).toBe('username');
    }
  });
});
