/**
 * Deletion approvals end to end on the real Temporal dev server and Postgres, against a WeCom fake:
 * stale items are superseded by later runs and re-checked before execution (issue 10 §1),
 * decisions answer per id through an Update (§6), orphaned rows are adopted (§5).
 * The tests share one story and run in order.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { createActivities } from '../../activities';
import { createTemporalControl } from '../../api/temporal-control';
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { auditLog, pendingDeletions, syncTasks } from '../../db/schema';
import { approvalReconcilerWorkflow } from '../../workflows/approval-reconciler';
import { pendingDeletionApprovalWorkflow } from '../../workflows/deletion-approval';
import { approvalWorkflowId } from '../../workflows/definitions';
import { E2eStack, seedHubCompany, startE2eSuite, wecomDirectory, type E2eSuite } from './harness';

jest.setTimeout(60_000);

let suite: E2eSuite<RunningWecomFake>;
let stack: E2eStack;
let taskId: string;
let ids: Map<string, string>;

const hub = () => createHubDirectory(suite.database.db);
const enableOf = async (userid: string) => (await wecomDirectory(suite.fake)).userlist.find((u) => u.userid === userid)?.enable;

beforeAll(async () => {
  suite = await startE2eSuite('postgres', E2eStack.startWecom);
  stack = suite.stack;
  ids = await seedHubCompany(hub());
  // Freezing more than a fifth of the company at once is held for an approver.
  taskId = await stack.insertTask(stack.wecomTask(suite.fake, { offboarding: 'disable', massOffboardingGuard: { maxDisablePercent: 20 } }));
  expect((await stack.run(taskId)).status).toBe('succeeded');
}, 120_000);

afterAll(async () => {
  await suite?.close();
});

const leavers = ['bob', 'carol', 'dave', 'erin'];
let heldRunId: string;

test('a bad export disabling most of the company holds every freeze for approval', async () => {
  for (const name of leavers) await hub().offboard(ids.get(name)!, 'hr-export');
  const run = await stack.run(taskId);
  expect(run.status).toBe('succeeded');
  heldRunId = run.runId;
  const rows = await stack.pendingDeletionsOf(run.runId);
  expect(rows.map((r) => [r.action, r.status])).toEqual(leavers.map(() => ['DisableUser', 'PENDING']));
  for (const name of leavers) expect(await enableOf(name)).toBe(1);
  // The approval workflow gets the run id, never a list of ids.
  const started = (await suite.env.client.workflow.getHandle(run.approvalWorkflowId!).fetchHistory()).events![0].workflowExecutionStartedEventAttributes!;
  expect(JSON.parse(Buffer.from(started.input!.payloads![0].data!).toString())).toEqual({ runId: run.runId, taskId });

  // While the export is still bad, the next run wants the same freezes: the open rows are kept, none added.
  const again = await stack.run(taskId);
  expect(again.pendingDeletions).toBe(0);
  expect(await stack.pendingDeletionsOf(again.runId)).toEqual([]);
  expect((await stack.pendingDeletionsOf(heldRunId)).map((r) => r.status)).toEqual(leavers.map(() => 'PENDING'));
});

test('once the export is fixed, the next run supersedes the held freezes (shown and audited) instead of leaving them open', async () => {
  for (const name of leavers) await hub().updateUser(ids.get(name)!, { status: 'active' }, 'hr-export');
  const fixed = await stack.run(taskId);
  expect(fixed).toMatchObject({ status: 'succeeded', plan: { actions: 0 } });
  const rows = await stack.pendingDeletionsOf(heldRunId);
  expect(rows.map((r) => r.status)).toEqual(leavers.map(() => 'SUPERSEDED'));
  const audit = await suite.database.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityType, 'pending_deletion'), eq(auditLog.action, 'pending_deletion.supersede')));
  expect(audit.map((a) => a.entityId).sort()).toEqual(rows.map((r) => r.id).sort());
  for (const name of leavers) expect(await enableOf(name)).toBe(1);
  expect(await suite.database.db.select().from(pendingDeletions).where(eq(pendingDeletions.status, 'PENDING'))).toEqual([]);
});

const rowsByName = async (runId: string) => new Map((await stack.pendingDeletionsOf(runId)).map((r) => [r.displayName ?? r.targetId, r]));
const idsOf = async (runId: string) => {
  const byName = await rowsByName(runId);
  return new Map(leavers.map((name) => [name, [...byName.values()].find((r) => r.targetId === name)!.id]));
};
const auditOf = (entityId: string) => suite.database.db.select().from(auditLog).where(eq(auditLog.entityId, entityId)).orderBy(auditLog.id);

test('execute re-checks each item against fresh source state: someone active again is SUPERSEDED, never frozen; racing decisions have one winner', async () => {
  for (const name of leavers) await hub().offboard(ids.get(name)!, 'hr-export');
  const taskQueue = stack.newTaskQueue();
  const run = await stack.run(taskId, {}, taskQueue);
  expect(run.pendingDeletions).toBe(4);
  const pending = await idsOf(run.runId);
  // Dave is rehired before anyone approves, and no run has happened since.
  await hub().updateUser(ids.get('dave')!, { status: 'active' }, 'hr');

  const worker = await stack.startWorker(taskQueue);
  const [executed, canceled] = await worker.runUntil(async () => {
    const answers = await Promise.all([
      stack.decide(taskQueue, 'execute', leavers.map((name) => pending.get(name)!), 'approver-x'),
      stack.decide(taskQueue, 'cancel', [pending.get('bob')!], 'approver-c'),
    ]);
    await suite.env.client.workflow.getHandle(run.approvalWorkflowId!).result();
    return answers;
  });
  const bobExecuted = executed.find((r) => r.id === pending.get('bob'))!.result;
  const bobCanceled = canceled[0].result;
  // One winner: exactly one of the two decisions on bob was accepted, the other was told why not.
  expect([bobExecuted, bobCanceled].sort()).toEqual(bobExecuted === 'accepted' ? ['accepted', 'already_decided'] : ['accepted', 'already_canceled']);
  expect(executed.filter((r) => r.id !== pending.get('bob')).map((r) => r.result)).toEqual(['accepted', 'accepted', 'accepted']);

  const after = await rowsByName(run.runId);
  const statusOf = (name: string) => [...after.values()].find((r) => r.targetId === name)!;
  expect(statusOf('dave')).toMatchObject({ status: 'SUPERSEDED', decidedBy: 'approver-x' });
  expect(await enableOf('dave')).toBe(1);
  expect([statusOf('carol').status, statusOf('erin').status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  expect([await enableOf('carol'), await enableOf('erin')]).toEqual([0, 0]);
  const bob = statusOf('bob');
  expect(bob).toMatchObject(bobCanceled === 'accepted' ? { status: 'CANCELED', decidedBy: 'approver-c' } : { status: 'SUCCEEDED', decidedBy: 'approver-x' });
  expect(await enableOf('bob')).toBe(bobCanceled === 'accepted' ? 1 : 0);
  // Every decision has its audit row; the loser wrote none.
  const bobAudit = (await auditOf(bob.id)).map((a) => [a.actor, a.action]);
  expect(bobAudit).toEqual(
    bobCanceled === 'accepted'
      ? [['approver-c', 'pending_deletion.cancel']]
      : [
          ['approver-x', 'pending_deletion.approve'],
          ['approver-x', 'pending_deletion.execute'],
        ],
  );
  expect((await auditOf(statusOf('dave').id)).map((a) => a.action)).toEqual(['pending_deletion.approve', 'pending_deletion.supersede']);
});

test('a FAILED item can be executed again; an expired one answers stale and is CANCELED as expired', async () => {
  // The company is back: erin and carol are active again, then both leave once more (held).
  for (const name of leavers) await hub().updateUser(ids.get(name)!, { status: 'active' }, 'hr');
  expect((await stack.run(taskId)).status).toBe('succeeded');
  for (const name of leavers) await hub().offboard(ids.get(name)!, 'hr-export');
  const taskQueue = stack.newTaskQueue();
  const run = await stack.run(taskId, {}, taskQueue);
  const pending = await idsOf(run.runId);
  // As an execution refused by the vendor leaves it, and an item whose expiry has passed.
  await suite.database.db.update(pendingDeletions).set({ status: 'FAILED', errorCode: '60111', errorMessage: 'userid not found' }).where(eq(pendingDeletions.id, pending.get('carol')!));
  await suite.database.db.update(pendingDeletions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(pendingDeletions.id, pending.get('erin')!));

  const worker = await stack.startWorker(taskQueue);
  const result = await worker.runUntil(async () => {
    expect(await stack.decide(taskQueue, 'execute', [pending.get('carol')!, pending.get('erin')!])).toEqual([
      { id: pending.get('carol'), result: 'accepted' },
      { id: pending.get('erin'), result: 'stale', status: 'CANCELED' },
    ]);
    await stack.decide(taskQueue, 'cancel', [pending.get('bob')!, pending.get('dave')!]);
    return suite.env.client.workflow.getHandle(run.approvalWorkflowId!).result();
  });
  expect(result).toMatchObject({ succeeded: 1, failed: 0, canceled: 3, superseded: 0 });
  const after = await rowsByName(run.runId);
  const rowOf = (name: string) => [...after.values()].find((r) => r.targetId === name)!;
  expect(rowOf('carol')).toMatchObject({ status: 'SUCCEEDED', errorCode: null });
  expect(await enableOf('carol')).toBe(0);
  expect(rowOf('erin').status).toBe('CANCELED');
  expect(await enableOf('erin')).toBe(1);
  expect((await auditOf(rowOf('erin').id)).map((a) => [a.action, (a.after as { reason?: string }).reason])).toEqual([['pending_deletion.expired', 'expired']]);
  expect((await auditOf(rowOf('carol').id)).map((a) => [a.action, (a.before as { status: string }).status])).toEqual([
    ['pending_deletion.approve', 'FAILED'],
    ['pending_deletion.execute', 'EXECUTING'],
  ]);
  // Asked again, each id is answered from what is stored now.
  const again = await stack.decide(taskQueue, 'execute', [pending.get('erin')!, pending.get('carol')!, 'no-such-id']);
  expect(again).toEqual([
    { id: pending.get('erin'), result: 'already_canceled', status: 'CANCELED' },
    { id: pending.get('carol'), result: 'already_decided', status: 'SUCCEEDED' },
    { id: 'no-such-id', result: 'not_found' },
  ]);
});

test('rows left without a workflow are adopted (reconciler, or the next decision), staging is idempotent, and a target is never locked out', async () => {
  // Items wait at most a week for a decision (task setting).
  const [row] = await suite.database.db.select().from(syncTasks).where(eq(syncTasks.id, taskId));
  await suite.database.db
    .update(syncTasks)
    .set({ config: { ...row.config, deletionProtection: { mode: 'always', expireAfterDays: 7 } } })
    .where(eq(syncTasks.id, taskId));
  const taskQueue = stack.newTaskQueue();
  const run = await stack.run(taskId, {}, taskQueue);
  expect(run.pendingDeletions).toBe(3);
  const staged = await stack.pendingDeletionsOf(run.runId);
  for (const r of staged) expect(r.expiresAt!.getTime() - Date.now()).toBeGreaterThan(6.9 * 86_400_000);

  // Overlapping or retried staging attempts add nothing.
  const activities = createActivities({ database: suite.database, secretBox: stack.secretBox });
  const again = await Promise.all([activities.stageRunDeletions({ runId: run.runId }), activities.stageRunDeletions({ runId: run.runId })]);
  expect(again).toEqual([
    { staged: 3, kept: 0, superseded: 0 },
    { staged: 3, kept: 0, superseded: 0 },
  ]);
  expect(await stack.pendingDeletionsOf(run.runId)).toHaveLength(3);

  // An operator terminates the approval workflow: the rows stay PENDING with nothing driving them.
  const approval = suite.env.client.workflow.getHandle(run.approvalWorkflowId!);
  await approval.terminate('ops cleanup');
  const worker = await stack.startWorker(taskQueue);
  await worker.runUntil(async () => {
    const pass = await suite.env.client.workflow.execute(approvalReconcilerWorkflow, { taskQueue, workflowId: `reconcile-${randomUUID()}`, args: [{}] });
    expect(pass.adopted).toContain(run.runId);
    expect((await approval.describe()).status.name).toBe('RUNNING');
    expect((await approval.describe()).type).toBe('pendingDeletionApprovalWorkflow');

    // Terminated again: the next decision starts it afresh instead of answering "closed".
    await approval.terminate('ops cleanup again');
    const answers = await stack.decide(taskQueue, 'cancel', staged.map((r) => r.id));
    expect(answers.map((a) => a.result)).toEqual(['accepted', 'accepted', 'accepted']);
    await approval.result();
  });
  expect((await stack.pendingDeletionsOf(run.runId)).map((r) => r.status)).toEqual(['CANCELED', 'CANCELED', 'CANCELED']);

  // The same targets are staged again by the next run: nothing locks them out.
  const next = await stack.run(taskId, {}, taskQueue);
  expect((await stack.pendingDeletionsOf(next.runId)).map((r) => r.status)).toEqual(['PENDING', 'PENDING', 'PENDING']);
});

test('items closed in the database by another path (a task re-pointed) end the approval workflow once it is told', async () => {
  const taskQueue = stack.newTaskQueue();
  // The previous test's last run left three open items, driven by its approval workflow.
  const open = await suite.database.db.select().from(pendingDeletions).where(eq(pendingDeletions.status, 'PENDING'));
  expect(open).toHaveLength(3);
  const runId = open[0].runId;
  const worker = await stack.startWorker(taskQueue);
  await worker.runUntil(async () => {
    const approval = suite.env.client.workflow.getHandle(approvalWorkflowId(runId));
    // Restarted on this test's queue, where a worker runs.
    await approval.terminate('moved to this test queue');
    await suite.env.client.workflow.start(pendingDeletionApprovalWorkflow, { taskQueue, workflowId: approvalWorkflowId(runId), args: [{ runId, taskId }] });
    // What resetLinks does: cancel the open items with audit rows, straight in the database.
    await suite.database.db.update(pendingDeletions).set({ status: 'CANCELED', decidedBy: 'system' }).where(eq(pendingDeletions.runId, runId));
    // As the PATCH tells it (api/temporal-control.ts); a run with no approval workflow is skipped.
    await createTemporalControl(suite.env.client, { taskQueue }).approvalItemsChanged([runId, `no-such-run-${randomUUID()}`]);
    expect(await approval.result()).toMatchObject({ canceled: 3, succeeded: 0 });
  });
});

test('for a scoped task, someone moved out of scope is still frozen on approval: only active and in scope again makes an item stale', async () => {
  for (const name of leavers) await hub().updateUser(ids.get(name)!, { status: 'active' }, 'hr');
  const sales = await E2eStack.startWecom();
  try {
    // Every freeze is held (guard 0 %), and the task covers Sales only.
    const scoped = await stack.insertTask(stack.wecomTask(sales, { offboarding: 'disable', massOffboardingGuard: { maxDisablePercent: 0 }, scope: { departmentIds: [ids.get('Sales')!] } }));
    expect((await stack.run(scoped)).status).toBe('succeeded');
    const salesEnable = async (userid: string) => (await wecomDirectory(sales)).userlist.find((u) => u.userid === userid)?.enable;
    expect(await salesEnable('erin')).toBe(1);

    // Erin moves to Engineering (out of scope), Dave leaves; both freezes are held.
    await hub().updateUser(ids.get('erin')!, { departmentIds: [ids.get('Engineering')!], mainDepartmentId: ids.get('Engineering')! }, 'hr');
    await hub().offboard(ids.get('dave')!, 'hr');
    const taskQueue = stack.newTaskQueue();
    const run = await stack.run(scoped, {}, taskQueue);
    const rows = await stack.pendingDeletionsOf(run.runId);
    expect(rows.map((r) => [r.targetId, r.action]).sort()).toEqual([
      ['dave', 'DisableUser'],
      ['erin', 'DisableUser'],
    ]);
    // Dave is rehired (active, in scope) before the approver acts on both.
    await hub().updateUser(ids.get('dave')!, { status: 'active' }, 'hr');
    await stack.decideDeletions(taskQueue, run.approvalWorkflowId!, { execute: rows.map((r) => r.id) });
    expect(Object.fromEntries((await stack.pendingDeletionsOf(run.runId)).map((r) => [r.targetId, r.status]))).toEqual({ erin: 'SUCCEEDED', dave: 'SUPERSEDED' });
    expect([await salesEnable('erin'), await salesEnable('dave')]).toEqual([0, 1]);
  } finally {
    await sales.close();
  }
});

test('held moves to the top level are executed by an approver (the account moves, keeping its link); someone back in a department is SUPERSEDED', async () => {
  const top = await E2eStack.startWecom();
  try {
    // Every move to the top level is held (guard 0 %).
    const task = await stack.insertTask(stack.wecomTask(top, { offboarding: 'disable', massOffboardingGuard: { maxDisablePercent: 0 } }));
    expect((await stack.run(task)).status).toBe('succeeded');
    const departmentOf = async (userid: string) => (await wecomDirectory(top)).userlist.find((u) => u.userid === userid)?.department;
    const engineering = await departmentOf('bob');
    expect(engineering).not.toEqual([1]);

    // Alice and Bob lose their department in the hub: the run holds both moves to the top level.
    for (const name of ['alice', 'bob']) await hub().updateUser(ids.get(name)!, { departmentIds: [], mainDepartmentId: null }, 'hr');
    const taskQueue = stack.newTaskQueue();
    const run = await stack.run(task, {}, taskQueue);
    const rows = await stack.pendingDeletionsOf(run.runId);
    expect(rows.map((r) => [r.targetId, r.action, r.status]).sort()).toEqual([
      ['alice', 'ChangeUserDepartment', 'PENDING'],
      ['bob', 'ChangeUserDepartment', 'PENDING'],
    ]);
    expect(await departmentOf('alice')).not.toEqual([1]);

    // Bob is put back in Engineering before the approver acts on both.
    await hub().updateUser(ids.get('bob')!, { departmentIds: [ids.get('Engineering')!], mainDepartmentId: ids.get('Engineering')! }, 'hr');
    const result = await stack.decideDeletions(taskQueue, run.approvalWorkflowId!, { execute: rows.map((r) => r.id), actor: 'approver-m' });
    expect(result).toMatchObject({ succeeded: 1, failed: 0, superseded: 1 });
    const after = Object.fromEntries((await stack.pendingDeletionsOf(run.runId)).map((r) => [r.targetId, r]));
    expect(after.alice).toMatchObject({ status: 'SUCCEEDED', decidedBy: 'approver-m', errorCode: null });
    expect(after.bob).toMatchObject({ status: 'SUPERSEDED' });
    expect(await departmentOf('alice')).toEqual([1]);
    expect(await departmentOf('bob')).toEqual(engineering);
    // The account stays linked: the next run plans nothing for Alice, and Bob is already where the hub says.
    const next = await stack.run(task);
    expect(next).toMatchObject({ status: 'succeeded', plan: { actions: 0 } });
  } finally {
    await top.close();
  }
});
