// A run that fails by its items, not a step, records the class its failed items share: each failed
// item keeps its vendor error's class (run_items.failure_class, written with the outcome), and
// finishRun reads them back in one aggregate. On PGlite and Postgres.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { createActivities } from '.';
import { recordItemOutcomes, type ItemOutcome } from '../db/repos/sync-runs';
import { runItems, syncRuns } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import { failureClassOfFailedItems, type RunFailureClass } from '../engine/failure-class';
import { describeOnBothDatabases } from '../test/support/databases';

test('the class most failed items share; unknown (no class) wins a tie; classes tied: auth first', () => {
  expect(failureClassOfFailedItems([])).toBeNull();
  expect(failureClassOfFailedItems([{ failureClass: 'auth', count: 3 }])).toBe('auth');
  expect(failureClassOfFailedItems([{ failureClass: 'vendor', count: 1 }, { failureClass: 'auth', count: 2 }, { failureClass: null, count: 1 }])).toBe('auth');
  expect(failureClassOfFailedItems([{ failureClass: 'auth', count: 1 }, { failureClass: null, count: 1 }])).toBeNull();
  expect(failureClassOfFailedItems([{ failureClass: 'vendor', count: 2 }, { failureClass: 'auth', count: 2 }])).toBe('auth');
  expect(failureClassOfFailedItems([{ failureClass: null, count: 4 }])).toBeNull();
});

describeOnBothDatabases('a run failed by its items', (ctx) => {
  const taskId = `task-${randomUUID()}`;

  /** A running run with one planned item per outcome; the outcomes recorded as apply records them, then finishRun. */
  async function finishedRun(outcomes: ItemOutcome[], stepClass?: RunFailureClass): Promise<{ status: string; failureClass: string | null; items: (string | null)[] }> {
    const { db } = ctx.database;
    const runId = randomUUID();
    await db.insert(syncRuns).values({ id: runId, taskId, trigger: 'schedule', status: 'running' });
    const inserted = await db
      .insert(runItems)
      .values(outcomes.map((_, seq) => ({ runId, seq, batch: 0, key: `department:${seq}`, action: 'CreateDepartment', entity: 'department' as const, status: 'planned' as const, payload: {} })))
      .returning({ id: runItems.id, seq: runItems.seq });
    const ids = inserted.sort((a, b) => a.seq - b.seq).map((row) => row.id);
    await recordItemOutcomes(db, taskId, outcomes.map((outcome, i) => ({ itemId: ids[i], outcome })));
    await createActivities({ database: ctx.database, secretBox: createSecretBox(Buffer.alloc(32, 7)) }).finishRun({ runId, ...(stepClass ? { status: 'failed', error: 'step failed', failureClass: stepClass } : {}) });
    const [run] = await db.select({ status: syncRuns.status, failureClass: syncRuns.failureClass }).from(syncRuns).where(eq(syncRuns.id, runId));
    const items = await db.select({ failureClass: runItems.failureClass }).from(runItems).where(eq(runItems.runId, runId)).orderBy(runItems.seq);
    return { ...run, items: items.map((item) => item.failureClass) };
  }

  const auth: ItemOutcome = { status: 'failed', errorCode: '40001', errorMessage: 'invalid credential', failureClass: 'auth' };
  const refused: ItemOutcome = { status: 'failed', errorCode: '60008', errorMessage: 'department existed', failureClass: 'vendor' };
  const unclassified: ItemOutcome = { status: 'failed', errorCode: '60008', errorMessage: 'recorded before items had a class' };
  const ok: ItemOutcome = { status: 'succeeded', targetId: 't-1' };
  const waits: ItemOutcome = { status: 'skipped', reason: 'department not created yet; retried by a later run' };

  test('every write refused for the credentials: failed, auth; each item keeps its class', async () => {
    expect(await finishedRun([auth, auth, auth])).toEqual({ status: 'failed', failureClass: 'auth', items: ['auth', 'auth', 'auth'] });
  });

  test('partially failed: the failed items’ class; what succeeded or waits has none', async () => {
    expect(await finishedRun([ok, auth, waits])).toEqual({ status: 'partially_failed', failureClass: 'auth', items: [null, 'auth', null] });
    expect(await finishedRun([refused, refused, auth])).toMatchObject({ status: 'failed', failureClass: 'vendor' });
  });

  test('unknown when failed items without a class are as many as any class; a succeeded run has none', async () => {
    expect(await finishedRun([auth, unclassified])).toMatchObject({ status: 'failed', failureClass: null });
    expect(await finishedRun([ok, waits])).toEqual({ status: 'succeeded', failureClass: null, items: [null, null] });
  });

  test("a failed step's class wins over its items'", async () => {
    expect(await finishedRun([auth, auth], 'network')).toMatchObject({ status: 'failed', failureClass: 'network' });
  });
});
