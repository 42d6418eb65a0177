// PUT /users/:id/source: handing a hub person from one upstream source to another (admin only).
import { syncTasks } from '../../db/schema';
import { describeOnBothDatabases } from '../../test/support/databases';
import { startTestApi, type TestApi } from '../testing';

describeOnBothDatabases('API: a hub person’s source', (ctx) => {
  let api: TestApi;
  const put = (role: 'admin' | 'operator', id: string, payload: unknown) =>
    api.as(role, { method: 'PUT', url: `/api/v1/users/${id}/source`, payload: payload as object });

  beforeAll(async () => {
    api = await startTestApi(ctx.database);
    const row = (id: string, direction: 'upstream' | 'downstream') => ({ id, name: id, direction, connectorKind: 'csv', config: {} as never, secretsSealed: 'x' });
    await ctx.database.db.insert(syncTasks).values([row('hr', 'upstream'), row('down', 'downstream')]);
    expect((await api.as('operator', { method: 'POST', url: '/api/v1/users', payload: { id: 'p1', username: 'p1', name: 'P One' } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await api?.app.close();
  });

  it('hands the person to an upstream task and back to no source', async () => {
    const handed = await put('admin', 'p1', { sourceTaskId: 'hr' });
    expect([handed.statusCode, handed.json()]).toEqual([200, { id: 'p1', sourceTaskId: 'hr' }]);
    expect((await put('admin', 'p1', { sourceTaskId: null })).json()).toEqual({ id: 'p1', sourceTaskId: null });
  });

  it('refuses an operator, a downstream task, an unknown task or person, naming the field', async () => {
    expect((await put('operator', 'p1', { sourceTaskId: 'hr' })).statusCode).toBe(403);
    const downstream = await put('admin', 'p1', { sourceTaskId: 'down' });
    expect(downstream.statusCode).toBe(400);
    expect(JSON.stringify(downstream.json())).toContain('sourceTaskId');
    expect((await put('admin', 'p1', { sourceTaskId: 'nope' })).statusCode).toBe(400);
    expect((await put('admin', 'p1', {})).statusCode).toBe(400);
    expect((await put('admin', 'ghost', { sourceTaskId: 'hr' })).statusCode).toBe(404);
  });
});
