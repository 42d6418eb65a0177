import { describeOnBothDatabases } from '../../test/support/databases';
import { createAuditLog } from '../../db/repos/audit-log';
import { ownedHubUserIds } from '../../db/repos/hub-ownership';
import type { ChangeEvent, DirectoryPage, User } from '../../engine/model';
import { VendorError } from '../errors';
import { createHubConnector } from './index';

function user(id: string, overrides: Partial<User> = {}): User {
  return {
    id, username: id, name: id.toUpperCase(), email: null, mobile: null, employeeNumber: null, title: null,
    departmentIds: [], mainDepartmentId: null, managerId: null, status: 'active', attributes: {}, ...overrides,
  };
}

async function collect(pages: AsyncIterable<DirectoryPage>): Promise<DirectoryPage[]> {
  const out: DirectoryPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

async function vendorError(promise: Promise<unknown>): Promise<VendorError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(VendorError);
  return error as VendorError;
}

describeOnBothDatabases('hub connector', (ctx) => {
  const events: ChangeEvent[] = [];
  const connector = () => createHubConnector({ database: ctx.database, actor: 'sync:task-1', onChange: (e) => void events.push(...e), userPageSize: 2 });

  it('declares every capability but webhooks, and keeps any attribute', () => {
    expect(connector().kind).toBe('hub');
    expect(connector().capabilities).toEqual({
      read: true, write: true, disableUser: true, deleteUser: true, deleteDepartment: true, manager: true, departmentLeader: true, realtimeEvents: false, attributes: 'any',
    });
  });

  it('applies every operation, audited as the run, and reads the result back', async () => {
    const hub = connector();
    expect(await hub.apply({ action: 'CreateDepartment', department: { id: 'd-root', name: 'Company', parentId: null, order: 0, leaderIds: [] } })).toEqual({ externalId: 'd-root' });
    const generated = await hub.apply({ action: 'CreateDepartment', department: { id: '', name: 'R&D', parentId: 'd-root', order: 1, leaderIds: [] } });
    expect(generated.externalId).toMatch(/^[0-9a-f-]{36}$/);
    const rd = generated.externalId!;
    await hub.apply({ action: 'CreateUser', user: user('u-boss', { departmentIds: [rd], mainDepartmentId: rd, email: 'boss@example.com' }) });
    for (const id of ['u-a', 'u-b', 'u-c']) await hub.apply({ action: 'CreateUser', user: user(id, { departmentIds: [rd], managerId: 'u-boss' }) });
    await hub.apply({ action: 'UpdateDepartment', id: rd, changes: { name: 'Research', leaderIds: ['u-boss'] } });
    await hub.apply({ action: 'UpdateUser', id: 'u-a', changes: { title: 'Engineer', departmentIds: ['d-root', rd], mainDepartmentId: 'd-root' } });
    await hub.apply({ action: 'DisableUser', id: 'u-b' });
    await hub.apply({ action: 'DisableUser', id: 'u-c' });
    await hub.apply({ action: 'EnableUser', id: 'u-c' });
    await hub.apply({ action: 'DeleteUser', id: 'u-c' });

    const pages = await collect(hub.readSnapshot());
    expect(pages[0].users).toEqual([]);
    expect(pages[0].departments.map((d) => d.id).sort()).toEqual(['d-root', rd].sort());
    expect(pages.slice(1).map((p) => p.users.map((u) => u.id))).toEqual([['u-a', 'u-b'], ['u-boss']]);
    expect(pages.slice(1).every((p) => p.departments.length === 0)).toBe(true);

    const read = await hub.readByIds({ departmentIds: [rd, 'gone'], userIds: ['u-a', 'u-b', 'u-c'] });
    expect(read.departments).toEqual([{ id: rd, name: 'Research', parentId: 'd-root', order: 1, leaderIds: ['u-boss'] }]);
    expect(read.users.find((u) => u.id === 'u-a')).toEqual(user('u-a', { title: 'Engineer', departmentIds: ['d-root', rd], mainDepartmentId: 'd-root', managerId: 'u-boss' }));
    expect(read.users.find((u) => u.id === 'u-b')?.status).toBe('disabled');
    expect(read.missing).toEqual({ departmentIds: ['gone'], userIds: ['u-c'] });

    const audit = await createAuditLog(ctx.database.db).list({ actor: 'sync:task-1' });
    expect(audit.total).toBe(12);
    expect(events.filter((e) => e.id === 'u-c').map((e) => e.kind)).toEqual(['created', 'updated', 'updated', 'deleted']);
  });

  it('retried creates and deletes are harmless', async () => {
    const hub = connector();
    const op = { action: 'CreateUser' as const, user: user('u-retry', { name: 'First try' }) };
    await hub.apply(op);
    await hub.apply({ ...op, user: { ...op.user, name: 'Second try' } });
    const { users } = await hub.readByIds({ departmentIds: [], userIds: ['u-retry'] });
    expect(users).toEqual([user('u-retry', { name: 'Second try' })]);
    await hub.apply({ action: 'DeleteUser', id: 'u-retry' });
    await expect(hub.apply({ action: 'DeleteUser', id: 'u-retry' })).resolves.toEqual({});
    await expect(hub.apply({ action: 'DeleteDepartment', id: 'never-existed' })).resolves.toEqual({});
  });

  it('surfaces repository refusals as permanent vendor errors naming the field', async () => {
    const hub = connector();
    const invalid = await vendorError(hub.apply({ action: 'CreateUser', user: user('u-bad', { email: 'not-mail' }) }));
    expect(invalid).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_input' });
    expect(invalid.vendorMessage).toMatch(/^email: /);
    const cycle = await vendorError(hub.apply({ action: 'UpdateUser', id: 'u-boss', changes: { managerId: 'u-a' } }));
    expect(cycle).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_input', vendorMessage: expect.stringMatching(/^managerId: /) });
    const duplicate = await vendorError(hub.apply({ action: 'CreateUser', user: user('u-dup', { email: 'BOSS@example.com' }) }));
    expect(duplicate).toMatchObject({ kind: 'permanent', vendorCode: 'conflict', vendorMessage: expect.stringMatching(/^email: /) });
    const orphaning = await vendorError(hub.apply({ action: 'DeleteDepartment', id: 'd-root' }));
    expect(orphaning).toMatchObject({ kind: 'permanent', vendorCode: 'conflict' });
    const missing = await vendorError(hub.apply({ action: 'DisableUser', id: 'ghost' }));
    expect(missing).toMatchObject({ kind: 'permanent', vendorCode: 'not_found' });
    expect((await hub.readByIds({ departmentIds: [], userIds: ['u-bad', 'u-dup'] })).users).toEqual([]);
  });

  it('an upstream task’s creates belong to it; a retried create adopts a person nobody owns, never another source’s', async () => {
    const owned = (taskId: string) => ownedHubUserIds(ctx.database.db, taskId);
    const hr = createHubConnector({ database: ctx.database, actor: 'sync:hr', ownerTaskId: 'hr' });
    await hr.apply({ action: 'CreateUser', user: user('own-1') });
    await connector().apply({ action: 'CreateUser', user: user('own-2') });
    expect([...(await owned('hr'))]).toEqual(['own-1']);
    await hr.apply({ action: 'CreateUser', user: user('own-2', { title: 'again' }) });
    const wecom = createHubConnector({ database: ctx.database, actor: 'sync:wecom', ownerTaskId: 'wecom' });
    await wecom.apply({ action: 'CreateUser', user: user('own-1', { title: 'again' }) });
    expect([...(await owned('hr'))].sort()).toEqual(['own-1', 'own-2']);
    expect([...(await owned('wecom'))]).toEqual([]);
  });
});
