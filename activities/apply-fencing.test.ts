// Overlapping attempts of one apply batch (Temporal started a new attempt after a heartbeat timeout
// while the old one still runs), on both databases against the WeCom fake: the attempt Temporal
// scheduled last owns the batch; an older one stops with a non-retryable SupersededAttempt before
// it touches the vendor again, and none of its outcomes is recorded.
import { randomBytes, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { seedHub } from '../bench/seed-hub';
import { connectorCatalog } from '../connectors/definitions';
import { createConnector } from '../connectors/registry';
import type { Connector } from '../connectors/types';
import { startWecomFake, type RunningWecomFake } from '../connectors/wecom/fake';
import { fakeState } from '../connectors/wecom/fake/test-helpers';
import { runItems, syncTasks } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import type { DirectorySnapshot } from '../engine/model';
import { parseTaskConfig, splitSecrets } from '../engine/task-config';
import { describeOnBothDatabases } from '../test/support/databases';
import { createActivities } from './index';

jest.setTimeout(120_000);

const secretBox = createSecretBox(randomBytes(32));
const directory: DirectorySnapshot = {
  departments: [
    { id: 'f-rd', name: 'R&D', parentId: null, order: 1, leaderIds: [] },
    { id: 'f-ops', name: 'Ops', parentId: null, order: 2, leaderIds: [] },
  ],
  users: Array.from({ length: 12 }, (_, i) => ({
    id: `f-u${i}`,
    username: `fu${i}`,
    name: `Person ${i}`,
    email: `fu${i}@corp.test`,
    mobile: null,
    employeeNumber: `F${i}`,
    title: null,
    departmentIds: [i % 2 === 0 ? 'f-rd' : 'f-ops'],
    mainDepartmentId: i % 2 === 0 ? 'f-rd' : 'f-ops',
    managerId: null,
    status: 'active' as const,
    attributes: {},
  })),
};

/** A latch: `open()` lets every `wait()` through. */
function latch() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, wait: () => opened };
}

/** One "worker": its own activities and connector, a hook after each vendor call, and its vendor-call count. */
function workerOf(ctx: { readonly database: import('../db/client').Database }) {
  const worker = { calls: 0, afterCall: undefined as undefined | ((n: number) => Promise<void>) };
  const connectorFactory: typeof createConnector = (kind, settings, secrets, deps) => {
    const inner = createConnector(kind, settings, secrets, deps);
    if (kind === 'hub') return inner;
    const wrapped: Connector = {
      ...inner,
      apply: async (op) => {
        const n = ++worker.calls;
        const result = await inner.apply(op);
        await worker.afterCall?.(n);
        return result;
      },
    };
    return wrapped;
  };
  return { worker, activities: createActivities({ database: ctx.database, secretBox, connectorFactory, applyConcurrency: 1 }) };
}

/** Attempt n of the applyBatch activity, scheduled at `scheduledAt` (what Temporal tells the activity). */
const attempt = (n: number, scheduledAt: number) => new MockActivityEnvironment({ attempt: n, currentAttemptScheduledTimestampMs: scheduledAt, activityType: 'applyBatch' });

const settled = (p: Promise<unknown>) => p.then(
  (value) => ({ value, error: undefined as unknown }),
  (error: unknown) => ({ value: undefined, error }),
);

describeOnBothDatabases('overlapping apply attempts', (ctx) => {
  const fakes: RunningWecomFake[] = [];

  beforeAll(async () => {
    await seedHub(ctx.database.db, directory);
  });
  afterAll(async () => {
    await Promise.all(fakes.map((f) => f.close()));
  });

  async function plannedRun() {
    const corpSecret = randomBytes(8).toString('hex');
    const fake = await startWecomFake({ corpId: 'ww-fence', corpSecret });
    fakes.push(fake);
    const { publicConfig, secrets } = splitSecrets(
      parseTaskConfig({ name: 'fencing', direction: 'downstream', connector: { kind: 'wecom', settings: { baseUrl: fake.baseUrl, corpId: 'ww-fence' }, secrets: { corpSecret } } }, { kinds: connectorCatalog }),
    );
    const taskId = `task-${randomUUID()}`;
    await ctx.database.db.insert(syncTasks).values({ id: taskId, name: 'fencing', direction: 'downstream', connectorKind: 'wecom', config: publicConfig as never, secretsSealed: secretBox.seal(secrets) });
    const { activities } = workerOf(ctx);
    const runId = randomUUID();
    await activities.startRun({ taskId, runId, workflowId: `wf-${runId}`, trigger: 'manual', dryRun: false });
    await activities.snapshot({ runId });
    const plan = await activities.plan({ runId });
    expect(plan.batches).toBe(1);
    return { fake, runId };
  }

  const itemsOf = (runId: string) => ctx.database.db.select().from(runItems).where(eq(runItems.runId, runId)).orderBy(runItems.seq);

  async function expectEachOnceAt(fake: RunningWecomFake) {
    const state = await fakeState<{ department: { name: string }[]; userlist: { userid: string }[] }>(fake);
    expect(state.department.map((d) => d.name).filter((name) => name === 'R&D' || name === 'Ops').sort()).toEqual(['Ops', 'R&D']);
    expect(state.userlist.map((u) => u.userid).sort()).toEqual(directory.users.map((u) => u.username).sort());
  }

  test('the newer attempt takes over mid-batch: the older stops at its next write and touches the vendor no more', async () => {
    const { fake, runId } = await plannedRun();
    const older = workerOf(ctx);
    const newer = workerOf(ctx);
    const olderBlocked = latch();
    const releaseOlder = latch();
    // The older attempt's first create reaches WeCom, then it stalls (a frozen worker) without recording it.
    older.worker.afterCall = async (n) => {
      if (n !== 1) return;
      olderBlocked.open();
      await releaseOlder.wait();
    };
    const t0 = Date.now();
    const olderDone = settled(attempt(1, t0).run(older.activities.applyBatch, { runId, batch: 0 }));
    await olderBlocked.wait();

    // The newer attempt resumes; after its first vendor call the older one wakes up and runs until it stops.
    newer.worker.afterCall = async (n) => {
      if (n !== 1) return;
      releaseOlder.open();
      await olderDone;
    };
    await attempt(2, t0 + 31_000).run(newer.activities.applyBatch, { runId, batch: 0 });

    const { error } = await olderDone;
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'SupersededAttempt', nonRetryable: true });
    expect(older.worker.calls).toBe(1);
    const items = await itemsOf(runId);
    expect(items.filter((i) => i.status !== 'succeeded')).toEqual([]);
    // The older attempt's create was recorded by the newer one, which found it at WeCom.
    expect(items.filter((i) => i.reason === 'created by an earlier attempt; adopted')).toHaveLength(1);
    await expectEachOnceAt(fake);
  });

  test('an older attempt that starts after a newer one claimed the batch makes no vendor call and records nothing', async () => {
    const { fake, runId } = await plannedRun();
    const older = workerOf(ctx);
    const newer = workerOf(ctx);
    const newerBlocked = latch();
    const releaseNewer = latch();
    newer.worker.afterCall = async (n) => {
      if (n !== 2) return;
      newerBlocked.open();
      await releaseNewer.wait();
    };
    const t0 = Date.now();
    const newerDone = settled(attempt(2, t0 + 31_000).run(newer.activities.applyBatch, { runId, batch: 0 }));
    await newerBlocked.wait();
    const stale = await settled(attempt(1, t0).run(older.activities.applyBatch, { runId, batch: 0 }));
    expect(stale.error).toMatchObject({ type: 'SupersededAttempt', nonRetryable: true });
    expect(older.worker.calls).toBe(0);
    releaseNewer.open();
    expect((await newerDone).error).toBeUndefined();
    expect((await itemsOf(runId)).filter((i) => i.status !== 'succeeded' || i.reason !== null)).toEqual([]);
    await expectEachOnceAt(fake);
  });
});
