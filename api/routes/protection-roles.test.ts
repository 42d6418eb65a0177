// Separation of duties over the API on both databases (issue 10.9): only an admin may weaken or
// change deletion protection, runs record who asked for them, and on a task that requires a second
// approver the requester of a run cannot execute its staged deletions.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { createApiTokens } from '../../db/repos/api-tokens';
import { pendingDeletions, syncRuns } from '../../db/schema';
import { createSecretBox } from '../../db/secret-box';
import { describeOnBothDatabases } from '../../test/support/databases';
import { REQUESTERS_OVERFLOW } from '../../workflows/pending-runs';
import { auditActor } from '../auth';
import type { TemporalControl } from '../temporal-control';
import { startTestApi, testAdminToken, type TestApi } from '../testing';

const unique = () => randomBytes(4).toString('hex');
const wecomTask = (extra: object = {}) => ({
  name: `Hub to WeCom ${unique()}`,
  direction: 'downstream',
  connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:18081/cgi-bin', corpId: `ww-${unique()}` }, secrets: { corpSecret: `s-${unique()}` } },
  ...extra,
});

interface RecordedCall {
  method: keyof TemporalControl;
  args: unknown[];
}

function recordingTemporal(): TemporalControl & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    ensureTask: async () => undefined,
    requestRun: async (...args) => (calls.push({ method: 'requestRun', args }), { runId: `run-${unique()}`, coalesced: false }),
    removeTask: async () => undefined,
    runProgress: async () => undefined,
    signalApproval: async (...args) => (calls.push({ method: 'signalApproval', args }), 'signaled'),
    decideApproval: async (...args) => (calls.push({ method: 'decideApproval', args }), { accepted: args[1].ids.length, refused: [] }),
    approvalItemsChanged: async (...args) => void calls.push({ method: 'approvalItemsChanged', args }),
  };
}

const weakenings: [string, object][] = [
  ['offboarding', { offboarding: 'delete' }],
  ['deletionProtection', { deletionProtection: { mode: 'threshold', minCount: 1_000_000_000 } }],
  ['massOffboardingGuard', { massOffboardingGuard: { maxDisablePercent: 100 } }],
  ['requireSecondApprover', { requireSecondApprover: true }],
];

describeOnBothDatabases('who may change deletion protection, and who may approve', (ctx) => {
  let api: TestApi;
  let temporal: ReturnType<typeof recordingTemporal>;
  const principals = {} as Record<'admin' | 'operator' | 'approver', string>;
  const db = () => ctx.database.db;

  beforeAll(async () => {
    temporal = recordingTemporal();
    api = await startTestApi(ctx.database, { secretBox: createSecretBox(randomBytes(32)), temporal });
    const tokens = createApiTokens(db());
    for (const role of ['admin', 'operator', 'approver'] as const) principals[role] = auditActor((await tokens.verify(api.tokens[role]))!);
  });
  afterAll(async () => api?.app.close());

  const create = (role: 'admin' | 'operator', body: object) => api.as(role, { method: 'POST', url: '/api/v1/sync-tasks', payload: body });
  const patch = (role: 'admin' | 'operator', id: string, body: object) => api.as(role, { method: 'PATCH', url: `/api/v1/sync-tasks/${id}`, payload: body });

  it.each(weakenings)('refuses an operator changing %s with 403 naming the field, on create and on PATCH; an admin may', async (field, change) => {
    const created = await create('operator', wecomTask(change));
    expect(created.statusCode).toBe(403);
    expect(created.json()).toMatchObject({ error: 'forbidden', field, message: expect.stringContaining(field) });

    const task = (await create('operator', wecomTask())).json();
    const patched = await patch('operator', task.id, change);
    expect(patched.statusCode).toBe(403);
    expect(patched.json()).toMatchObject({ error: 'forbidden', field });
    expect((await api.as('operator', { method: 'GET', url: `/api/v1/sync-tasks/${task.id}` })).json().config).toEqual(task.config);

    expect((await patch('admin', task.id, change)).statusCode).toBe(200);
    expect((await create('admin', wecomTask(change))).statusCode).toBe(201);
  });

  it('lets an operator write the defaults explicitly and edit everything else, also on a task an admin protected differently', async () => {
    const defaults = { offboarding: 'disable', deletionProtection: { mode: 'always' }, massOffboardingGuard: { maxDisablePercent: 20 }, requireSecondApprover: false };
    expect((await create('operator', wecomTask(defaults))).statusCode).toBe(201);
    const task = (await create('admin', wecomTask({ offboarding: 'delete', requireSecondApprover: true }))).json();
    expect(task.config).toMatchObject({ offboarding: 'delete', requireSecondApprover: true });
    const renamed = await patch('operator', task.id, { name: `renamed ${unique()}`, offboarding: 'delete' });
    expect(renamed.statusCode).toBe(200);
    // Turning the second approver off again is a change too.
    expect((await patch('operator', task.id, { requireSecondApprover: false })).json()).toMatchObject({ error: 'forbidden', field: 'requireSecondApprover' });
  });

  it('records the requester of a run: the principal goes to Temporal and the run row shows it', async () => {
    const task = (await create('operator', wecomTask())).json();
    temporal.calls.length = 0;
    expect((await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${task.id}/runs`, payload: {} })).statusCode).toBe(202);
    const bootstrap = await api.app.inject({ method: 'POST', url: `/api/v1/sync-tasks/${task.id}/runs`, payload: {}, headers: { authorization: `Bearer ${testAdminToken}` } });
    expect(bootstrap.statusCode).toBe(202);
    expect(temporal.calls.map((c) => c.args[1])).toEqual([
      { dryRun: undefined, requestedBy: principals.operator },
      { dryRun: undefined, requestedBy: 'bootstrap-admin' },
    ]);
    // Only the principal's name and id travel: never the token.
    expect(JSON.stringify(temporal.calls)).not.toContain(api.tokens.operator);

    const runId = `run-${unique()}`;
    await db().insert(syncRuns).values({ id: runId, taskId: task.id, trigger: 'manual', status: 'succeeded', requestedBy: [principals.operator, 'schedule'] });
    expect((await api.as('approver', { method: 'GET', url: `/api/v1/runs/${runId}` })).json()).toMatchObject({ id: runId, requestedBy: [principals.operator, 'schedule'] });
    expect((await api.as('approver', { method: 'GET', url: `/api/v1/sync-tasks/${task.id}/runs` })).json().items[0]).toMatchObject({ requestedBy: [principals.operator, 'schedule'] });
  });

  describe('second approver', () => {
    let nextRunItem = 1; // one pending deletion per run item (pending_deletions_run_item_uq)
    const staged = (id: string, taskId: string, runId: string) => ({ id, taskId, runId, runItemId: nextRunItem++, action: 'DeleteUser', entity: 'user' as const, targetId: `t-${id}`, reason: 'deletion protection', status: 'PENDING' as const });
    let guardedRun: string;
    let plainRun: string;

    beforeAll(async () => {
      const guarded = (await create('admin', wecomTask({ requireSecondApprover: true }))).json();
      const plain = (await create('admin', wecomTask())).json();
      guardedRun = `run-g-${unique()}`;
      plainRun = `run-p-${unique()}`;
      await db()
        .insert(syncRuns)
        .values([
          { id: guardedRun, taskId: guarded.id, trigger: 'manual', status: 'succeeded', requestedBy: [principals.admin] },
          { id: plainRun, taskId: plain.id, trigger: 'manual', status: 'succeeded', requestedBy: [principals.admin] },
        ]);
      await db()
        .insert(pendingDeletions)
        .values([staged(`${guardedRun}-1`, guarded.id, guardedRun), staged(`${guardedRun}-2`, guarded.id, guardedRun), staged(`${plainRun}-1`, plain.id, plainRun)]);
    });

    it('refuses, per id, the requester executing its own run’s deletions; others of the same call go through', async () => {
      temporal.calls.length = 0;
      const res = await api.as('admin', { method: 'POST', url: '/api/v1/pending-deletions/execute', payload: { ids: [`${guardedRun}-1`, `${plainRun}-1`, 'missing'] } });
      expect(res.statusCode).toBe(200);
      expect(res.json().results).toEqual([
        { id: `${guardedRun}-1`, result: 'requester_may_not_approve' },
        { id: `${plainRun}-1`, result: 'accepted' },
        { id: 'missing', result: 'not_found' },
      ]);
      expect(temporal.calls).toEqual([
        { method: 'decideApproval', args: [expect.objectContaining({ runId: plainRun }), { action: 'execute', ids: [`${plainRun}-1`], actor: principals.admin }] },
      ]);
      const [row] = await db().select().from(pendingDeletions).where(eq(pendingDeletions.id, `${guardedRun}-1`));
      expect(row.status).toBe('PENDING');
    });

    it('takes the approver only from the authenticated principal: a client-supplied actor is refused', async () => {
      temporal.calls.length = 0;
      const res = await api.as('approver', { method: 'POST', url: '/api/v1/pending-deletions/execute', payload: { ids: [`${guardedRun}-1`], actor: principals.approver.replace('approver', 'someone') } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'validation_failed', field: 'actor' });
      expect(temporal.calls).toEqual([]);
    });

    it('refuses everyone on a guarded task when the requesters are unknown: no run row, none recorded, or past the cap', async () => {
      const guardedTask = (await db().select().from(syncRuns).where(eq(syncRuns.id, guardedRun)))[0].taskId;
      const plainTask = (await db().select().from(syncRuns).where(eq(syncRuns.id, plainRun)))[0].taskId;
      const [noRecord, overflow] = [`run-n-${unique()}`, `run-o-${unique()}`];
      await db()
        .insert(syncRuns)
        .values([
          { id: noRecord, taskId: guardedTask, trigger: 'manual', status: 'succeeded', requestedBy: null },
          { id: overflow, taskId: guardedTask, trigger: 'manual', status: 'succeeded', requestedBy: [principals.admin, REQUESTERS_OVERFLOW] },
        ]);
      const missingRun = `run-m-${unique()}`;
      await db()
        .insert(pendingDeletions)
        .values([staged(`${missingRun}-1`, guardedTask, missingRun), staged(`${noRecord}-1`, guardedTask, noRecord), staged(`${overflow}-1`, guardedTask, overflow), staged(`${missingRun}-p`, plainTask, missingRun)]);
      temporal.calls.length = 0;
      const ids = [`${missingRun}-1`, `${noRecord}-1`, `${overflow}-1`, `${missingRun}-p`];
      const res = await api.as('approver', { method: 'POST', url: '/api/v1/pending-deletions/execute', payload: { ids } });
      expect(res.json().results).toEqual([
        { id: `${missingRun}-1`, result: 'requester_may_not_approve' },
        { id: `${noRecord}-1`, result: 'requester_may_not_approve' },
        { id: `${overflow}-1`, result: 'requester_may_not_approve' },
        // A task without the rule does not care who asked.
        { id: `${missingRun}-p`, result: 'accepted' },
      ]);
      expect(temporal.calls.map((c) => (c.args[1] as { ids: string[] }).ids)).toEqual([[`${missingRun}-p`]]);
    });

    it('lets another approver execute, and the requester cancel', async () => {
      temporal.calls.length = 0;
      const byOther = await api.as('approver', { method: 'POST', url: '/api/v1/pending-deletions/execute', payload: { ids: [`${guardedRun}-1`] } });
      expect(byOther.json().results).toEqual([{ id: `${guardedRun}-1`, result: 'accepted' }]);
      const cancel = await api.as('admin', { method: 'POST', url: '/api/v1/pending-deletions/cancel', payload: { ids: [`${guardedRun}-2`] } });
      expect(cancel.json().results).toEqual([{ id: `${guardedRun}-2`, result: 'accepted' }]);
      const decided = temporal.calls.map((c) => [(c.args[0] as { runId: string }).runId, (c.args[1] as { action: string; ids: string[] }).action, (c.args[1] as { ids: string[] }).ids]);
      expect(decided).toEqual([
        [guardedRun, 'execute', [`${guardedRun}-1`]],
        [guardedRun, 'cancel', [`${guardedRun}-2`]],
      ]);
    });
  });
});
