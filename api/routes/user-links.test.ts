// GET /users/:id/links: a person's link in every app, per task: the remote id, the link's status
// (linked, not linked, last write failed, deletion pending), when a write about them last reached
// the app, and the task's last run. Never a secret, never another person's rows.
import { describeOnBothDatabases } from '../../test/support/databases';
import { pendingDeletions, runItems, syncRuns, syncTasks, taskLinks } from '../../db/schema';
import { startTestApi, type TestApi } from '../testing';

describeOnBothDatabases('API: a person\'s links in every app', (ctx) => {
  let api: TestApi;
  const get = (url: string) => api.as('approver', { method: 'GET', url: `/api/v1${url}` });
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 8, minute));

  beforeAll(async () => {
    api = await startTestApi(ctx.database);
    for (const user of [
      { id: 'alice', username: 'alice', name: 'Alice', email: 'alice@example.com' },
      { id: 'bob', username: 'bob', name: 'Bob', email: 'bob@example.com' },
    ]) expect((await api.as('operator', { method: 'POST', url: '/api/v1/users', payload: user })).statusCode).toBe(201);
    const db = ctx.database.db;
    const task = (id: string, name: string, direction: 'upstream' | 'downstream', connectorKind: string, enabled = true) => ({
      id, name, direction, connectorKind, enabled,
      config: { name, direction, connector: { kind: connectorKind, settings: {} } } as never,
      secretsSealed: 'sealed-secret-never-shown',
    });
    await db.insert(syncTasks).values([
      task('t-wecom', 'Hub to WeCom', 'downstream', 'wecom'),
      task('t-feishu', 'Hub to Feishu', 'downstream', 'feishu'),
      task('t-ldap', 'Hub to AD', 'downstream', 'ldap', false),
      task('t-dingtalk', 'Hub to DingTalk', 'downstream', 'dingtalk'),
      task('t-hr', 'HR to hub', 'upstream', 'csv'),
      task('t-other-hr', 'Other HR to hub', 'upstream', 'csv'),
      { ...task('t-gone', 'Deleted task', 'downstream', 'wecom'), deletedAt: at(0) },
    ]);
    await db.insert(taskLinks).values([
      { taskId: 't-wecom', entity: 'user', sourceId: 'alice', targetId: 'wx-alice' },
      { taskId: 't-wecom', entity: 'user', sourceId: 'bob', targetId: 'wx-bob' },
      { taskId: 't-feishu', entity: 'user', sourceId: 'alice', targetId: 'ou_alice' },
      { taskId: 't-dingtalk', entity: 'user', sourceId: 'alice', targetId: 'dt-alice' },
      // a department's link with the same id is not the person's
      { taskId: 't-ldap', entity: 'department', sourceId: 'alice', targetId: 'ou=alice' },
      // upstream: the source's id ↔ the hub id
      { taskId: 't-hr', entity: 'user', sourceId: 'HR-001', targetId: 'alice' },
      { taskId: 't-gone', entity: 'user', sourceId: 'alice', targetId: 'old-alice' },
    ]);
    await db.insert(syncRuns).values([
      { id: 'r-wecom-1', taskId: 't-wecom', trigger: 'manual', status: 'succeeded', startedAt: at(1), finishedAt: at(2) },
      { id: 'r-wecom-2', taskId: 't-wecom', trigger: 'schedule', status: 'succeeded', startedAt: at(10), finishedAt: at(11) },
      // a dry run applies nothing: it is neither the last run nor the last write
      { id: 'r-wecom-dry', taskId: 't-wecom', trigger: 'manual', status: 'succeeded', dryRun: true, startedAt: at(20), finishedAt: at(21) },
      { id: 'r-feishu-1', taskId: 't-feishu', trigger: 'manual', status: 'succeeded', startedAt: at(3), finishedAt: at(4) },
      { id: 'r-feishu-2', taskId: 't-feishu', trigger: 'realtime', status: 'partially_failed', startedAt: at(12), finishedAt: at(13) },
      { id: 'r-dingtalk-1', taskId: 't-dingtalk', trigger: 'manual', status: 'succeeded', startedAt: at(5), finishedAt: at(6) },
      { id: 'r-hr-1', taskId: 't-hr', trigger: 'schedule', status: 'succeeded', startedAt: at(7), finishedAt: at(8) },
    ]);
    const item = (runId: string, seq: number, sourceId: string, targetId: string | null, action: string, status: 'succeeded' | 'failed' | 'staged', finishedAt: Date | null, error?: string) => ({
      runId, seq, batch: 0, key: `user:${sourceId}`, action, entity: 'user' as const, sourceId, targetId, displayName: sourceId,
      status, payload: {}, before: null, after: null, finishedAt,
      ...(error ? { errorCode: '60104', errorMessage: error } : {}),
    });
    await db.insert(runItems).values([
      item('r-wecom-1', 0, 'alice', null, 'CreateUser', 'succeeded', at(2)),
      item('r-wecom-1', 1, 'bob', null, 'CreateUser', 'succeeded', at(2)),
      item('r-wecom-2', 0, 'alice', 'wx-alice', 'UpdateUser', 'succeeded', at(11)),
      item('r-wecom-dry', 0, 'alice', 'wx-alice', 'UpdateUser', 'failed', null, 'dry'),
      item('r-feishu-1', 0, 'alice', null, 'CreateUser', 'succeeded', at(4)),
      item('r-feishu-2', 0, 'alice', 'ou_alice', 'UpdateUser', 'failed', at(13), 'mobile exists: +8613800000000'),
      item('r-dingtalk-1', 0, 'alice', 'dt-alice', 'DeleteUser', 'staged', null),
      item('r-hr-1', 0, 'HR-001', 'alice', 'UpdateUser', 'succeeded', at(8)),
    ]);
    await db.insert(pendingDeletions).values([
      { id: 'pd-alice', taskId: 't-dingtalk', runId: 'r-dingtalk-1', runItemId: 1, action: 'DeleteUser', entity: 'user', sourceId: 'alice', targetId: 'dt-alice', displayName: 'Alice', reason: 'deletion protection', status: 'PENDING' },
    ]);
  });
  afterAll(async () => {
    await api?.app.close();
  });

  it("lists every app the person is linked in, or could be: remote id, status, last write, the task's last run", async () => {
    const res = await get('/users/alice/links');
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('sealed-secret-never-shown');
    expect(res.json()).toEqual({
      total: 5,
      limit: 50,
      offset: 0,
      items: [
        {
          taskId: 't-ldap', taskName: 'Hub to AD', direction: 'downstream', connectorKind: 'ldap', enabled: false,
          remoteId: null, linkedAt: null, status: 'not_linked', lastSyncedAt: null, lastItem: null, lastRun: null,
        },
        {
          taskId: 't-dingtalk', taskName: 'Hub to DingTalk', direction: 'downstream', connectorKind: 'dingtalk', enabled: true,
          remoteId: 'dt-alice', linkedAt: expect.any(String), status: 'pending_deletion', lastSyncedAt: null,
          lastItem: { runId: 'r-dingtalk-1', action: 'DeleteUser', status: 'staged', errorCode: null, errorMessage: null, finishedAt: null },
          lastRun: { id: 'r-dingtalk-1', trigger: 'manual', status: 'succeeded', startedAt: at(5).toISOString(), finishedAt: at(6).toISOString() },
        },
        {
          taskId: 't-feishu', taskName: 'Hub to Feishu', direction: 'downstream', connectorKind: 'feishu', enabled: true,
          remoteId: 'ou_alice', linkedAt: expect.any(String), status: 'failed', lastSyncedAt: at(4).toISOString(),
          lastItem: { runId: 'r-feishu-2', action: 'UpdateUser', status: 'failed', errorCode: '60104', errorMessage: 'mobile exists: +8613800000000', finishedAt: at(13).toISOString() },
          lastRun: { id: 'r-feishu-2', trigger: 'realtime', status: 'partially_failed', startedAt: at(12).toISOString(), finishedAt: at(13).toISOString() },
        },
        {
          taskId: 't-wecom', taskName: 'Hub to WeCom', direction: 'downstream', connectorKind: 'wecom', enabled: true,
          remoteId: 'wx-alice', linkedAt: expect.any(String), status: 'linked', lastSyncedAt: at(11).toISOString(),
          lastItem: { runId: 'r-wecom-2', action: 'UpdateUser', status: 'succeeded', errorCode: null, errorMessage: null, finishedAt: at(11).toISOString() },
          lastRun: { id: 'r-wecom-2', trigger: 'schedule', status: 'succeeded', startedAt: at(10).toISOString(), finishedAt: at(11).toISOString() },
        },
        {
          taskId: 't-hr', taskName: 'HR to hub', direction: 'upstream', connectorKind: 'csv', enabled: true,
          remoteId: 'HR-001', linkedAt: expect.any(String), status: 'linked', lastSyncedAt: at(8).toISOString(),
          lastItem: { runId: 'r-hr-1', action: 'UpdateUser', status: 'succeeded', errorCode: null, errorMessage: null, finishedAt: at(8).toISOString() },
          lastRun: { id: 'r-hr-1', trigger: 'schedule', status: 'succeeded', startedAt: at(7).toISOString(), finishedAt: at(8).toISOString() },
        },
      ],
    });
  });

  it("another person's links are their own: bob is linked in WeCom only, and not linked in the other apps", async () => {
    const res = await get('/users/bob/links');
    expect(res.statusCode).toBe(200);
    const rows = (res.json() as { items: { taskId: string; status: string; remoteId: string | null; lastItem: { runId: string } | null }[] }).items;
    expect(rows.map((r) => [r.taskId, r.status, r.remoteId, r.lastItem?.runId ?? null])).toEqual([
      ['t-ldap', 'not_linked', null, null],
      ['t-dingtalk', 'not_linked', null, null],
      ['t-feishu', 'not_linked', null, null],
      ['t-wecom', 'linked', 'wx-bob', 'r-wecom-1'],
    ]);
  });

  it('pages the tasks: a hub with many apps answers a page at a time, the total beside it', async () => {
    const first = (await get('/users/alice/links?limit=2')).json() as { items: { taskId: string; status: string }[]; total: number; limit: number; offset: number };
    expect({ ids: first.items.map((l) => l.taskId), total: first.total, limit: first.limit }).toEqual({ ids: ['t-ldap', 't-dingtalk'], total: 5, limit: 2 });
    const last = (await get('/users/alice/links?limit=2&offset=4')).json() as typeof first;
    expect(last.items.map((l) => [l.taskId, l.status])).toEqual([['t-hr', 'linked']]);
    const bad = await get('/users/alice/links?limit=501');
    expect({ status: bad.statusCode, field: bad.json().field }).toEqual({ status: 400, field: 'limit' });
  });

  it('404 for a person the hub does not hold', async () => {
    const res = await get('/users/ghost/links');
    expect(res.statusCode).toBe(404);
  });
});
