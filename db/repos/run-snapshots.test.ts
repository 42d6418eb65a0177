// Snapshot retention (issue 18): a run's two stored directories (personal data) go once the run
// finished longer ago than the retention; the run row, its items and the audit trail stay.
import { eq } from 'drizzle-orm';
import { auditLog, runItems, runSnapshotChunks, syncRuns } from '../schema';
import { describeOnBothDatabases } from '../../test/support/databases';
import { pruneRunSnapshots } from './run-snapshots';
import { storeSnapshot } from './sync-runs';

const day = 24 * 60 * 60 * 1000;
const snapshot = { departments: [{ id: 'd1', name: 'Sales' }], users: [{ id: 'u1', name: 'Ada', mobile: '+8613800000000' }] } as never;

describeOnBothDatabases('pruneRunSnapshots', (ctx) => {
  const now = new Date('2026-12-01T10:00:00Z');

  async function run(id: string, finishedDaysAgo: number | null) {
    const db = ctx.database.db;
    const finishedAt = finishedDaysAgo === null ? null : new Date(now.getTime() - finishedDaysAgo * day);
    await db.insert(syncRuns).values({ id, taskId: 't1', trigger: 'manual', status: finishedAt ? 'succeeded' : 'running', startedAt: new Date(now.getTime() - 30 * day), finishedAt });
    await storeSnapshot(db, id, 'source', snapshot);
    await storeSnapshot(db, id, 'target', snapshot);
    await db.insert(runItems).values({ runId: id, seq: 0, batch: 0, key: `user:u1`, action: 'CreateUser', entity: 'user', sourceId: 'u1', status: 'succeeded', payload: {} });
    await db.insert(auditLog).values({ actor: `sync:t1`, action: 'run.finish', entityType: 'sync_run', entityId: id });
  }
  const chunksOf = async (id: string) => (await ctx.database.db.select().from(runSnapshotChunks).where(eq(runSnapshotChunks.runId, id))).length;

  it('deletes the snapshots of runs finished before the retention, keeping runs, items, audit and every other snapshot', async () => {
    const db = ctx.database.db;
    await run('old-1', 10);
    await run('old-2', 8);
    await run('recent', 6);
    await run('still-running', null);
    expect(await chunksOf('old-1')).toBe(4); // per side: a chunk of departments, one of users

    expect(await pruneRunSnapshots(db, { retentionDays: 7, now, batchRuns: 1 })).toEqual({ runs: 2, more: false });
    expect(await chunksOf('old-1')).toBe(0);
    expect(await chunksOf('old-2')).toBe(0);
    expect(await chunksOf('recent')).toBe(4);
    expect(await chunksOf('still-running')).toBe(4);
    expect((await db.select().from(syncRuns)).map((r) => r.id).sort()).toEqual(['old-1', 'old-2', 'recent', 'still-running']);
    expect(await db.select().from(runItems)).toHaveLength(4);
    expect(await db.select().from(auditLog).where(eq(auditLog.action, 'run.finish'))).toHaveLength(4);

    // Nothing left to do: a second pass deletes nothing.
    expect(await pruneRunSnapshots(db, { retentionDays: 7, now })).toEqual({ runs: 0, more: false });
  });

  it('stops after maxRuns and says there is more, so one pass stays short', async () => {
    const db = ctx.database.db;
    for (let i = 0; i < 3; i++) await run(`batch-${i}`, 20);
    expect(await pruneRunSnapshots(db, { retentionDays: 7, now, batchRuns: 2, maxRuns: 2 })).toEqual({ runs: 2, more: true });
    expect(await pruneRunSnapshots(db, { retentionDays: 7, now, batchRuns: 2, maxRuns: 2 })).toEqual({ runs: 1, more: false });
    for (let i = 0; i < 3; i++) expect(await chunksOf(`batch-${i}`)).toBe(0);
  });
});
