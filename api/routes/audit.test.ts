// GET /api/v1/audit (admin; the RBAC matrix checks the other roles): filters by actor, entity
// (type or type:id), action and time window, newest first, paged; bad filters name their field.
import { describeOnBothDatabases } from '../../test/support/databases';
import { startTestApi, type TestApi } from '../testing';

describeOnBothDatabases('audit log API', (ctx) => {
  let api: TestApi;
  let deptId: string;
  let start: string;
  beforeAll(async () => {
    api = await startTestApi(ctx.database);
    start = new Date(Date.now() - 1000).toISOString();
    const created = await api.as('operator', { method: 'POST', url: '/api/v1/departments', payload: { name: 'Audited', parentId: null } });
    deptId = created.json().id;
    await api.as('bootstrap', { method: 'PATCH', url: `/api/v1/departments/${deptId}`, payload: { name: 'Audited twice' } });
  });
  afterAll(async () => {
    await api?.app.close();
  });

  it('answers who changed this department, newest first, with before and after', async () => {
    const res = await api.as('admin', { method: 'GET', url: `/api/v1/audit?entity=department:${deptId}` });
    expect(res.statusCode).toBe(200);
    const page = res.json();
    expect(page).toMatchObject({ total: 2, limit: 50, offset: 0 });
    expect(page.items.map((e: { action: string }) => e.action)).toEqual(['department.update', 'department.create']);
    expect(page.items[0]).toMatchObject({ actor: 'bootstrap-admin', entityType: 'department', entityId: deptId, before: { name: 'Audited' }, after: { name: 'Audited twice' } });
    expect(page.items[1]).toMatchObject({ actor: expect.stringMatching(/^token:test-operator:/), before: null });
  });

  it('filters by actor, entity type, action and time window, and pages', async () => {
    const q = async (query: string) => (await api.as('admin', { method: 'GET', url: `/api/v1/audit?${query}` })).json();
    expect((await q(`actor=bootstrap-admin&entity=department:${deptId}`)).items).toHaveLength(1);
    expect((await q(`entity=department&action=department.create&from=${encodeURIComponent(start)}`)).items.map((e: { entityId: string }) => e.entityId)).toContain(deptId);
    expect((await q(`entity=department:${deptId}&to=${encodeURIComponent(start)}`)).total).toBe(0);
    const first = await q(`entity=department:${deptId}&limit=1`);
    const second = await q(`entity=department:${deptId}&limit=1&offset=1`);
    expect([first.items[0].action, second.items[0].action]).toEqual(['department.update', 'department.create']);
    expect(first.total).toBe(2);
  });

  it('refuses bad filters naming the field', async () => {
    const badFrom = await api.as('admin', { method: 'GET', url: '/api/v1/audit?from=yesterday' });
    expect(badFrom.statusCode).toBe(400);
    expect(badFrom.json()).toMatchObject({ field: 'from' });
    const backwards = await api.as('admin', { method: 'GET', url: `/api/v1/audit?from=${encodeURIComponent(new Date().toISOString())}&to=${encodeURIComponent(start)}` });
    expect(backwards.json()).toMatchObject({ field: 'from' });
    const badLimit = await api.as('admin', { method: 'GET', url: '/api/v1/audit?limit=0' });
    expect(badLimit.json()).toMatchObject({ field: 'limit' });
    const operator = await api.as('operator', { method: 'GET', url: '/api/v1/audit' });
    expect(operator.statusCode).toBe(403);
  });
});
