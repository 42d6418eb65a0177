// The API driving real Temporal: a dev server, a worker running the real workflows, and activities
// that record runs and staged deletions in the test database (in-memory for everything else).
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { ScheduleNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { and, eq, isNull } from 'drizzle-orm';
import { createApprovalActivities } from '../activities/approvals';
import type { ActivityDeps } from '../activities/deps';
import type { SyncActivities } from '../activities/types';
import { recordPendingDeletionOutcome } from '../db/repos/pending-deletions';
import type { Database } from '../db/client';
import { pendingDeletions, syncRuns, syncTasks } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import { openTestDatabase } from '../test/support/databases';
import { startLocalTemporal } from '../test/support/temporal';
import { approvalReconcilerScheduleId, approvalWorkflowId, ConnectorKindKey, decideUpdate, MAX_DECISION_IDS, type DecisionRequest, stateQuery, SyncDirectionKey, SyncTaskIdKey, taskWorkflowId } from '../workflows/definitions';
import { createInMemoryActivities, eventually, type ScriptedPlan } from '../workflows/testing/in-memory-activities';
import { bundleSyncWorkflows } from '../workflows/testing/workers';
import { ensureApprovalReconciler } from './approval-reconciler';
import { createTemporalControl, scheduleId } from './temporal-control';
import { startTestApi, type TestApi } from './testing';

jest.setTimeout(120_000);

const corpSecret = `corp-secret-${randomBytes(8).toString('hex')}`;

const task = (corpId: string, extra: Record<string, unknown> = {}) => ({
  name: `WeCom ${corpId}`,
  direction: 'downstream',
  connector: { kind: 'wecom', settings: { corpId }, secrets: { corpSecret } },
  triggers: { schedule: { every: 'daily', at: '02:00', timezone: 'Asia/Shanghai' } },
  ...extra,
});

/** In-memory activities, except that runs and staged deletions are also written where the API reads them. */
function databaseBackedActivities(database: Database, plans: Record<string, ScriptedPlan>) {
  const db = database.db;
  const memory = createInMemoryActivities({ tasks: {}, plans });
  const base = memory.activities;
  const real = createApprovalActivities({ database } as ActivityDeps);
  const activities: SyncActivities = {
    ...base,
    async loadTaskForRun({ taskId }) {
      const [row] = await db.select().from(syncTasks).where(and(eq(syncTasks.id, taskId), isNull(syncTasks.deletedAt)));
      if (!row) throw ApplicationFailure.create({ type: 'TaskNotFound', nonRetryable: true, message: `taskId: no task ${taskId}` });
      return { taskId, direction: row.direction, connectorKind: row.connectorKind, enabled: row.enabled, realtimeDebounceMs: 1000 };
    },
    async startRun(input) {
      await base.startRun(input);
      const { runId, taskId, trigger, dryRun, workflowId } = input;
      await db.insert(syncRuns).values({ id: runId, taskId, trigger, dryRun, workflowId, status: 'running' }).onConflictDoNothing();
    },
    async finishRun(input) {
      const result = await base.finishRun(input);
      await db.update(syncRuns).set({ status: result.status, error: input.error ?? null, finishedAt: new Date() }).where(eq(syncRuns.id, input.runId));
      return result;
    },
    async stageRunDeletions({ runId }) {
      const result = await base.stageRunDeletions({ runId });
      const taskId = memory.runs.get(runId)!.taskId;
      const ids = [...memory.pendingDeletions].filter(([, item]) => item.runId === runId).map(([id]) => id);
      const rows = ids.map((id, i) => ({ id, taskId, runId, runItemId: i, action: 'DeleteUser', entity: 'user' as const, targetId: id, reason: 'deletion protection', status: 'PENDING' as const }));
      if (rows.length) await db.insert(pendingDeletions).values(rows).onConflictDoNothing();
      return result;
    },
    // Decisions and counts are the real ones, against the test database.
    decidePendingDeletions: real.decidePendingDeletions,
    approvalCounts: real.approvalCounts,
    async executeApprovedDeletions({ runId }) {
      const approved = await db.select().from(pendingDeletions).where(and(eq(pendingDeletions.runId, runId), eq(pendingDeletions.status, 'EXECUTING')));
      for (const row of approved) {
        await base.markPendingDeletions({ ids: [row.id], status: 'EXECUTING', actor: row.decidedBy ?? 'unknown' });
        await base.executePendingDeletion({ pendingDeletionId: row.id, actor: row.decidedBy ?? 'unknown' });
        await recordPendingDeletionOutcome(db, { id: row.id, status: 'SUCCEEDED', actor: row.decidedBy ?? 'unknown' });
      }
      return { succeeded: approved.length, failed: 0, superseded: 0, remaining: 0 };
    },
  };
  return { ...memory, activities };
}

describe('sync tasks on a real Temporal dev server', () => {
  let env: TestWorkflowEnvironment;
  let database: Database;
  let api: TestApi;
  let worker: Worker;
  let workerRun: Promise<void>;
  let memory: ReturnType<typeof databaseBackedActivities>;
  const plans: Record<string, ScriptedPlan> = {};
  const taskQueue = `api-sync-${process.pid}`;

  beforeAll(async () => {
    const [started, bundle, opened] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase('pglite')]);
    env = started;
    database = opened;
    memory = databaseBackedActivities(database, plans);
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: memory.activities });
    workerRun = worker.run();
    const temporal = createTemporalControl(env.client, { taskQueue });
    api = await startTestApi(database, { secretBox: createSecretBox(randomBytes(32)), temporal });
  });

  afterAll(async () => {
    await api?.app.close();
    if (worker) {
      worker.shutdown();
      await workerRun;
    }
    await env?.teardown();
    await database?.close();
  });

  const create = async (body: unknown) => {
    const res = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks', payload: body as object });
    expect(res.statusCode).toBe(201);
    return res.json() as { id: string };
  };
  const schedule = (taskId: string) => env.client.schedule.getHandle(scheduleId(taskId));
  const taskState = (taskId: string) => env.client.workflow.getHandle(taskWorkflowId(taskId)).query(stateQuery);
  const runRow = async (runId: string) => (await api.as('approver', { method: 'GET', url: `/api/v1/runs/${runId}` })).json();

  it('creates the task workflow with search attributes and a Schedule; runs on a schedule fire and on request', async () => {
    const { id } = await create(task('ww-main'));
    const described = await env.client.workflow.getHandle(taskWorkflowId(id)).describe();
    expect(described.status.name).toBe('RUNNING');
    expect(described.typedSearchAttributes.get(SyncTaskIdKey)).toBe(id);
    expect(described.typedSearchAttributes.get(SyncDirectionKey)).toBe('downstream');
    expect(described.typedSearchAttributes.get(ConnectorKindKey)).toBe('wecom');

    const sched = await schedule(id).describe();
    expect(sched.state.paused).toBe(false);
    expect(sched.spec.timezone).toBe('Asia/Shanghai');
    expect(sched.action).toMatchObject({ workflowType: 'scheduledTriggerWorkflow', args: [{ taskId: id }], taskQueue });
    expect(sched.policies.overlap).toBe('BUFFER_ONE');

    // A fire of the Schedule goes through the task workflow, so it is labelled 'schedule'.
    await schedule(id).trigger();
    const scheduled = await eventually(async () => (await database.db.select().from(syncRuns).where(and(eq(syncRuns.taskId, id), eq(syncRuns.status, 'succeeded'))))[0], 'a scheduled run');
    expect(scheduled.trigger).toBe('schedule');

    const res = await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${id}/runs`, payload: {} });
    expect(res.statusCode).toBe(202);
    const { runId } = res.json();
    const run = await eventually(async () => {
      const r = await runRow(runId);
      return r.status === 'succeeded' && r;
    }, 'the requested run to succeed');
    expect(run).toMatchObject({ id: runId, taskId: id, trigger: 'manual', dryRun: false });
    expect((await api.as('approver', { method: 'GET', url: `/api/v1/sync-tasks/${id}` })).json().status).toBe('succeeded');
  });

  it('shows live progress of a running run', async () => {
    const { id } = await create(task('ww-progress'));
    const release = memory.holdSnapshots();
    try {
      const { runId } = (await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${id}/runs`, payload: { dryRun: true } })).json();
      const detail = await eventually(async () => {
        const r = await runRow(runId);
        return r.progress?.phase === 'snapshot' && r;
      }, 'progress of the held run');
      expect(detail).toMatchObject({ status: 'running', dryRun: true, progress: { phase: 'snapshot', batchesDone: 0 } });
    } finally {
      release();
    }
  });

  it('pauses the Schedule and the task while disabled, follows schedule edits, and removes the Schedule when the schedule is removed', async () => {
    const { id } = await create(task('ww-toggle'));
    expect((await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${id}/disable` })).statusCode).toBe(200);
    expect((await schedule(id).describe()).state.paused).toBe(true);
    await eventually(async () => (await taskState(id)).paused, 'the task workflow to pause');

    expect((await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${id}/enable` })).statusCode).toBe(200);
    expect((await schedule(id).describe()).state.paused).toBe(false);
    await eventually(async () => !(await taskState(id)).paused, 'the task workflow to resume');

    const patched = await api.as('operator', { method: 'PATCH', url: `/api/v1/sync-tasks/${id}`, payload: { triggers: { schedule: { every: 'weekly', at: '03:30', timezone: 'Europe/Berlin' } } } });
    expect(patched.statusCode).toBe(200);
    const updated = await schedule(id).describe();
    expect(updated.spec.timezone).toBe('Europe/Berlin');
    expect(updated.state.paused).toBe(false);

    const bad = await api.as('operator', { method: 'PATCH', url: `/api/v1/sync-tasks/${id}`, payload: { triggers: { schedule: { cron: '61 * * * *' } } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('triggers.schedule.cron');
    expect((await schedule(id).describe()).spec.timezone).toBe('Europe/Berlin');

    expect((await api.as('operator', { method: 'PATCH', url: `/api/v1/sync-tasks/${id}`, payload: { triggers: { schedule: null } } })).statusCode).toBe(200);
    await expect(schedule(id).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('enable and disable racing: a disable mirrored after a later enable leaves the task enabled, as stored', async () => {
    const { id } = await create(task('ww-race'));
    // Two requests: a disable, then an enable, both committed; the disable's call to Temporal is the slower one.
    expect((await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${id}/disable` })).statusCode).toBe(200);
    expect((await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${id}/enable` })).statusCode).toBe(200);
    await createTemporalControl(env.client, { taskQueue }).ensureTask({ id, direction: 'downstream', connectorKind: 'wecom', enabled: false });
    await eventually(async () => {
      const state = await taskState(id);
      return state.enabled && !state.paused;
    }, 'the task workflow to follow the stored setting');
    const { runId } = (await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${id}/runs`, payload: {} })).json();
    await eventually(async () => (await runRow(runId)).status === 'succeeded', 'the run of the enabled task');
  });

  it('routes approvals to the run’s approval workflow; a cancelled item stays cancelled', async () => {
    const { id } = await create(task('ww-approvals'));
    plans[id] = { batches: [{ succeeded: 1, failed: 0, skipped: 0 }], stagedDeletes: 2 };
    const { runId } = (await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${id}/runs`, payload: {} })).json();
    const listed = await eventually(async () => {
      const page = (await api.as('approver', { method: 'GET', url: `/api/v1/pending-deletions?taskId=${id}&status=PENDING` })).json();
      return page.total === 2 && page;
    }, 'two staged deletions');
    const [first, second] = listed.items.map((i: { id: string }) => i.id).sort();

    const cancel = await api.as('approver', { method: 'POST', url: '/api/v1/pending-deletions/cancel', payload: { ids: [first] } });
    expect(cancel.json().results).toEqual([{ id: first, result: 'accepted' }]);
    // The Update answers once the decision is written: no waiting for it.
    expect((await database.db.select().from(pendingDeletions).where(eq(pendingDeletions.id, first)))[0]?.status).toBe('CANCELED');

    const execute = await api.as('admin', { method: 'POST', url: '/api/v1/pending-deletions/execute', payload: { ids: [first, second, 'no-such-id'] } });
    expect(execute.json().results).toEqual([
      { id: first, result: 'already_canceled', status: 'CANCELED' },
      { id: second, result: 'accepted' },
      { id: 'no-such-id', result: 'not_found' },
    ]);
    const approval = env.client.workflow.getHandle(approvalWorkflowId(runId));
    expect(await approval.result()).toMatchObject({ succeeded: 1, canceled: 1 });

    // Closed workflow, same answers from the database: the cancelled item can never be executed.
    const again = await api.as('approver', { method: 'POST', url: '/api/v1/pending-deletions/execute', payload: { ids: [first, second] } });
    expect(again.json().results).toEqual([
      { id: first, result: 'already_canceled', status: 'CANCELED' },
      { id: second, result: 'already_decided', status: 'SUCCEEDED' },
    ]);
    expect((await database.db.select().from(pendingDeletions).where(eq(pendingDeletions.id, first)))[0]).toMatchObject({ status: 'CANCELED' });
    expect(memory.pendingDeletions.get(first)).toMatchObject({ executions: 0 });
  });

  it('the decision Update validates its input synchronously: a malformed one is refused and writes nothing', async () => {
    const { id } = await create(task('ww-validator'));
    plans[id] = { batches: [{ succeeded: 1, failed: 0, skipped: 0 }], stagedDeletes: 1 };
    const { runId } = (await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${id}/runs`, payload: {} })).json();
    const [item] = (await eventually(async () => {
      const rows = await database.db.select().from(pendingDeletions).where(eq(pendingDeletions.runId, runId));
      return rows.length === 1 ? rows : undefined;
    }, 'the staged deletion'))!;
    const approval = env.client.workflow.getHandle(approvalWorkflowId(runId));
    await eventually(async () => (await approval.describe().catch(() => undefined))?.status.name === 'RUNNING', 'the approval workflow');
    const refuse = (request: unknown) => approval.executeUpdate(decideUpdate, { args: [request as DecisionRequest] });
    await expect(refuse({ action: 'delete', ids: [item.id], actor: 'a' })).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(refuse({ action: 'execute', ids: [item.id], actor: '' })).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(refuse({ action: 'execute', ids: Array.from({ length: MAX_DECISION_IDS + 1 }, (_, i) => `x${i}`), actor: 'a' })).rejects.toThrow(WorkflowUpdateFailedError);
    expect((await database.db.select().from(pendingDeletions).where(eq(pendingDeletions.id, item.id)))[0]).toMatchObject({ status: 'PENDING', decidedBy: null });
    // A valid one is answered per id by the database.
    expect(await approval.executeUpdate(decideUpdate, { args: [{ action: 'cancel', ids: [item.id, 'nope'], actor: 'approver-z' }] })).toEqual({
      accepted: 1,
      refused: [{ id: 'nope', result: 'not_found' }],
    });
    expect(await approval.result()).toMatchObject({ canceled: 1, succeeded: 0 });
  });

  it('the approval reconciler is a Temporal Schedule, created idempotently and fired at once', async () => {
    await ensureApprovalReconciler(env.client, { taskQueue });
    await ensureApprovalReconciler(env.client, { taskQueue });
    const described = await env.client.schedule.getHandle(approvalReconcilerScheduleId).describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'approvalReconcilerWorkflow' });
    await eventually(async () => {
      for await (const run of env.client.workflow.list({ query: `WorkflowType="approvalReconcilerWorkflow" AND ExecutionStatus="Completed"` })) return run;
      return undefined;
    }, 'a completed reconciler pass');
    expect(memory.calls.some((call) => call.name === 'reconcileApprovals')).toBe(true);
  });

  it('deletes a task: Schedule gone, workflow stopped, run history kept', async () => {
    const { id } = await create(task('ww-delete'));
    const { runId } = (await api.as('operator', { method: 'POST', url: `/api/v1/sync-tasks/${id}/runs`, payload: {} })).json();
    await eventually(async () => (await runRow(runId)).status === 'succeeded', 'a run before the delete');

    expect((await api.as('operator', { method: 'DELETE', url: `/api/v1/sync-tasks/${id}` })).statusCode).toBe(204);
    await expect(schedule(id).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await eventually(async () => (await env.client.workflow.getHandle(taskWorkflowId(id)).describe()).status.name === 'CANCELLED', 'the task workflow to stop');
    expect((await api.as('operator', { method: 'GET', url: `/api/v1/sync-tasks/${id}` })).statusCode).toBe(404);
    expect((await api.as('approver', { method: 'GET', url: `/api/v1/sync-tasks/${id}/runs` })).json()).toMatchObject({ total: 1, items: [{ id: runId }] });
  });

  it('a decision waits briefly for an approval workflow that has not started yet, and gives up on one that never does', async () => {
    const control = createTemporalControl(env.client, { taskQueue, approvalStartWaitMs: 400 });
    const started = Date.now();
    expect(await control.signalApproval(`never-${randomBytes(4).toString('hex')}`, 'cancel', ['x'], 'approver')).toBe('closed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });
});
