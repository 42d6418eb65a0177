// The snapshot-retention Schedule on a real dev server: created idempotently at worker start,
// fired at once, and its workflow deletes old run snapshots through the real activity.
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { createPruneRunSnapshotsActivity } from '../activities/retention';
import type { ActivityDeps } from '../activities/deps';
import type { Database } from '../db/client';
import { storeSnapshot } from '../db/repos/sync-runs';
import { runSnapshotChunks, syncRuns } from '../db/schema';
import { openTestDatabase } from '../test/support/databases';
import { startLocalTemporal } from '../test/support/temporal';
import { snapshotRetentionScheduleId } from '../workflows/definitions';
import { createInMemoryActivities, eventually } from '../workflows/testing/in-memory-activities';
import { bundleSyncWorkflows } from '../workflows/testing/workers';
import { ensureSnapshotRetention } from './snapshot-retention';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let database: Database;

beforeAll(async () => {
  [env, database] = await Promise.all([startLocalTemporal(), openTestDatabase('pglite')]);
});
afterAll(async () => {
  await env?.teardown();
  await database?.close();
});

test('the Schedule is created once, fires at once, and its workflow deletes snapshots past the retention only', async () => {
  const day = 24 * 60 * 60 * 1000;
  const db = database.db;
  const empty = { departments: [], users: [] };
  for (const [id, daysAgo] of [['old', 3], ['recent', 1]] as const) {
    await db.insert(syncRuns).values({ id, taskId: 't', trigger: 'schedule', status: 'succeeded', finishedAt: new Date(Date.now() - daysAgo * day) });
    await storeSnapshot(db, id, 'source', empty);
  }
  const taskQueue = `retention-${process.pid}`;
  const activities = { ...createInMemoryActivities({ tasks: {} }).activities, pruneRunSnapshots: createPruneRunSnapshotsActivity({ database, snapshotRetentionDays: 2 } as ActivityDeps) };
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await bundleSyncWorkflows(), activities });
  await worker.runUntil(async () => {
    await ensureSnapshotRetention(env.client, { taskQueue });
    await ensureSnapshotRetention(env.client, { taskQueue }); // a second worker starting: no error, one Schedule
    const chunks = (runId: string) => db.select().from(runSnapshotChunks).where(eq(runSnapshotChunks.runId, runId));
    await eventually(async () => (await chunks('old')).length === 0, 'the old snapshot to go');
    expect(await chunks('recent')).toHaveLength(1);
    expect(await db.select().from(syncRuns)).toHaveLength(2);
    const described = await env.client.schedule.getHandle(snapshotRetentionScheduleId).describe();
    expect(described.action).toMatchObject({ workflowType: 'snapshotRetentionWorkflow', taskQueue });
  });
});
