import { asc, eq } from 'drizzle-orm';
import { describeOnBothDatabases } from '../../test/support/databases';
import { runItems } from '../schema';
import { getPendingDeletion, markPendingDeletions, recordPendingDeletionOutcome, stagePendingDeletions } from './pending-deletions';
import { loadBatchItems, loadSnapshot, recordItemOutcome, startRun, storePlan, storeSnapshot, type NewRunItem } from './sync-runs';
import { listTaskLinks, upsertTaskLinks } from './task-links';

const item = (i: number, status: NewRunItem['status'] = 'planned'): NewRunItem => ({
  key: `user:s${i}:CreateUser`,
  action: 'CreateUser',
  entity: 'user',
  sourceId: `s${i}`,
  targetId: null,
  displayName: `User ${i}`,
  status,
  payload: { i },
});

describeOnBothDatabases('run, link and pending-deletion writes', (ctx) => {
  const db = () => ctx.database.db;

  test('startRun is idempotent; snapshots round-trip in chunks', async () => {
    await startRun(db(), { runId: 'r1', taskId: 't1', trigger: 'manual', dryRun: false, workflowId: 'w1' });
    await startRun(db(), { runId: 'r1', taskId: 't1', trigger: 'schedule', dryRun: true, workflowId: 'w2' });
    const users = Array.from({ length: 2500 }, (_, i) => ({ id: `u${i}`, username: `u${i}`, name: `U ${i}` }));
    await storeSnapshot(db(), 'r1', 'source', { departments: [], users: users as never });
    await storeSnapshot(db(), 'r1', 'source', { departments: [], users: users as never });
    expect((await loadSnapshot(db(), 'r1', 'source')).users.map((u) => u.id)).toEqual(users.map((u) => u.id));
  });

  test('a plan is stored once, in batches of 200; an outcome is recorded once, with its link', async () => {
    await startRun(db(), { runId: 'r2', taskId: 't2', trigger: 'manual', dryRun: false, workflowId: 'w' });
    const items = Array.from({ length: 450 }, (_, i) => item(i));
    expect(await storePlan(db(), { runId: 'r2', taskId: 't2', items, executable: 450, newLinks: [{ entity: 'user', sourceId: 'adopted', targetId: 'x' }] })).toEqual({ batches: 3, alreadyStored: false });
    expect((await storePlan(db(), { runId: 'r2', taskId: 't2', items, executable: 450, newLinks: [] })).alreadyStored).toBe(true);
    const [first] = await loadBatchItems(db(), 'r2', 0);
    expect((await loadBatchItems(db(), 'r2', 2)).length).toBe(50);
    await recordItemOutcome(db(), { itemId: first.id, taskId: 't2', outcome: { status: 'succeeded', targetId: 'T0' }, link: { entity: 'user', sourceId: 's0', targetId: 'T0' } });
    await recordItemOutcome(db(), { itemId: first.id, taskId: 't2', outcome: { status: 'failed', errorCode: 'x' }, link: { entity: 'user', sourceId: 's0', targetId: 'OTHER' } });
    expect((await loadBatchItems(db(), 'r2', 0))[0].status).toBe('succeeded');
    expect((await listTaskLinks(db(), 't2')).sort((a, b) => a.sourceId.localeCompare(b.sourceId))).toEqual([
      { entity: 'user', sourceId: 'adopted', targetId: 'x' },
      { entity: 'user', sourceId: 's0', targetId: 'T0' },
    ]);
  });

  test('a plan is taken from a generator a chunk at a time; before/after equal the items\' whether or not they are the payload\'s own', async () => {
    await startRun(db(), { runId: 'r6', taskId: 't6', trigger: 'manual', dryRun: false, workflowId: 'w' });
    let pulled = 0;
    function* items(): Generator<NewRunItem> {
      for (let i = 0; i < 4500; i++) {
        pulled += 1;
        // an action: before/after are its payload's; every 7th: a failure whose before/after are not in its payload (none)
        if (i % 7 === 6) yield { ...item(i, 'failed'), payload: { key: `user:s${i}:Match`, reason: 'ambiguous' } };
        else {
          const before = i % 3 === 0 ? null : { title: `old ${i}` };
          const after = { title: `new ${i}`, departmentIds: [`d${i % 5}`] };
          yield { ...item(i), before, after, payload: { key: `user:s${i}:UpdateUser`, before, after } };
        }
      }
      // one whose before/after differ from its payload's: stored as given
      yield { ...item(4500), before: { title: 'given' }, after: null, payload: { before: { title: 'payload' }, after: { title: 'payload' } } };
    }
    // The plan step collects garbage as storing goes: after each full chunk (2,000 rows) written.
    const chunksWritten: number[] = [];
    const afterChunk = () => chunksWritten.push(pulled);
    expect(await storePlan(db(), { runId: 'r6', taskId: 't6', items: items(), executable: 4000, newLinks: [], afterChunk })).toEqual({ batches: 20, alreadyStored: false });
    expect(pulled).toBe(4500);
    expect(chunksWritten).toEqual([2000, 4000]);
    const rows = await db().select({ seq: runItems.seq, before: runItems.before, after: runItems.after, status: runItems.status }).from(runItems).where(eq(runItems.runId, 'r6')).orderBy(asc(runItems.seq));
    const expected = [...items()].map((it, seq) => ({ seq, before: it.before ?? null, after: it.after ?? null, status: it.status }));
    expect(rows).toEqual(expected);
    expect(rows[4500]).toEqual({ seq: 4500, before: { title: 'given' }, after: null, status: 'planned' });
  });

  test('a re-adopted target moves its link instead of breaking the unique index', async () => {
    await upsertTaskLinks(db(), 't3', [{ entity: 'user', sourceId: 'a', targetId: 'T' }]);
    await upsertTaskLinks(db(), 't3', [{ entity: 'user', sourceId: 'b', targetId: 'T' }]);
    await upsertTaskLinks(db(), 't3', [{ entity: 'user', sourceId: 'b', targetId: 'T2' }]);
    expect(await listTaskLinks(db(), 't3')).toEqual([{ entity: 'user', sourceId: 'b', targetId: 'T2' }]);
  });

  test('staging is idempotent per run, never doubles an open target, and a cancelled row never moves again', async () => {
    const staged = (runItemId: number, targetId: string) => ({ runItemId, action: 'DeleteUser', entity: 'user' as const, sourceId: null, targetId, displayName: targetId, reason: 'removed' });
    const ids = await stagePendingDeletions(db(), { taskId: 't4', runId: 'r4', items: [staged(1, 'amy'), staged(2, 'ben')] });
    expect(await stagePendingDeletions(db(), { taskId: 't4', runId: 'r4', items: [staged(1, 'amy'), staged(2, 'ben')] })).toEqual(ids);
    expect(await stagePendingDeletions(db(), { taskId: 't4', runId: 'r5', items: [staged(9, 'amy')] })).toEqual([]);

    expect(await markPendingDeletions(db(), { ids: [ids[0]], status: 'CANCELED', actor: 'ann' })).toEqual([ids[0]]);
    expect(await markPendingDeletions(db(), { ids: [ids[0]], status: 'EXECUTING', actor: 'bo' })).toEqual([]);
    expect(await recordPendingDeletionOutcome(db(), { id: ids[0], status: 'SUCCEEDED', actor: 'bo' })).toBe(false);
    expect(await getPendingDeletion(db(), ids[0])).toMatchObject({ status: 'CANCELED' });

    expect(await markPendingDeletions(db(), { ids: [ids[1]], status: 'EXECUTING', actor: 'bo' })).toEqual([ids[1]]);
    expect(await recordPendingDeletionOutcome(db(), { id: ids[1], status: 'SUCCEEDED', actor: 'bo' })).toBe(true);
    expect(await markPendingDeletions(db(), { ids: [ids[1]], status: 'CANCELED', actor: 'ann' })).toEqual([]);
    // Once closed, the same target may be staged again by a later run.
    expect(await stagePendingDeletions(db(), { taskId: 't4', runId: 'r6', items: [staged(3, 'amy')] })).toHaveLength(1);
  });
});
