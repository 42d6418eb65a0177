// Executing approved deletions heartbeats while one vendor call is slow: a WeCom rate-limit block
// (60 s) outlasts the 30 s heartbeat timeout, and a silent attempt would be abandoned and retried.
import { MockActivityEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client';
import { pendingDeletions } from '../db/schema';
import { openTestDatabase } from '../test/support/databases';
import { createApprovalActivities } from './approvals';
import type { ActivityDeps } from './deps';

let database: Database;

beforeAll(async () => {
  database = await openTestDatabase('pglite');
});

afterAll(async () => {
  await database?.close();
});

test('a slow item keeps the attempt heartbeating, with the progress so far as the details', async () => {
  const runId = 'run-slow-delete';
  const row = (n: number) => ({ id: `${runId}-${n}`, taskId: 'task-slow', runId, runItemId: n, action: 'DeleteUser', entity: 'user' as const, targetId: `u${n}`, reason: 'deletion protection', status: 'EXECUTING' as const, decidedBy: 'approver' });
  await database.db.insert(pendingDeletions).values([row(1), row(2)]);
  const heartbeats: unknown[] = [];
  const slowMs = 350;
  const executeOne = async ({ pendingDeletionId }: { pendingDeletionId: string }) => {
    await new Promise((resolve) => setTimeout(resolve, slowMs)); // the vendor's rate-limit wait
    await database.db.update(pendingDeletions).set({ status: 'SUCCEEDED' }).where(eq(pendingDeletions.id, pendingDeletionId));
    return { status: 'SUCCEEDED' as const };
  };
  const activities = createApprovalActivities({ database } as ActivityDeps, { executeOne, heartbeatEveryMs: 50 });
  const env = new MockActivityEnvironment();
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  const result = await env.run(activities.executeApprovedDeletions, { runId });
  expect(result).toEqual({ succeeded: 2, failed: 0, superseded: 0, remaining: 0 });
  // Two slow items: several beats each (one before each item was all it sent before), the first item's done in the later ones.
  expect(heartbeats.length).toBeGreaterThanOrEqual(6);
  expect(heartbeats).toContainEqual(expect.objectContaining({ succeeded: 1 }));
});
