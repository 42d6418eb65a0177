// Sync tasks, runs and pending deletions over the API on both databases, with Temporal replaced by
// a recording TemporalControl (the real Temporal side is in api/sync-temporal.test.ts).
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { eq } from 'drizzle-orm';
import { auditLog, pendingDeletions, runItems, syncRuns, syncTasks } from '../../db/schema';
import { createSecretBox } from '../../db/secret-box';
import { describeOnBothDatabases } from '../../test/support/databases';
import type { TemporalControl } from '../temporal-control';
import { startTestApi, type TestApi } from '../testing';

const corpSecret = `corp-secret-${randomBytes(8).toString('hex')}`;
const rotatedSecret = `rotated-secret-${randomBytes(8).toString('hex')}`;
const aesKey = `aes-key-${randomBytes(8).toString('hex')}`;
const secretValues = [corpSecret, rotatedSecret, aesKey];

const wecomTask = (corpId = 'ww0001') => ({
  name: 'Hub to WeCom',
  direction: 'downstream',
  connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:18081/cgi-bin', corpId }, secrets: { corpSecret, callbackEncodingAesKey: aesKey } },
  fieldMapping: [
    { target: 'position', source: 'title' },
    { target: 'email', expression: '$lowercase(email)' },
  ],
  triggers: { manual: true, schedule: { every: 'daily', at: '02:00', timezone: 'Asia/Shanghai' }, realtime: false },
});

interface RecordedCall {
  method: keyof TemporalControl;
  args: unknown[];
}

/** Decisions answer like the approval workflow's Update, or as a first-version workflow ('v1': signalled). */
function recordingTemporal(approval: 'update' | 'v1' = 'update'): TemporalControl & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  let runs = 0;
  return {
    calls,
    ensureTask: async (...args) => void calls.push({ method: 'ensureTask', args }),
    requestRun: async (...args) => (calls.push({ method: 'requestRun', args }), { runId: `run-${++runs}`, coalesced: false }),
    removeTask: async (...args) => void calls.push({ method: 'removeTask', args }),
    runProgress: async () => undefined,
    signalApproval: async (...args) => (calls.push({ method: 'signalApproval', args }), 'signaled'),
    decideApproval: async (...args) => (calls.push({ method: 'decideApproval', args }), approval === 'v1' ? 'v1' : { accepted: args[1].ids.length, refused: [] }),
    approvalItemsChanged: async (...args) => void calls.push({ method: 'approvalItemsChanged', args }),
  };
}

describeOnBothDatabases('sync task, run and pending-deletion routes', (ctx) => {
  let api: TestApi;
  let temporal: ReturnType<typeof recordingTemporal>;
  const logLines: string[] = [];
  const responses: string[] = [];
  const secretBox = createSecretBox(randomBytes(32));

  beforeAll(async () => {
    temporal = recordingTemporal();
    const stream = new Writable({ write: (chunk, _enc, done) => (logLines.push(String(chunk)), done()) });
    api = await startTestApi(ctx.database, { secretBox, temporal, logger: { level: 'debug', stream } });
    api.app.addHook('onSend', async (_request, _reply, payload) => {
      if (typeof payload === 'string') responses.push(payload);
      return payload;
    });
  });
  afterAll(async () => api?.app.close());

  const db = () => ctx.database.db;
  const createTask = async (body: unknown = wecomTask()) => {
    const res = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks', payload: body as object });
    expect(res.statusCode).toBe(201);
    return res.json();
  };

  it('creates a task: public config with the vendor field translated, secret names only, mirrored into Temporal', async () => {
    const task = await createTask();
    expect(task).toMatchObject({ name: 'Hub to WeCom', direction: 'downstream', connectorKind: 'wecom', enabled: true, status: 'never_run', hasSecrets: ['callbackEncodingAesKey', 'corpSecret'] });
    expect(task.config.fieldMapping[0]).toEqual({ target: 'title', source: 'title' });
    expect(task.config.connector).toEqual({ kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:18081/cgi-bin', corpId: 'ww0001' } });
    const ensured = temporal.calls.filter((c) => c.method === 'ensureTask').at(-1)!.args[0];
    expect(ensured).toEqual({ id: task.id, direction: 'downstream', connectorKind: 'wecom', enabled: true, schedule: expect.objectContaining({ every: 'daily', timezone: 'Asia/Shanghai' }) });
    const [row] = await db().select().from(syncTasks).where(eq(syncTasks.id, task.id));
    expect(secretBox.open(row.secretsSealed)).toEqual({ corpSecret, callbackEncodingAesKey: aesKey });
    expect(JSON.stringify(row.config)).not.toContain(corpSecret);
  });

  it.each([
    ['a schedule that does not parse', { triggers: { schedule: { every: 'daily', at: '25:00' } } }, 'triggers.schedule.at'],
    ['a cron that does not parse', { triggers: { schedule: { cron: 'every day' } } }, 'triggers.schedule.cron'],
    ['an expression that does not compile', { fieldMapping: [{ target: 'email', expression: '$lowercase(' }] }, 'fieldMapping.0.expression'],
    ['an unknown field', { colour: 'red' }, 'colour'],
    ['an unknown mapping target', { fieldMapping: [{ target: 'shoeSize', source: 'title' }] }, 'fieldMapping.0.target'],
  ])('refuses %s with 400 naming the field, on create and on PATCH', async (_what, change, field) => {
    const created = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks', payload: { ...wecomTask('ww-bad'), ...change } });
    expect(created.statusCode).toBe(400);
    expect(created.json()).toMatchObject({ error: 'validation_failed', field, issues: expect.arrayContaining([expect.objectContaining({ field })]) });

    const task = await createTask(wecomTask(`ww-${randomBytes(3).toString('hex')}`));
    const patched = await api.as('operator', { method: 'PATCH', url: `/api/v1/sync-tasks/${task.id}`, payload: change });
    expect(patched.statusCode).toBe(400);
    expect(patched.json()).toMatchObject({ error: 'validation_failed', field });
    // Nothing half-written: the stored task is unchanged.
    expect((await api.as('operator', { method: 'GET', url: `/api/v1/sync-tasks/${task.id}` })).json().config).toEqual(task.config);
  });

  it('refuses the same app as both upstream and downstream (400 naming connector), on create and PATCH', async () => {
    await createTask(wecomTask('ww-shared'));
    const up = { name: 'WeCom feeds the hub', direction: 'upstream', connector: { kind: 'wecom', settings: { corpId: 'ww-shared' }, secrets: { corpSecret } } };
    const res = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks', payload: up });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field: 'connector', message: expect.stringContaining('both upstream and downstream') });
    expect(res.body).not.toContain(corpSecret);

    const other = await createTask({ ...up, connector: { ...up.connector, settings: { corpId: 'ww-other' } } });
    const patched = await api.as('operator', { method: 'PATCH', url: `/api/v1/sync-tasks/${other.id}`, payload: { connector: { settings: { corpId: 'ww-shared' } } } });
    expect(patched.statusCode).toBe(400);
    expect(patched.json().field).toBe('connector');
  });

  it('patches by merge: rotates one secret, keeps the other, and tells Temporal', async () => {
    const task = await createTask(wecomTask('ww-patch'));
    temporal.calls.length = 0;
    const res = await api.as('operator', { method: 'PATCH', url: `/api/v1/sync-tasks/${task.id}`, payload: { name: 'Renamed', connector: { secrets: { corpSecret: rotatedSecret } }, triggers: { schedule: { cron: '0 */4 * * *' } } } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Renamed', hasSecrets: ['callbackEncodingAesKey', 'corpSecret'], config: { triggers: { schedule: { cron: '0 */4 * * *', timezone: 'UTC' } } } });
    const [row] = await db().select().from(syncTasks).where(eq(syncTasks.id, task.id));
    expect(secretBox.open(row.secretsSealed)).toEqual({ corpSecret: rotatedSecret, callbackEncodingAesKey: aesKey });
    expect(temporal.calls).toEqual([{ method: 'ensureTask', args: [expect.objectContaining({ id: task.id, schedule: { cron: '0 */4 * * *', timezone: 'UTC' } })] }]);
  });

  it('enables and disables (audited), refuses runs of a disabled task, and deletes softly keeping run history', async () => {
    const task = await createTask(wecomTask('ww-life'));
    const disabled = await api.as('admin', { method: 'POST', url: `/api/v1/sync-tasks/${task.id}/disable` });
    expect(disabled.json()).toMatchObject({ enabled: false, status: 'disabled', config: { enabled: false } });
    expect(temporal.calls.at(-1)).toEqual({ method: 'ensureTask', args: [expect.objectContaining({ id: task.id, enabled: false })] });
    expect((await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${task.id}/runs`, payload: {} })).statusCode).toBe(409);
    expect((await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${task.id}/enable` })).json()).toMatchObject({ enabled: true, status: 'never_run' });

    const run = await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${task.id}/runs`, payload: { dryRun: true } });
    expect(run.statusCode).toBe(202);
    expect(run.json()).toEqual({ runId: expect.any(String), coalesced: false });
    expect(temporal.calls.at(-1)).toEqual({ method: 'requestRun', args: [expect.objectContaining({ id: task.id }), { dryRun: true, requestedBy: expect.stringMatching(/^token:test-operator:/) }] });

    await db().insert(syncRuns).values({ id: `hist-${task.id}`, taskId: task.id, trigger: 'manual', status: 'succeeded' });
    expect((await api.as('operator', { method: 'DELETE', url: `/api/v1/sync-tasks/${task.id}` })).statusCode).toBe(204);
    expect(temporal.calls.at(-1)).toEqual({ method: 'removeTask', args: [task.id] });
    expect((await api.as('operator', { method: 'GET', url: `/api/v1/sync-tasks/${task.id}` })).statusCode).toBe(404);
    const history = await api.as('approver', { method: 'GET', url: `/api/v1/sync-tasks/${task.id}/runs` });
    expect(history.json()).toMatchObject({ total: 1, items: [{ id: `hist-${task.id}` }] });
    const actions = (await db().select().from(auditLog).where(eq(auditLog.entityId, task.id))).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['sync_task.create', 'sync_task.disable', 'sync_task.enable', 'sync_task.delete']));
  });

  it('undoes a create when Temporal cannot take the task: 503, no task left behind', async () => {
    const failing = await startTestApi(ctx.database, {
      secretBox,
      temporal: { ...recordingTemporal(), ensureTask: async () => Promise.reject(new Error('connection refused')) },
    });
    try {
      const res = await failing.as('operator', { method: 'POST', url: '/api/v1/sync-tasks', payload: wecomTask('ww-unreachable') });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ error: 'temporal_unavailable', message: expect.stringContaining('connection refused') });
      const rows = await db().select().from(syncTasks);
      expect(rows.filter((r) => r.config.connector.settings.corpId === 'ww-unreachable')).toEqual([]);
      expect((await db().select().from(auditLog).where(eq(auditLog.action, 'sync_task.create_rolled_back'))).length).toBe(1);
    } finally {
      await failing.app.close();
    }
  });

  it('lets every role read, and only admin and operator write', async () => {
    expect((await api.as('approver', { method: 'POST', url: '/api/v1/sync-tasks', payload: wecomTask('ww-roles') })).statusCode).toBe(403);
    expect((await api.as('approver', { method: 'GET', url: '/api/v1/sync-tasks' })).statusCode).toBe(200);
    expect((await api.as('operator', { method: 'POST', url: '/api/v1/pending-deletions/execute', payload: { ids: ['x'] } })).statusCode).toBe(403);
  });

  it('derives the status from runs and staged deletions', async () => {
    const task = await createTask(wecomTask('ww-status'));
    const status = async () => (await api.as('operator', { method: 'GET', url: `/api/v1/sync-tasks/${task.id}` })).json();
    const started = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));
    await db().insert(syncRuns).values({ id: `${task.id}-1`, taskId: task.id, trigger: 'manual', status: 'succeeded', startedAt: started(1) });
    expect((await status()).status).toBe('succeeded');
    await db().insert(pendingDeletions).values({ id: `${task.id}-pd`, taskId: task.id, runId: `${task.id}-1`, runItemId: 1, action: 'DeleteUser', entity: 'user', targetId: 'u1', reason: 'deletion protection', status: 'PENDING' });
    expect((await status()).status).toBe('pending_deletions');
    await db().insert(syncRuns).values({ id: `${task.id}-2`, taskId: task.id, trigger: 'schedule', status: 'failed', error: 'corpsecret refused (40001)', startedAt: started(2) });
    expect(await status()).toMatchObject({ status: 'failed', lastError: 'corpsecret refused (40001)', lastRun: { id: `${task.id}-2` } });
    // A later dry run neither hides the failure nor counts as the last run.
    await db().insert(syncRuns).values({ id: `${task.id}-3`, taskId: task.id, trigger: 'manual', status: 'succeeded', dryRun: true, startedAt: started(3) });
    expect((await status()).status).toBe('failed');
    await db().insert(syncRuns).values({ id: `${task.id}-4`, taskId: task.id, trigger: 'manual', status: 'running', startedAt: started(4) });
    expect((await status()).status).toBe('running');
  });

  it("shows a failed run's failure class in the run and the task's run list; runs from before it show null", async () => {
    const task = await createTask(wecomTask('ww-failure-class'));
    const started = (s: number) => new Date(Date.UTC(2025, 0, 2, 0, 0, s));
    await db().insert(syncRuns).values({ id: `${task.id}-old`, taskId: task.id, trigger: 'schedule', status: 'failed', error: '40001 invalid credential', startedAt: started(1) });
    await db().insert(syncRuns).values({ id: `${task.id}-auth`, taskId: task.id, trigger: 'schedule', status: 'failed', error: 'E1234 computer says no', failureClass: 'auth', startedAt: started(2) });
    const run = (await api.as('approver', { method: 'GET', url: `/api/v1/runs/${task.id}-auth` })).json();
    expect(run).toMatchObject({ status: 'failed', failureClass: 'auth' });
    const listed = (await api.as('approver', { method: 'GET', url: `/api/v1/sync-tasks/${task.id}/runs` })).json();
    expect(listed.items.map((r: { id: string; failureClass: unknown }) => [r.id, r.failureClass])).toEqual([
      [`${task.id}-auth`, 'auth'],
      [`${task.id}-old`, null],
    ]);
  });

  describe('runs', () => {
    let taskId: string;
    const runId = `run-${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      taskId = (await createTask(wecomTask('ww-runs'))).id;
      await db().insert(syncRuns).values({ id: runId, taskId, trigger: 'manual', status: 'partially_failed', finishedAt: new Date() });
      const item = (seq: number, entity: 'department' | 'user', action: string, status: 'succeeded' | 'failed' | 'staged', extra: Record<string, unknown> = {}) => ({
        runId,
        seq,
        batch: 0,
        key: `${entity}:${seq}`,
        action,
        entity,
        sourceId: `${entity}-${seq}`,
        displayName: `${entity} ${seq}`,
        status,
        payload: {},
        ...extra,
      });
      await db().insert(runItems).values([
        item(0, 'department', 'CreateDepartment', 'succeeded', { after: { name: 'R&D' } }),
        item(1, 'user', 'CreateUser', 'succeeded', { displayName: '张三, "Zhang"', after: { name: '张三', title: 'Engineer' } }),
        item(2, 'user', 'UpdateUser', 'failed', { before: { title: 'Dev' }, after: { title: '=HYPERLINK("x")' }, errorCode: '60104', errorMessage: 'mobile existed' }),
        item(3, 'user', 'UpdateUser', 'succeeded', { before: { email: 'a@x' }, after: { email: 'b@x' } }),
        item(4, 'user', 'DeleteUser', 'staged'),
      ]);
    });

    it('lists runs, shows a run with counters, and filters and pages its items', async () => {
      expect((await api.as('approver', { method: 'GET', url: `/api/v1/sync-tasks/${taskId}/runs?status=partially_failed` })).json()).toMatchObject({ total: 1, items: [{ id: runId }] });
      const detail = (await api.as('approver', { method: 'GET', url: `/api/v1/runs/${runId}` })).json();
      expect(detail).toMatchObject({
        id: runId,
        status: 'partially_failed',
        summary: { departments: { succeeded: 1, failed: 0, total: 1 }, users: { succeeded: 1, total: 1 }, userUpdates: { succeeded: 1, failed: 1, total: 3 }, byStatus: { succeeded: 3, failed: 1, staged: 1 } },
      });
      expect(detail.progress).toBeUndefined();
      // Not a failed run: no failure class.
      expect(detail.failureClass).toBeNull();

      const users = (await api.as('operator', { method: 'GET', url: `/api/v1/runs/${runId}/items?entity=user&action=UpdateUser` })).json();
      expect(users.items.map((i: { seq: number }) => i.seq)).toEqual([2, 3]);
      const failed = (await api.as('operator', { method: 'GET', url: `/api/v1/runs/${runId}/items?status=failed` })).json();
      expect(failed).toMatchObject({ total: 1, items: [{ seq: 2, errorCode: '60104', before: { title: 'Dev' } }] });
      const paged = (await api.as('operator', { method: 'GET', url: `/api/v1/runs/${runId}/items?limit=2&offset=2` })).json();
      expect(paged).toMatchObject({ total: 5, limit: 2, offset: 2 });
      expect(paged.items.map((i: { seq: number }) => i.seq)).toEqual([2, 3]);
      expect((await api.as('operator', { method: 'GET', url: `/api/v1/runs/${runId}/items?status=exploded` })).json()).toMatchObject({ error: 'validation_failed', field: 'status' });
      expect((await api.as('operator', { method: 'GET', url: '/api/v1/runs/nope' })).statusCode).toBe(404);
    });

    it('exports CSV with a BOM, a header row and proper quoting', async () => {
      const res = await api.as('approver', { method: 'GET', url: `/api/v1/runs/${runId}/export?format=csv` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/csv');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="run-${runId}.csv"`);
      const raw = res.rawPayload;
      expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const lines = raw.toString('utf8').slice(1).trimEnd().split('\r\n');
      expect(lines[0]).toBe('seq,entity,action,status,sourceId,targetId,displayName,changedFields,before,after,errorCode,errorMessage,finishedAt');
      expect(lines).toHaveLength(6);
      expect(lines[2]).toContain('"张三, ""Zhang"""');
      expect(lines[2]).toContain('name title');
      // A value Excel would evaluate is defused; a JSON cell with quotes is quoted.
      expect(lines[3]).toContain(`"{""title"":""=HYPERLINK(\\""x\\"")""}"`);
      expect(lines[3]).toContain(',60104,mobile existed,');
    });

    it('exports XLSX that reads back with the same rows', async () => {
      const res = await api.as('approver', { method: 'GET', url: `/api/v1/runs/${runId}/export?format=xlsx` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('spreadsheetml');
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(res.rawPayload as unknown as ExcelJS.Buffer);
      const sheet = workbook.getWorksheet('Items')!;
      expect(sheet.rowCount).toBe(6);
      expect(sheet.getRow(1).getCell(3).value).toBe('action');
      expect(sheet.getRow(3).getCell(7).value).toBe('张三, "Zhang"');
      expect(sheet.getRow(4).getCell(11).value).toBe('60104');
      expect(workbook.getWorksheet('Run')!.getRow(4).getCell(2).value).toBe('partially_failed');
    });

    it("retries failed items: a manual run over their source ids; 409 when nothing failed", async () => {
      const res = await api.as('operator', { method: 'POST', url: `/api/v1/runs/${runId}/retry-failed` });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ runId: expect.any(String), sourceIds: 1 });
      expect(temporal.calls.at(-1)).toEqual({ method: 'requestRun', args: [expect.objectContaining({ id: taskId }), { changedIds: ['user-2'], requestedBy: expect.stringMatching(/^token:test-operator:/) }] });
      const clean = `clean-${runId}`;
      await db().insert(syncRuns).values({ id: clean, taskId, trigger: 'manual', status: 'succeeded' });
      expect((await api.as('operator', { method: 'POST', url: `/api/v1/runs/${clean}/retry-failed` })).statusCode).toBe(409);
    });
  });

  describe('pending deletions', () => {
    let taskId: string;
    const runId = `pd-run-${randomBytes(4).toString('hex')}`;
    let item = 0;
    const staged = (id: string, status: 'PENDING' | 'CANCELED' | 'SUCCEEDED') => ({ id, taskId, runId, runItemId: ++item, action: 'DeleteUser', entity: 'user' as const, targetId: id, reason: 'deletion protection', status });

    beforeAll(async () => {
      taskId = (await createTask(wecomTask('ww-pd'))).id;
      await db().insert(pendingDeletions).values([staged(`${runId}-a`, 'PENDING'), staged(`${runId}-b`, 'PENDING'), staged(`${runId}-c`, 'CANCELED'), staged(`${runId}-d`, 'SUCCEEDED')]);
    });

    it('lists by task and status', async () => {
      const res = (await api.as('approver', { method: 'GET', url: `/api/v1/pending-deletions?taskId=${taskId}&status=PENDING` })).json();
      expect(res.total).toBe(2);
      expect(res.items.map((i: { id: string }) => i.id).sort()).toEqual([`${runId}-a`, `${runId}-b`]);
      // The shape of before, plus why an item closed on its own: superseded by which run, expiry.
      expect(res.items[0]).toMatchObject({ taskId, runId, status: 'PENDING', reason: 'deletion protection', supersededBy: null, expiresAt: null, decidedBy: null });
    });

    it('sends the ids of each run as one Update, the actor being the authenticated principal, and answers per id', async () => {
      temporal.calls.length = 0;
      const res = await api.as('approver', { method: 'POST', url: '/api/v1/pending-deletions/execute', payload: { ids: [`${runId}-a`, 'missing', `${runId}-b`] } });
      expect(res.statusCode).toBe(200);
      expect(res.json().results).toEqual([
        { id: `${runId}-a`, result: 'accepted' },
        { id: 'missing', result: 'not_found' },
        { id: `${runId}-b`, result: 'accepted' },
      ]);
      expect(temporal.calls).toEqual([
        { method: 'decideApproval', args: [{ runId, taskId }, { action: 'execute', ids: [`${runId}-a`, `${runId}-b`], actor: expect.stringMatching(/^token:test-approver:/) }] },
      ]);
    });

    it('refuses an actor in the body: the principal decides, never the request', async () => {
      const res = await api.as('approver', { method: 'POST', url: '/api/v1/pending-deletions/execute', payload: { ids: [`${runId}-a`], actor: 'someone-else' } });
      expect(res.statusCode).toBe(400);
    });

    it('signals a run still owned by a first-version approval workflow, answering closed items from the database', async () => {
      const v1 = recordingTemporal('v1');
      const old = await startTestApi(ctx.database, { secretBox, temporal: v1 });
      try {
        const res = await old.as('admin', { method: 'POST', url: '/api/v1/pending-deletions/cancel', payload: { ids: [`${runId}-a`, `${runId}-c`, `${runId}-d`] } });
        expect(res.json().results).toEqual([
          { id: `${runId}-a`, result: 'accepted' },
          { id: `${runId}-c`, result: 'already_canceled', status: 'CANCELED' },
          { id: `${runId}-d`, result: 'already_decided', status: 'SUCCEEDED' },
        ]);
        expect(v1.calls.map((c) => c.method)).toEqual(['decideApproval', 'signalApproval']);
      } finally {
        await old.app.close();
      }
    });
  });

  it('never puts a secret value in a response body, a log line or the audit table', async () => {
    const audit = JSON.stringify(await db().select().from(auditLog));
    expect(responses.length).toBeGreaterThan(20);
    for (const secret of secretValues) {
      for (const body of responses) expect(body).not.toContain(secret);
      expect(logLines.join('\n')).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
    expect(audit).toContain('rotatedSecrets');
  });
});
