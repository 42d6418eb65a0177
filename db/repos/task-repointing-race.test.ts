// A decision that marks an item EXECUTING while a PATCH re-points its task (review of issue 10.7):
// the PATCH locks the task's open items before it counts them, so the decision either committed
// first (the PATCH sees it and answers 409) or waits and then finds the item CANCELED.
import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { pendingDeletions } from '../schema';
import { testDatabases } from '../../test/support/databases';
import { clearTiesForRepointing } from './task-repointing';

const onPostgres = testDatabases.filter((testDb) => testDb.name === 'postgres');

describe.each(onPostgres)(
  'an approval racing a re-pointing PATCH [$name only: PGlite has one connection, so no decision can run inside another transaction there]',
  (testDb) => {
    let database: Database;
    beforeAll(async () => {
      database = await testDb.open();
    });
    afterAll(async () => database?.close());

    let nextRunItem = 1; // one pending deletion per run item (pending_deletions_run_item_uq)
    const item = (id: string, taskId: string) => ({ id, taskId, runId: 'run-1', runItemId: nextRunItem++, action: 'DeleteUser', entity: 'user' as const, targetId: `t-${id}`, reason: 'deletion protection', status: 'PENDING' as const });

    it('makes a decision to execute wait for the reset, which leaves it nothing to execute', async () => {
      const db = database.db;
      await db.insert(pendingDeletions).values([item('p1', 'task-a'), item('p2', 'task-a')]);
      let decided: Promise<string[]> | undefined;
      let decidedEarly = false;
      await db.transaction(async (tx) => {
        await clearTiesForRepointing(tx, { taskId: 'task-a', actor: 'token:admin:1', reset: true, repointed: ['connector.settings.corpId'] });
        // What a decision writes (db/repos/pending-deletions.ts): EXECUTING only from PENDING.
        decided = db
          .update(pendingDeletions)
          .set({ status: 'EXECUTING', decidedBy: 'token:approver:2' })
          .where(and(eq(pendingDeletions.id, 'p1'), eq(pendingDeletions.status, 'PENDING')))
          .returning({ id: pendingDeletions.id })
          .then((rows) => rows.map((r) => r.id));
        void decided.then(() => (decidedEarly = true));
        await sleep(500);
        expect(decidedEarly).toBe(false);
      });
      expect(await decided).toEqual([]);
      expect(await db.select({ id: pendingDeletions.id, status: pendingDeletions.status }).from(pendingDeletions).orderBy(pendingDeletions.id)).toEqual([
        { id: 'p1', status: 'CANCELED' },
        { id: 'p2', status: 'CANCELED' },
      ]);
    });

    it('sees an item a decision marks EXECUTING while the reset counts: 409, and nothing cancelled or dropped', async () => {
      const db = database.db;
      await db.insert(pendingDeletions).values([item('r1', 'task-c'), item('r2', 'task-c')]);
      let releaseDecision!: () => void;
      const decisionHeld = new Promise<void>((resolve) => (releaseDecision = resolve));
      let decisionWrote!: () => void;
      const wrote = new Promise<void>((resolve) => (decisionWrote = resolve));
      // The decision has written EXECUTING but not committed when the PATCH starts counting.
      const decision = db.transaction(async (tx) => {
        await tx.update(pendingDeletions).set({ status: 'EXECUTING', decidedBy: 'token:approver:2' }).where(and(eq(pendingDeletions.id, 'r1'), eq(pendingDeletions.status, 'PENDING')));
        decisionWrote();
        await decisionHeld;
      });
      await wrote;
      const repointing = db.transaction((tx) => clearTiesForRepointing(tx, { taskId: 'task-c', actor: 'token:admin:1', reset: true, repointed: ['connector.settings.corpId'] }));
      repointing.catch(() => undefined);
      await sleep(300);
      releaseDecision();
      await decision;
      await expect(repointing).rejects.toThrow('1 pending deletion is executing');
      expect(await db.select({ id: pendingDeletions.id, status: pendingDeletions.status }).from(pendingDeletions).where(eq(pendingDeletions.taskId, 'task-c')).orderBy(pendingDeletions.id)).toEqual([
        { id: 'r1', status: 'EXECUTING' },
        { id: 'r2', status: 'PENDING' },
      ]);
    });

    it('refuses the re-point (409) when the decision committed first', async () => {
      const db = database.db;
      await db.insert(pendingDeletions).values([item('q1', 'task-b')]);
      await db.execute(sql`update pending_deletions set status = 'EXECUTING' where id = 'q1'`);
      await expect(
        db.transaction((tx) => clearTiesForRepointing(tx, { taskId: 'task-b', actor: 'token:admin:1', reset: true, repointed: ['connector.settings.corpId'] })),
      ).rejects.toThrow('1 pending deletion is executing');
    });
  },
);
