import { count } from 'drizzle-orm';
import { describeOnBothDatabases } from '../../test/support/databases';
import { auditLog, hubUsers } from '../../db/schema';
import { createAuditLog } from '../../db/repos/audit-log';
import { startTestApi, type TestApi } from '../testing';

describeOnBothDatabases('API: hub departments and users', (ctx) => {
  let api: TestApi;
  const post = (url: string, payload: unknown) => api.as('operator', { method: 'POST', url: `/api/v1${url}`, payload: payload as object });
  const patch = (url: string, payload: unknown) => api.as('operator', { method: 'PATCH', url: `/api/v1${url}`, payload: payload as object });
  const get = (url: string) => api.as('approver', { method: 'GET', url: `/api/v1${url}` });
  const del = (url: string) => api.as('operator', { method: 'DELETE', url: `/api/v1${url}` });
  const auditCount = async () => (await ctx.database.db.select({ n: count() }).from(auditLog))[0].n;

  beforeAll(async () => {
    api = await startTestApi(ctx.database);
    // root ─ rd ─ web ; root ─ sales
    expect((await post('/departments', { id: 'root', name: 'Company' })).statusCode).toBe(201);
    expect((await post('/departments', { id: 'rd', name: 'R&D', parentId: 'root', order: 1 })).statusCode).toBe(201);
    expect((await post('/departments', { id: 'web', name: 'Web', parentId: 'rd' })).statusCode).toBe(201);
    expect((await post('/departments', { id: 'sales', name: 'Sales', parentId: 'root', order: 2 })).statusCode).toBe(201);
    const alice = await post('/users', {
      id: 'alice', username: 'alice', name: 'Alice', email: 'alice@example.com', mobile: '+8613800000000',
      employeeNumber: 'E001', departmentIds: ['rd'], mainDepartmentId: 'rd',
    });
    expect(alice.statusCode).toBe(201);
    const bob = await post('/users', { id: 'bob', username: 'bob', name: 'Bob', mobile: '13800000001', departmentIds: ['web'], managerId: 'alice' });
    expect(bob.statusCode).toBe(201);
    expect(bob.json()).toEqual({
      id: 'bob', username: 'bob', name: 'Bob', email: null, mobile: '+8613800000001', employeeNumber: null, title: null,
      departmentIds: ['web'], mainDepartmentId: null, managerId: 'alice', status: 'active', attributes: {},
    });
  });
  afterAll(async () => {
    await api?.app.close();
  });

  describe('400 names the field', () => {
    it.each([
      ['POST', '/users', { username: 'c', name: 'C', email: 'nope' }, 'email'],
      ['POST', '/users', { username: 'c', name: 'C', email: 42 }, 'email'],
      ['POST', '/users', { username: 'c', name: 'C', mobile: '555-1234' }, 'mobile'],
      ['POST', '/users', { username: 'c', name: 'C', departmentIds: ['rd', 'ghost'] }, 'departmentIds.1'],
      ['POST', '/users', { username: 'c', name: 'C', departmentIds: ['rd', ''] }, 'departmentIds.1'],
      ['POST', '/users', { username: 'c', name: 'C', departmentIds: ['rd'], mainDepartmentId: 'web' }, 'mainDepartmentId'],
      ['POST', '/users', { username: 'c', name: 'C', managerId: 'ghost' }, 'managerId'],
      ['POST', '/users', { username: '   ', name: 'C' }, 'username'],
      ['POST', '/users', { name: 'C' }, 'username'],
      ['POST', '/users', { username: 'c', name: 'C', status: 'gone' }, 'status'],
      ['POST', '/users', { username: 'c', name: 'C', nickname: 'cc' }, 'nickname'],
      ['PATCH', '/users/alice', { managerId: 'bob' }, 'managerId'],
      ['PATCH', '/users/alice', { managerId: 'alice' }, 'managerId'],
      ['PATCH', '/users/alice', { mainDepartmentId: 'sales' }, 'mainDepartmentId'],
      ['POST', '/departments', { name: 'X', parentId: 'ghost' }, 'parentId'],
      ['POST', '/departments', { name: '' }, 'name'],
      ['POST', '/departments', { name: 'X', leaderIds: ['ghost'] }, 'leaderIds.0'],
      ['POST', '/departments', { name: 'X', order: 1.5 }, 'order'],
      ['PATCH', '/departments/rd', { parentId: 'web' }, 'parentId'],
      ['PATCH', '/departments/rd', { parentId: 'rd' }, 'parentId'],
    ] as const)('%s %s %j → %s', async (method, url, payload, field) => {
      const before = await auditCount();
      const res = await (method === 'POST' ? post(url, payload) : patch(url, payload));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'validation_failed', field, message: expect.any(String) });
      expect(await auditCount()).toBe(before);
    });

    it('names body for a body that is not JSON, or missing', async () => {
      const broken = await api.as('operator', { method: 'POST', url: '/api/v1/users', payload: '{"username":', headers: { 'content-type': 'application/json' } });
      expect(broken.statusCode).toBe(400);
      expect(broken.json()).toMatchObject({ error: 'validation_failed', field: 'body' });
      const text = await api.as('operator', { method: 'POST', url: '/api/v1/users', payload: 'username=c', headers: { 'content-type': 'text/plain' } });
      expect(text.json()).toMatchObject({ error: 'validation_failed', field: 'body' });
      const xml = await api.as('operator', { method: 'POST', url: '/api/v1/users', payload: '<u/>', headers: { 'content-type': 'application/xml' } });
      expect(xml.json()).toMatchObject({ error: 'validation_failed', field: 'body' });
      const missing = await api.as('operator', { method: 'POST', url: '/api/v1/departments' });
      expect(missing.json()).toMatchObject({ error: 'validation_failed', field: 'body' });
    });

    it('names the query parameter', async () => {
      expect((await get('/users?limit=0')).json()).toMatchObject({ error: 'validation_failed', field: 'limit' });
      expect((await get('/users?status=gone')).json()).toMatchObject({ field: 'status' });
      expect((await get('/departments?topLevel=yes')).json()).toMatchObject({ field: 'topLevel' });
    });
  });

  describe('mobiles', () => {
    it.each([
      ['+86 13800000011', '+8613800000011'],
      ['86-13800000012', '+8613800000012'],
      ['138 0000 0013', '+8613800000013'],
      ['+852 9123 4567', '+85291234567'],
    ])('%j is stored as E.164 %s, on create and on update', async (written, stored) => {
      const username = `m${stored.slice(-4)}`;
      const created = await post('/users', { username, name: 'M', mobile: written });
      expect(created.statusCode).toBe(201);
      expect(created.json().mobile).toBe(stored);
      expect((await patch(`/users/${created.json().id}`, { mobile: null })).json().mobile).toBeNull();
      expect((await patch(`/users/${created.json().id}`, { mobile: written })).json().mobile).toBe(stored);
      expect((await del(`/users/${created.json().id}`)).statusCode).toBe(204);
    });
  });

  describe('409 conflicts', () => {
    it.each([
      [{ username: 'ALICE', name: 'A2' }, 'username'],
      [{ username: 'a2', name: 'A2', email: 'Alice@Example.COM' }, 'email'],
      [{ username: 'a2', name: 'A2', mobile: '+8613800000000' }, 'mobile'],
      // the same number written another way is the same number
      [{ username: 'a2', name: 'A2', mobile: '+86 138 0000 0000' }, 'mobile'],
      [{ username: 'a2', name: 'A2', mobile: '13800000000' }, 'mobile'],
      [{ username: 'a2', name: 'A2', employeeNumber: 'E001' }, 'employeeNumber'],
      [{ id: 'alice', username: 'a2', name: 'A2' }, 'id'],
    ])('duplicate user %j → %s', async (payload, field) => {
      const res = await post('/users', payload);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ error: 'conflict', field, message: expect.any(String) });
    });

    it('refuses a duplicate sibling name, but allows it under another parent', async () => {
      expect((await post('/departments', { name: 'Web', parentId: 'rd' })).json()).toMatchObject({ error: 'conflict', field: 'name' });
      expect((await patch('/departments/sales', { name: 'R&D' })).json()).toMatchObject({ error: 'conflict', field: 'name' });
      const cousin = await post('/departments', { name: 'Web', parentId: 'sales' });
      expect(cousin.statusCode).toBe(201);
      expect(cousin.json().id).toMatch(/^[0-9a-f-]{36}$/);
      expect((await del(`/departments/${cousin.json().id}`)).statusCode).toBe(204);
    });

    it('refuses to delete a department with members or sub-departments', async () => {
      const withChildren = await del('/departments/root');
      expect(withChildren.statusCode).toBe(409);
      expect(withChildren.json().message).toMatch(/sub-department/);
      expect((await del('/departments/web')).json()).toMatchObject({ error: 'conflict', message: expect.stringMatching(/1 member/) });
    });

    it('refuses to delete a user who manages someone or leads a department, naming them', async () => {
      const manager = await del('/users/alice');
      expect(manager.statusCode).toBe(409);
      expect(manager.json().message).toContain('bob');
      expect((await patch('/departments/sales', { leaderIds: ['bob'] })).statusCode).toBe(200);
      const leader = await del('/users/bob');
      expect(leader.statusCode).toBe(409);
      expect(leader.json().message).toContain('Sales');
      expect((await patch('/departments/sales', { leaderIds: [] })).statusCode).toBe(200);
    });
  });

  it('404s unknown ids', async () => {
    for (const res of [await get('/users/ghost'), await get('/departments/ghost'), await patch('/users/ghost', { name: 'x' }), await del('/departments/ghost'), await post('/users/ghost/offboard', undefined)]) {
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: 'not_found' });
    }
  });

  it('audits create, update, offboard and delete with actor and before/after, and reports hub changes', async () => {
    const audit = createAuditLog(ctx.database.db);
    api.hubEvents.length = 0;
    const created = await post('/users', { username: 'carol', name: 'Carol', departmentIds: ['sales'], mainDepartmentId: 'sales' });
    const id = created.json().id as string;
    const updated = await patch(`/users/${id}`, { title: 'Account manager', email: 'carol@example.com' });
    expect(updated.json()).toMatchObject({ title: 'Account manager', email: 'carol@example.com', username: 'carol' });
    expect((await post(`/users/${id}/offboard`, undefined)).json()).toMatchObject({ status: 'disabled' });
    expect((await post(`/users/${id}/offboard`, undefined)).json()).toMatchObject({ status: 'disabled' });
    expect((await del(`/users/${id}`)).statusCode).toBe(204);
    expect((await get(`/users/${id}`)).statusCode).toBe(404);

    const rows = (await audit.list({ entityType: 'user', entityId: id })).items.reverse();
    expect(rows.map((r) => r.action)).toEqual(['user.create', 'user.update', 'user.offboard', 'user.delete']);
    expect(rows.every((r) => /^token:test-operator:/.test(r.actor))).toBe(true);
    expect(rows[0]).toMatchObject({ before: null, after: { username: 'carol', status: 'active' } });
    expect(rows[1]).toMatchObject({ before: { title: null, email: null }, after: { title: 'Account manager', email: 'carol@example.com' } });
    expect(rows[2]).toMatchObject({ before: { status: 'active' }, after: { status: 'disabled' } });
    expect(rows[3]).toMatchObject({ before: { username: 'carol', status: 'disabled' }, after: null });
    expect(api.hubEvents.map((e) => e.kind)).toEqual(['created', 'updated', 'updated', 'deleted']);

    const deptRows = (await audit.list({ entityType: 'department', entityId: 'rd' })).items;
    expect(deptRows.at(-1)).toMatchObject({ action: 'department.create', after: { id: 'rd', name: 'R&D', parentId: 'root' } });
  });

  it('moves a department and records before/after', async () => {
    const moved = await patch('/departments/web', { parentId: 'sales', order: 5 });
    expect(moved.json()).toEqual({ id: 'web', name: 'Web', parentId: 'sales', order: 5, leaderIds: [] });
    const [row] = (await createAuditLog(ctx.database.db).list({ entityId: 'web', action: 'department.update' })).items;
    expect(row).toMatchObject({ before: { parentId: 'rd', order: 0 }, after: { parentId: 'sales', order: 5 } });
    expect((await patch('/departments/web', { parentId: 'rd', order: 0 })).statusCode).toBe(200);
  });

  it('pages and filters', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await post('/users', { username: `pager${i}`, name: `Pager ${i}`, employeeNumber: `P${i}`, departmentIds: [i < 3 ? 'web' : 'sales'], status: i === 0 ? 'disabled' : 'active' });
      expect(res.statusCode).toBe(201);
    }
    const all = (await get('/users?limit=500')).json();
    expect(all.total).toBe(8);
    const page = (await get('/users?limit=3&offset=3')).json();
    expect(page).toMatchObject({ total: 8, limit: 3, offset: 3 });
    expect(page.items.map((u: { id: string }) => u.id)).toEqual(all.items.slice(3, 6).map((u: { id: string }) => u.id));

    expect((await get('/users?departmentId=web')).json().total).toBe(4);
    expect((await get('/users?departmentId=rd')).json().total).toBe(1);
    expect((await get('/users?departmentId=rd&includeSubDepartments=true')).json().total).toBe(5);
    expect((await get('/users?departmentId=root&includeSubDepartments=true')).json().total).toBe(8);
    expect((await get('/users?status=disabled')).json().items.map((u: { username: string }) => u.username)).toEqual(['pager0']);
    expect((await get('/users?q=PAGER')).json().total).toBe(6);
    expect((await get('/users?q=p3')).json().items.map((u: { username: string }) => u.username)).toEqual(['pager3']);
    expect((await get('/users?q=8613800000000')).json().items.map((u: { id: string }) => u.id)).toEqual(['alice']);
    expect((await get('/users?q=%25')).json().total).toBe(0);
    expect((await get('/users?departmentId=web&status=active&q=pager')).json().total).toBe(2);

    expect((await get('/departments?topLevel=true')).json().items.map((d: { id: string }) => d.id)).toEqual(['root']);
    expect((await get('/departments?parentId=root')).json().items.map((d: { id: string }) => d.id)).toEqual(['rd', 'sales']);
    expect((await get('/departments?q=r%26d')).json().items.map((d: { id: string }) => d.id)).toEqual(['rd']);
    expect((await get('/departments?limit=2&offset=1')).json()).toMatchObject({ total: 4, limit: 2, offset: 1 });
  });

  it('leaves nothing half-written when a write is refused', async () => {
    const before = { audit: await auditCount(), users: (await ctx.database.db.select({ n: count() }).from(hubUsers))[0].n };
    const res = await patch('/users/bob', { name: 'Robert', email: 'ALICE@example.com' });
    expect(res.statusCode).toBe(409);
    expect((await get('/users/bob')).json().name).toBe('Bob');
    expect(await auditCount()).toBe(before.audit);
    expect((await ctx.database.db.select({ n: count() }).from(hubUsers))[0].n).toBe(before.users);
  });
});
