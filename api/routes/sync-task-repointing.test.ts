// Re-pointing a task (connector kind, endpoint or tenant id) over the API on both databases: the
// stored secrets never follow a new endpoint, and links and open items of the old tenant never
// carry over to the new one (issue 10.7, 11). Temporal is replaced by a recording TemporalControl.
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { auditLog, pendingDeletions, syncRuns, syncTasks, taskLinks } from '../../db/schema';
import { createSecretBox } from '../../db/secret-box';
import { describeOnBothDatabases } from '../../test/support/databases';
import type { TemporalControl } from '../temporal-control';
import { startTestApi, type TestApi } from '../testing';

const corpSecret = `corp-secret-${randomBytes(8).toString('hex')}`;
const aesKey = `aes-key-${randomBytes(8).toString('hex')}`;
const newSecret = `new-secret-${randomBytes(8).toString('hex')}`;
const unique = () => randomBytes(4).toString('hex');

const wecomTask = () => ({
  name: `Hub to WeCom ${unique()}`,
  direction: 'downstream',
  connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:18081/cgi-bin', corpId: `ww-${unique()}` }, secrets: { corpSecret, callbackEncodingAesKey: aesKey } },
});
const feishuTask = () => ({
  name: `Hub to Feishu ${unique()}`,
  direction: 'downstream',
  connector: { kind: 'feishu', settings: { baseUrl: 'http://127.0.0.1:18082/open-apis', appId: `cli_${unique()}` }, secrets: { appSecret: corpSecret } },
});
const dingtalkTask = () => ({
  name: `Hub to DingTalk ${unique()}`,
  direction: 'downstream',
  connector: { kind: 'dingtalk', settings: { oapiBaseUrl: 'http://127.0.0.1:18083', appKey: `ding${unique()}` }, secrets: { appSecret: corpSecret } },
});

/** Records which runs' approval workflows were told their items changed; `failSignals` makes that call fail. */
function recordingTemporal(): TemporalControl & { itemsChangedRuns: string[][]; failSignals: boolean } {
  const fake = {
    itemsChangedRuns: [] as string[][],
    failSignals: false,
    ensureTask: async () => undefined,
    requestRun: async () => ({ runId: 'run-x', coalesced: false }),
    removeTask: async () => undefined,
    runProgress: async () => undefined,
    signalApproval: async () => 'signaled' as const,
    decideApproval: async (_run: unknown, request: { ids: string[] }) => ({ accepted: request.ids.length, refused: [] }),
    approvalItemsChanged: async (runIds: string[]) => {
      fake.itemsChangedRuns.push([...runIds].sort());
      if (fake.failSignals) throw new Error('connection refused');
    },
  };
  return fake;
}

describeOnBothDatabases('re-pointing a sync task', (ctx) => {
  let api: TestApi;
  const secretBox = createSecretBox(randomBytes(32));
  const db = () => ctx.database.db;
  const temporal = recordingTemporal();

  beforeAll(async () => {
    api = await startTestApi(ctx.database, { secretBox, temporal });
  });
  afterAll(async () => api?.app.close());

  const createTask = async (body: object) => {
    const res = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks', payload: body });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string; config: { connector: { settings: Record<string, unknown> } } };
  };
  const patch = (id: string, payload: object, role: 'operator' | 'admin' = 'operator') => api.as(role, { method: 'PATCH', url: `/api/v1/sync-tasks/${id}`, payload });
  const storedSecrets = async (id: string) => secretBox.open<Record<string, string>>((await db().select().from(syncTasks).where(eq(syncTasks.id, id)))[0].secretsSealed);

  it.each([
    ['WeCom baseUrl', wecomTask, { baseUrl: 'https://attacker.example/cgi-bin' }, 'connector.settings.baseUrl'],
    ['WeCom corpId', wecomTask, { corpId: 'ww-production' }, 'connector.settings.corpId'],
    ['Feishu baseUrl', feishuTask, { baseUrl: 'https://attacker.example/open-apis' }, 'connector.settings.baseUrl'],
    ['Feishu appId', feishuTask, { appId: 'cli_production' }, 'connector.settings.appId'],
    ['DingTalk oapiBaseUrl', dingtalkTask, { oapiBaseUrl: 'https://attacker.example' }, 'connector.settings.oapiBaseUrl'],
    ['DingTalk apiBaseUrl', dingtalkTask, { apiBaseUrl: 'https://attacker.example' }, 'connector.settings.apiBaseUrl'],
  ])('refuses a PATCH of only the %s with 400 naming connector.secrets, and stores nothing', async (_what, body, settings, changed) => {
    const task = await createTask(body());
    const res = await patch(task.id, { connector: { settings } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation_failed', field: 'connector.secrets', message: expect.stringContaining(changed) });
    expect(res.body).not.toContain(corpSecret);
    const after = (await api.as('operator', { method: 'GET', url: `/api/v1/sync-tasks/${task.id}` })).json();
    expect(after.config.connector.settings).toEqual(task.config.connector.settings);
  });

  it('accepts the new endpoint with every secret given again, and stores the new ones', async () => {
    const task = await createTask(wecomTask());
    const partly = await patch(task.id, { connector: { settings: { baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin' }, secrets: { corpSecret: newSecret } } });
    expect(partly.statusCode).toBe(400);
    expect(partly.json()).toMatchObject({ field: 'connector.secrets', message: expect.stringContaining('callbackEncodingAesKey') });

    const res = await patch(task.id, { connector: { settings: { baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin' }, secrets: { corpSecret: newSecret, callbackEncodingAesKey: aesKey } } });
    expect(res.statusCode).toBe(200);
    expect(res.json().config.connector.settings.baseUrl).toBe('https://qyapi.weixin.qq.com/cgi-bin');
    expect(await storedSecrets(task.id)).toEqual({ corpSecret: newSecret, callbackEncodingAesKey: aesKey });
  });

  it('needs no secrets for edits that keep the tenant (other settings, a trailing slash of the URL)', async () => {
    const task = await createTask(wecomTask());
    expect((await patch(task.id, { connector: { settings: { timeoutMs: 5000 } } })).statusCode).toBe(200);
    expect((await patch(task.id, { connector: { settings: { baseUrl: 'http://127.0.0.1:18081/cgi-bin/' } } })).statusCode).toBe(200);
    expect((await patch(task.id, { name: `renamed ${unique()}` })).statusCode).toBe(200);
  });

  it('refuses a new connector kind without its secrets; the old secrets never carry over', async () => {
    const task = await createTask(wecomTask());
    const bare = await patch(task.id, { connector: { kind: 'feishu', settings: { baseUrl: 'https://attacker.example', appId: 'cli_x' } } });
    expect(bare.statusCode).toBe(400);
    // The re-point rule answers before the new kind's schema, naming the secret it needs (the stored corpSecret is no feishu secret).
    expect(bare.json()).toMatchObject({ field: 'connector.secrets', message: expect.stringMatching(/connector\.kind .*appSecret/) });
    const res = await patch(task.id, { connector: { kind: 'feishu', settings: { baseUrl: 'https://open.feishu.cn/open-apis', appId: 'cli_x' }, secrets: { appSecret: newSecret } } });
    expect(res.statusCode).toBe(200);
    expect(await storedSecrets(task.id)).toEqual({ appSecret: newSecret });
  });

  it('refuses a re-point that drops a secret the connector needs (every stored secret set to null)', async () => {
    const task = await createTask(wecomTask());
    const res = await patch(task.id, { connector: { settings: { baseUrl: 'https://attacker.example/cgi-bin' }, secrets: { corpSecret: null, callbackEncodingAesKey: null } } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation_failed', field: 'connector.secrets', message: expect.stringContaining('corpSecret') });
    expect(await storedSecrets(task.id)).toEqual({ corpSecret, callbackEncodingAesKey: aesKey });
    const kind = await patch(task.id, { connector: { kind: 'feishu', settings: { baseUrl: 'https://open.feishu.cn/open-apis', appId: 'cli_x' }, secrets: { other: newSecret } } });
    expect(kind.statusCode).toBe(400);
    expect(kind.json()).toMatchObject({ field: 'connector.secrets', message: expect.stringContaining('appSecret') });
  });

  describe('with links and open pending deletions of the old tenant', () => {
    const newTenant = { connector: { settings: { corpId: 'ww-production' }, secrets: { corpSecret: newSecret, callbackEncodingAesKey: aesKey } } };
    let taskId: string;
    let otherTaskId: string;
    const runId = `run-${unique()}`;
    let nextRunItem = 1; // one pending deletion per run item (pending_deletions_run_item_uq)
    const item = (id: string, status: 'PENDING' | 'EXECUTING' | 'SUCCEEDED' | 'FAILED', task = taskId) => ({
      id,
      taskId: task,
      runId,
      runItemId: nextRunItem++,
      action: 'DeleteUser',
      entity: 'user' as const,
      targetId: `target-${id}`,
      reason: 'deletion protection',
      status,
    });

    beforeAll(async () => {
      taskId = (await createTask(wecomTask())).id;
      otherTaskId = (await createTask(wecomTask())).id;
      await db().insert(syncRuns).values({ id: runId, taskId, trigger: 'manual', status: 'succeeded' });
      await db().insert(taskLinks).values([
        { taskId, entity: 'user', sourceId: 'hub-u1', targetId: 'zhangsan' },
        { taskId, entity: 'department', sourceId: 'hub-d1', targetId: '2' },
        { taskId: otherTaskId, entity: 'user', sourceId: 'hub-u1', targetId: 'zhangsan' },
      ]);
      await db().insert(pendingDeletions).values([item(`${runId}-p`, 'PENDING'), item(`${runId}-e`, 'EXECUTING'), item(`${runId}-s`, 'SUCCEEDED'), item(`${runId}-f`, 'FAILED'), item(`${runId}-o`, 'PENDING', otherTaskId)]);
    });

    const statusOf = async (id: string) => (await db().select().from(pendingDeletions).where(eq(pendingDeletions.id, id)))[0];
    const linksOf = async (id: string) => db().select().from(taskLinks).where(eq(taskLinks.taskId, id));

    it('refuses the re-point with 409 and changes nothing', async () => {
      const res = await patch(taskId, newTenant);
      expect(res.statusCode).toBe(409);
      // A FAILED item is open too: an approver may execute it again, which would hit the new tenant.
      expect(res.json()).toMatchObject({ error: 'conflict', field: 'connector.settings.corpId', message: expect.stringMatching(/2 links and 3 open pending deletions.*resetLinks/) });
      expect(await linksOf(taskId)).toHaveLength(2);
      expect((await statusOf(`${runId}-p`)).status).toBe('PENDING');
      expect((await api.as('operator', { method: 'GET', url: `/api/v1/sync-tasks/${taskId}` })).json().config.connector.settings.corpId).not.toBe('ww-production');
      expect(await storedSecrets(taskId)).toEqual({ corpSecret, callbackEncodingAesKey: aesKey });
    });

    it('refuses a change of direction too: the links pair ids the other way round', async () => {
      const res = await patch(taskId, { direction: 'upstream', scope: null });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ error: 'conflict', field: 'direction' });
      expect(await linksOf(taskId)).toHaveLength(2);
    });

    it('refuses resetLinks from an operator with 403 naming it: a direction change there and back must not wipe the items', async () => {
      const exploit = { direction: 'upstream', scope: null, fieldMapping: null, resetLinks: true };
      const res = await patch(taskId, exploit);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: 'forbidden', field: 'resetLinks' });
      expect((await patch(taskId, { ...newTenant, resetLinks: true })).statusCode).toBe(403);
      expect(await linksOf(taskId)).toHaveLength(2);
      expect((await statusOf(`${runId}-p`)).status).toBe('PENDING');
      expect((await api.as('operator', { method: 'GET', url: `/api/v1/sync-tasks/${taskId}` })).json().direction).toBe('downstream');
    });

    it('refuses a re-point while a run is in flight, even with resetLinks', async () => {
      const running = `running-${unique()}`;
      await db().insert(syncRuns).values({ id: running, taskId, trigger: 'manual', status: 'running' });
      try {
        const res = await patch(taskId, { ...newTenant, resetLinks: true }, 'admin');
        expect(res.statusCode).toBe(409);
        expect(res.json().message).toContain('run is in flight');
        expect(await linksOf(taskId)).toHaveLength(2);
      } finally {
        await db().update(syncRuns).set({ status: 'canceled' }).where(eq(syncRuns.id, running));
      }
    });

    it('refuses a re-point while an item is EXECUTING, even with resetLinks: its activity may load the new tenant next', async () => {
      const res = await patch(taskId, { ...newTenant, resetLinks: true }, 'admin');
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ error: 'conflict', field: 'connector.settings.corpId', message: expect.stringContaining('1 pending deletion is executing') });
      expect((await statusOf(`${runId}-e`)).status).toBe('EXECUTING');
      expect((await statusOf(`${runId}-p`)).status).toBe('PENDING');
      expect(await linksOf(taskId)).toHaveLength(2);
      // The execution ends (the activity records its outcome) before the next attempt.
      await db().update(pendingDeletions).set({ status: 'SUCCEEDED' }).where(eq(pendingDeletions.id, `${runId}-e`));
    });

    it('with resetLinks from an admin: cancels the open items (audited, decided by the principal), drops the links, in the same write', async () => {
      temporal.itemsChangedRuns.length = 0;
      const res = await patch(taskId, { ...newTenant, resetLinks: true }, 'admin');
      expect(res.statusCode).toBe(200);
      // The run's approval workflow is told its items were closed, once, after the write.
      expect(temporal.itemsChangedRuns).toEqual([[runId]]);
      expect(res.json().config.connector.settings.corpId).toBe('ww-production');
      expect(res.json().config).not.toHaveProperty('resetLinks');

      for (const [id, before] of [
        [`${runId}-p`, 'PENDING'],
        [`${runId}-f`, 'FAILED'],
      ]) {
        const row = await statusOf(id);
        expect(row).toMatchObject({ status: 'CANCELED', decidedBy: expect.stringMatching(/^token:test-admin:/) });
        expect(row.decidedAt).toBeInstanceOf(Date);
        const [audit] = await db()
          .select()
          .from(auditLog)
          .where(and(eq(auditLog.entityId, id), eq(auditLog.action, 'pending_deletion.cancel')));
        expect(audit).toMatchObject({ actor: row.decidedBy, before: { status: before }, after: expect.objectContaining({ status: 'CANCELED', reason: 're-pointed' }) });
      }
      expect((await statusOf(`${runId}-s`)).status).toBe('SUCCEEDED');
      expect(await linksOf(taskId)).toEqual([]);
      const [summary] = await db()
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.entityId, taskId), eq(auditLog.action, 'sync_task.links_reset')));
      expect(summary).toMatchObject({ before: { links: 2, openPendingDeletions: 2 }, after: expect.objectContaining({ reason: 're-pointed', repointed: ['connector.settings.corpId'] }) });

      // Another task's links and items are not touched.
      expect(await linksOf(otherTaskId)).toHaveLength(1);
      expect((await statusOf(`${runId}-o`)).status).toBe('PENDING');
    });

    it('tells the approval workflow of every run with cancelled items, and a failing signal does not fail the PATCH', async () => {
      const id = (await createTask(wecomTask())).id;
      const runs = [`run-${unique()}`, `run-${unique()}`];
      await db().insert(syncRuns).values(runs.map((run) => ({ id: run, taskId: id, trigger: 'manual' as const, status: 'succeeded' as const })));
      await db().insert(pendingDeletions).values([
        { ...item(`${runs[0]}-p`, 'PENDING', id), runId: runs[0] },
        { ...item(`${runs[1]}-f`, 'FAILED', id), runId: runs[1] },
      ]);
      temporal.itemsChangedRuns.length = 0;
      temporal.failSignals = true;
      try {
        const res = await patch(id, { ...newTenant, resetLinks: true }, 'admin');
        expect(res.statusCode).toBe(200);
      } finally {
        temporal.failSignals = false;
      }
      expect(temporal.itemsChangedRuns).toEqual([[...runs].sort()]);
      expect((await statusOf(`${runs[0]}-p`)).status).toBe('CANCELED');
      expect((await statusOf(`${runs[1]}-f`)).status).toBe('CANCELED');
    });

    it('signals nothing when a PATCH re-points nothing or cancels nothing', async () => {
      temporal.itemsChangedRuns.length = 0;
      expect((await patch(otherTaskId, { name: `renamed ${unique()}` })).statusCode).toBe(200);
      expect(temporal.itemsChangedRuns).toEqual([]);
    });

    it('refuses a resetLinks that is not a boolean', async () => {
      const res = await patch(otherTaskId, { name: 'x', resetLinks: 'yes' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ field: 'resetLinks' });
    });
  });
});
