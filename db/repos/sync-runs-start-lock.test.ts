// A run that starts while a PATCH re-points its task must not run with half of each configuration
// (review of issue 10.7): startRun shares the task row's lock, so it waits for the PATCH's
// FOR UPDATE and the run then reads only the new configuration (or the PATCH sees the run and refuses).
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq } from 'drizzle-orm';
import { connectorCatalog } from '../../connectors/definitions';
import type { Database } from '../client';
import { syncRuns, syncTasks } from '../schema';
import { createSecretBox } from '../secret-box';
import { testDatabases } from '../../test/support/databases';
import { startRun } from './sync-runs';
import { createSyncTasks } from './sync-tasks';
import { taskTies } from './task-repointing';

const onPostgres = testDatabases.filter((testDb) => testDb.name === 'postgres');

describe.each(onPostgres)(
  'startRun during a PATCH of its task [$name only: PGlite has one connection, so no run can start inside another transaction there]',
  (testDb) => {
    let database: Database;
    beforeAll(async () => {
      database = await testDb.open();
    });
    afterAll(async () => database?.close());

    it('waits for the PATCH holding the task row, so the PATCH never commits around a run it did not see', async () => {
      const db = database.db;
      const tasks = createSyncTasks(db, { secretBox: createSecretBox(randomBytes(32)), kinds: connectorCatalog });
      const task = await tasks.create(
        { name: 'Hub to WeCom', direction: 'downstream', connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:18081/cgi-bin', corpId: 'ww-test' }, secrets: { corpSecret: 's' } } },
        'test',
        { authorizeProtectionChange: () => undefined },
      );
      let runStarted = false;
      let starting: Promise<void> | undefined;
      await db.transaction(async (tx) => {
        // What tasks.patch does first: lock the row, then check what ties the task (no run yet).
        await tx.select().from(syncTasks).where(eq(syncTasks.id, task.id)).for('update');
        expect((await taskTies(tx, task.id)).runsInFlight).toBe(0);
        starting = startRun(db, { runId: 'r-during-patch', taskId: task.id, trigger: 'manual', dryRun: false, workflowId: 'w' }).then(() => {
          runStarted = true;
        });
        await sleep(500);
        expect(runStarted).toBe(false);
        // Read committed: a run inserted meanwhile would be seen here, after the PATCH's check.
        expect((await taskTies(tx, task.id)).runsInFlight).toBe(0);
        await tx.update(syncTasks).set({ updatedAt: new Date() }).where(eq(syncTasks.id, task.id));
      });
      await starting;
      expect(runStarted).toBe(true);
      expect(await db.select({ id: syncRuns.id }).from(syncRuns).where(and(eq(syncRuns.taskId, task.id), eq(syncRuns.status, 'running')))).toEqual([{ id: 'r-during-patch' }]);
    });

    it('still creates the row of a run whose task row is absent (runs started straight from Temporal), once', async () => {
      await startRun(database.db, { runId: 'r-no-task', taskId: 'no-such-task', trigger: 'manual', dryRun: false, workflowId: 'w' });
      await startRun(database.db, { runId: 'r-no-task', taskId: 'no-such-task', trigger: 'schedule', dryRun: false, workflowId: 'w2' });
      expect(await database.db.select({ trigger: syncRuns.trigger }).from(syncRuns).where(eq(syncRuns.id, 'r-no-task'))).toEqual([{ trigger: 'manual' }]);
    });
  },
);
