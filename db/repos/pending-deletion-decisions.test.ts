import { eq } from 'drizzle-orm';
import { describeOnBothDatabases } from '../../test/support/databases';
import { auditLog, pendingDeletions, syncTasks } from '../schema';
import {
  cancelOpenItemsOfDeletedTask,
  decidePendingDeletions,
  expireOverdue,
  openCountsOfRun,
  runsWithOpenItems,
} from './pending-deletion-decisions';
import { stageRunDeletions } from './pending-deletions';
import { startRun, storePlan, type NewRunItem } from './sync-runs';

const held = (name: string, action = 'DisableUser'): NewRunItem => ({
  key: `user:${name}:${action}`,
  action,
  entity: 'user',
  sourceId: `hub-${name}`,
  targetId: name,
  displayName: name,
  status: 'staged',
  reason: 'held by the mass-offboarding guard',
  payload: {},
});

describeOnBothDatabases('pending deletion staging and decisions', (ctx) => {
  const db = () => ctx.database.db;
  let sequence = 0;

  /** A run of `taskId` whose plan holds these items; changedIds makes it a real-time run. */
  async function plannedRun(taskId: string, items: NewRunItem[], changedIds?: string[]): Promise<string> {
    const runId = `run-${++sequence}`;
    await startRun(db(), { runId, taskId, trigger: changedIds ? 'realtime' : 'manual', dryRun: false, workflowId: `w-${runId}`, changedIds });
    await storePlan(db(), { runId, taskId, items, executable: 0, newLinks: [] });
    return runId;
  }
  const statuses = async (runId: string) =>
    Object.fromEntries((await db().select().from(pendingDeletions).where(eq(pendingDeletions.runId, runId))).map((r) => [r.targetId, r.status]));

  test('a run supersedes what its plan no longer wants, keeps what it still wants, and staging twice adds nothing', async () => {
    const first = await plannedRun('t1', [held('amy'), held('ben'), held('cy')]);
    expect(await stageRunDeletions(db(), { taskId: 't1', runId: first })).toEqual({ staged: 3, kept: 0, superseded: 0 });
    expect(await stageRunDeletions(db(), { taskId: 't1', runId: first })).toEqual({ staged: 3, kept: 0, superseded: 0 });

    // ben is wanted again (kept, not doubled); cy now gets a delete instead of a freeze; amy is back.
    const second = await plannedRun('t1', [held('ben'), held('cy', 'DeleteUser')]);
    expect(await stageRunDeletions(db(), { taskId: 't1', runId: second })).toEqual({ staged: 1, kept: 1, superseded: 2 });
    expect(await statuses(first)).toEqual({ amy: 'SUPERSEDED', ben: 'PENDING', cy: 'SUPERSEDED' });
    expect(await statuses(second)).toEqual({ cy: 'PENDING' });
    const [amy] = await db().select().from(pendingDeletions).where(eq(pendingDeletions.targetId, 'amy'));
    expect(amy).toMatchObject({ supersededBy: second, decidedBy: 'sync:t1' });
    const audit = await db().select().from(auditLog).where(eq(auditLog.entityId, amy.id));
    expect(audit.map((a) => [a.actor, a.action])).toEqual([['sync:t1', 'pending_deletion.supersede']]);

    // A real-time run judges only the people it re-read: ben is not in it, so ben stays open.
    const realtime = await plannedRun('t1', [], ['hub-zed']);
    expect(await stageRunDeletions(db(), { taskId: 't1', runId: realtime })).toEqual({ staged: 0, kept: 0, superseded: 0 });
    expect((await statuses(first)).ben).toBe('PENDING');
    const aboutBen = await plannedRun('t1', [], ['hub-ben']);
    expect((await stageRunDeletions(db(), { taskId: 't1', runId: aboutBen })).superseded).toBe(1);
  });

  test('decisions answer per id, one winner each, written with their audit rows; FAILED can be retried; expired answers stale', async () => {
    const runId = await plannedRun('t2', [held('dee'), held('eve'), held('fay'), held('gus')]);
    await stageRunDeletions(db(), { taskId: 't2', runId, expiresAt: new Date(Date.now() + 86_400_000) });
    const idOf = async (name: string) => (await db().select().from(pendingDeletions).where(eq(pendingDeletions.targetId, name)))[0].id;
    const [dee, eve, fay, gus] = await Promise.all(['dee', 'eve', 'fay', 'gus'].map(idOf));

    const [executed, canceled] = await Promise.all([
      decidePendingDeletions(db(), { runId, action: 'execute', ids: [dee, eve], actor: 'ann' }),
      decidePendingDeletions(db(), { runId, action: 'cancel', ids: [dee], actor: 'bo' }),
    ]);
    const deeAnswers = [executed.find((o) => o.id === dee)!.result, canceled[0].result];
    expect(deeAnswers.filter((r) => r === 'accepted')).toHaveLength(1);
    expect(deeAnswers).toEqual(expect.arrayContaining([expect.stringMatching(/^already_(decided|canceled)$/)]));
    const deeAudit = await db().select().from(auditLog).where(eq(auditLog.entityId, dee));
    expect(deeAudit).toHaveLength(1);

    await db().update(pendingDeletions).set({ status: 'FAILED', errorCode: '60111' }).where(eq(pendingDeletions.id, eve));
    await db().update(pendingDeletions).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(pendingDeletions.id, gus));
    expect(await decidePendingDeletions(db(), { runId, action: 'execute', ids: [eve, gus, 'nope', eve], actor: 'cat' })).toEqual([
      { id: eve, result: 'accepted', status: 'EXECUTING' },
      { id: gus, result: 'stale', status: 'CANCELED' },
      { id: 'nope', result: 'not_found' },
    ]);
    const [eveRow] = await db().select().from(pendingDeletions).where(eq(pendingDeletions.id, eve));
    expect(eveRow).toMatchObject({ decidedBy: 'cat', errorCode: null });
    expect((await db().select().from(auditLog).where(eq(auditLog.entityId, gus))).map((a) => a.action)).toEqual(['pending_deletion.expired']);
    // Ids of another run are not found, whatever they are.
    expect(await decidePendingDeletions(db(), { runId: 'other-run', action: 'cancel', ids: [fay], actor: 'cat' })).toEqual([{ id: fay, result: 'not_found' }]);
    expect(await expireOverdue(db(), { runId })).toEqual([]);
    const deeExecuted = deeAnswers[0] === 'accepted';
    expect(await openCountsOfRun(db(), runId)).toMatchObject({ pending: 1, executing: deeExecuted ? 2 : 1, canceled: deeExecuted ? 1 : 2 });
  });

  test('the reconciler sees runs with open items; a deleted task has its open items cancelled', async () => {
    await db().insert(syncTasks).values({ id: 't3', name: 'gone', direction: 'downstream', connectorKind: 'wecom', config: {} as never, secretsSealed: 'x', deletedAt: new Date() });
    const runId = await plannedRun('t3', [held('hal')]);
    await stageRunDeletions(db(), { taskId: 't3', runId });
    expect(await runsWithOpenItems(db(), 100)).toEqual(expect.arrayContaining([{ runId, taskId: 't3', taskDeleted: true }]));
    expect(await cancelOpenItemsOfDeletedTask(db(), 't3')).toBe(1);
    expect(await statuses(runId)).toEqual({ hal: 'CANCELED' });
    expect((await runsWithOpenItems(db(), 100)).some((r) => r.runId === runId)).toBe(false);
  });
});
