// The durable hub-change outbox: a hub write's change survives a process killed between commit and
// fan-out, and a send made while Temporal is away; duplicates are harmless; two drainers share rows.
import { randomBytes } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import { createHubConnector } from '../connectors/hub';
import { createHubDirectory } from '../db/repos/hub-directory';
import { hubChangeOutbox } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import type { TaskConfigInput } from '../engine/task-config';
import { describeOnBothDatabases } from '../test/support/databases';
import { mergeTrigger } from '../workflows/pending-runs';
import { createHubFanout } from './hub-fanout';
import { drainHubOutbox, startHubOutboxDrainer } from './hub-outbox-drain';
import type { RealtimeSignaller } from './webhooks/realtime-signal';
import { insertTask, recordingSignaller } from './webhooks/testing';

describeOnBothDatabases('durable hub-change outbox', (ctx) => {
  const secretBox = createSecretBox(randomBytes(32));
  const suffix = () => randomBytes(3).toString('hex');
  const task = (): TaskConfigInput => ({
    name: `rt-${suffix()}`,
    direction: 'downstream',
    connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:1/cgi-bin', corpId: `ww-${suffix()}` }, secrets: { corpSecret: 's' } },
    triggers: { manual: true, realtime: true },
  });
  const outboxRows = () => ctx.database.db.select().from(hubChangeOutbox);
  const killedAfterCommit = () => {
    throw new Error('worker killed after the commit, before the fan-out');
  };

  beforeEach(async () => {
    await ctx.database.db.delete(hubChangeOutbox);
  });

  it('(a) a hub write whose process died before fan-out reaches the downstream real-time task once the drainer runs', async () => {
    const taskId = await insertTask(ctx.database, secretBox, task());
    const signaller = recordingSignaller();
    const mine = () => signaller.sent.filter((s) => s.taskId === taskId).map((s) => s.trigger);
    // An upstream run writes through the hub connector; the process dies right after the commit.
    const dying = createHubConnector({ database: ctx.database, actor: 'sync:up-1', onChange: killedAfterCommit });
    const created = await dying.apply({ action: 'CreateDepartment', department: { id: `dep-${suffix()}`, name: `Sales ${suffix()}`, parentId: null, order: 0, leaderIds: [] } });
    const departmentId = created.externalId!;
    // The retried attempt re-applies as a no-op that emits nothing.
    const fanout = createHubFanout({ database: ctx.database, signaller });
    const retried = createHubDirectory(ctx.database.db, { onChange: fanout });
    const before = await retried.getDepartment(departmentId);
    await retried.updateDepartment(departmentId, { name: before.name }, 'sync:up-1');
    await fanout.flush();
    expect(mine()).toEqual([]);

    const result = await drainHubOutbox({ database: ctx.database, signaller }, { graceMs: 0 });
    expect(result).toMatchObject({ signalled: 1, failed: 0 });
    expect(mine()).toEqual([{ trigger: 'realtime', changedIds: [departmentId], coalesced: true, requestedBy: 'sync:up-1' }]);
    expect(await outboxRows()).toEqual([]);
  });

  it('the drainer as the API and the worker start it (no onResult listener) delivers a due row', async () => {
    // Found by the chaos run: `onResult?.(await drain())` skipped the drain itself when nobody listened.
    const taskId = await insertTask(ctx.database, secretBox, task());
    const signaller = recordingSignaller();
    const dying = createHubDirectory(ctx.database.db, { onChange: killedAfterCommit });
    const dep = await dying.createDepartment({ name: `Ops ${suffix()}`, parentId: null }, 'sync:up-2');
    const drainer = startHubOutboxDrainer({ database: ctx.database, signaller, graceMs: 0, onError: (err) => { throw err; } });
    try {
      await drainer.firstDrain;
      expect(signaller.sent.filter((s) => s.taskId === taskId).map((s) => s.trigger.changedIds)).toEqual([[dep.id]]);
      expect(await outboxRows()).toEqual([]);
    } finally {
      await drainer.stop();
    }
  });

  it('writes one row per change in the transaction of every hub write (create, update, delete), and none for a rolled-back one', async () => {
    const hub = createHubDirectory(ctx.database.db, { onChange: killedAfterCommit });
    const dep = await hub.createDepartment({ name: `Ops ${suffix()}`, parentId: null }, 'token:alice:t1');
    const user = await hub.createUser({ username: `u${suffix()}`, name: 'Una', departmentIds: [dep.id] }, 'token:alice:t1');
    await hub.updateUser(user.id, { title: 'Lead' }, 'token:bob:t2');
    await hub.deleteUser(user.id, 'token:bob:t2');
    await hub.updateDepartment(dep.id, { name: `Ops ${suffix()}` }, 'token:bob:t2');
    await hub.deleteDepartment(dep.id, 'token:bob:t2');
    await expect(hub.createUser({ username: `v${suffix()}`, name: 'Vic', departmentIds: ['no-such-department'] }, 'token:alice:t1')).rejects.toThrow();
    const rows = (await outboxRows()).sort((a, b) => a.id - b.id);
    expect(rows.map((r) => [r.entity, r.hubId, r.kind, r.actor])).toEqual([
      ['department', dep.id, 'created', 'token:alice:t1'],
      ['user', user.id, 'created', 'token:alice:t1'],
      ['user', user.id, 'updated', 'token:bob:t2'],
      ['user', user.id, 'deleted', 'token:bob:t2'],
      ['department', dep.id, 'updated', 'token:bob:t2'],
      ['department', dep.id, 'deleted', 'token:bob:t2'],
    ]);
  });

  it('the fast path deletes the rows it delivered, so the drainer sends nothing again', async () => {
    const taskId = await insertTask(ctx.database, secretBox, task());
    const signaller = recordingSignaller();
    const fanout = createHubFanout({ database: ctx.database, signaller });
    const hub = createHubDirectory(ctx.database.db, { onChange: fanout });
    const dep = await hub.createDepartment({ name: `Fast ${suffix()}`, parentId: null }, 'token:alice:t1');
    await fanout.flush();
    expect(signaller.sent.filter((s) => s.taskId === taskId).map((s) => s.trigger.changedIds)).toEqual([[dep.id]]);
    expect(await outboxRows()).toEqual([]);
    expect(await drainHubOutbox({ database: ctx.database, signaller }, { graceMs: 0 })).toMatchObject({ signalled: 0, failed: 0 });
  });

  it('(b) Temporal away during the send: the row is kept, backed off, and delivered later', async () => {
    const taskId = await insertTask(ctx.database, secretBox, task());
    const signaller = recordingSignaller();
    const mine = () => signaller.sent.filter((s) => s.taskId === taskId).map((s) => s.trigger);
    signaller.failing = true;
    const errors: unknown[] = [];
    const fanout = createHubFanout({ database: ctx.database, signaller, onError: (e) => errors.push(e) });
    const hub = createHubDirectory(ctx.database.db, { onChange: fanout });
    const dep = await hub.createDepartment({ name: `Away ${suffix()}`, parentId: null }, 'token:alice:t1');
    await fanout.flush();
    expect(errors).toHaveLength(1);
    expect(await outboxRows()).toHaveLength(1);

    const away = await drainHubOutbox({ database: ctx.database, signaller }, { graceMs: 0, backoff: { initialMs: 60_000, maxMs: 600_000 } });
    expect(away).toMatchObject({ signalled: 0, failed: 1 });
    const [kept] = await outboxRows();
    expect(kept).toMatchObject({ hubId: dep.id, attempts: 1, lastError: expect.stringContaining('Temporal is away') });
    expect(kept.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 30_000);
    // Backing off: Temporal is back, but the row is not due yet.
    signaller.failing = false;
    expect(await drainHubOutbox({ database: ctx.database, signaller }, { graceMs: 0 })).toMatchObject({ signalled: 0, failed: 0 });
    expect(mine()).toEqual([]);

    await ctx.database.db.update(hubChangeOutbox).set({ nextAttemptAt: sql`now() - interval '1 second'` });
    expect(await drainHubOutbox({ database: ctx.database, signaller }, { graceMs: 0 })).toMatchObject({ signalled: 1, failed: 0 });
    expect(mine()).toEqual([{ trigger: 'realtime', changedIds: [dep.id], coalesced: true, requestedBy: 'token:alice:t1' }]);
    expect(await outboxRows()).toEqual([]);
  });

  it('(c) a change delivered twice (the ack was lost) merges into one pending run with each id once', async () => {
    const taskId = await insertTask(ctx.database, secretBox, task());
    const signaller = recordingSignaller();
    const fanout = createHubFanout({ database: ctx.database, signaller });
    const hub = createHubDirectory(ctx.database.db, { onChange: fanout });
    const dep = await hub.createDepartment({ name: `Twice ${suffix()}`, parentId: null }, 'token:alice:t1');
    await fanout.flush();
    // The process died after the signal and before deleting the row: the row is back, as if never acknowledged.
    await ctx.database.db.insert(hubChangeOutbox).values({ entity: 'department', hubId: dep.id, kind: 'created', actor: 'token:alice:t1' });
    await drainHubOutbox({ database: ctx.database, signaller }, { graceMs: 0 });
    const triggers = signaller.sent.filter((s) => s.taskId === taskId).map((s) => s.trigger);
    expect(triggers).toHaveLength(2);
    let pending = {};
    for (const trigger of triggers) pending = mergeTrigger(pending, trigger, 'run-1', 0).pending;
    expect(pending).toMatchObject({ real: { changedIds: [dep.id], full: false, requestedBy: ['token:alice:t1'] } });
  });

  it('leaves fresh rows to the fast path for the grace period', async () => {
    await insertTask(ctx.database, secretBox, task());
    const hub = createHubDirectory(ctx.database.db, { onChange: killedAfterCommit });
    await hub.createDepartment({ name: `Fresh ${suffix()}`, parentId: null }, 'token:alice:t1');
    const signaller = recordingSignaller();
    expect(await drainHubOutbox({ database: ctx.database, signaller }, { graceMs: 60_000 })).toMatchObject({ signalled: 0 });
    expect(await outboxRows()).toHaveLength(1);
  });

  it('two drainers at once send each row once, in bounded batches', async () => {
    const taskId = await insertTask(ctx.database, secretBox, task());
    const ids = Array.from({ length: 25 }, (_, i) => `bulk-${i}`);
    await ctx.database.db.insert(hubChangeOutbox).values(ids.map((hubId) => ({ entity: 'user' as const, hubId, kind: 'updated' as const, actor: 'sync:up-1' })));
    const calls: string[][] = [];
    const slow: RealtimeSignaller = {
      async signal(t, changedIds) {
        if (t.id !== taskId) return;
        calls.push([...changedIds]);
        await new Promise((resolve) => setTimeout(resolve, 30));
      },
      flush: () => Promise.resolve(),
    };
    const [one, two] = await Promise.all([
      drainHubOutbox({ database: ctx.database, signaller: slow }, { graceMs: 0, batchSize: 10 }),
      drainHubOutbox({ database: ctx.database, signaller: slow }, { graceMs: 0, batchSize: 10 }),
    ]);
    expect(one.signalled + two.signalled).toBe(25);
    expect(calls.flat().sort()).toEqual([...ids].sort());
    expect(Math.max(...calls.map((c) => c.length))).toBeLessThanOrEqual(10);
    expect(await ctx.database.db.select().from(hubChangeOutbox).where(inArray(hubChangeOutbox.hubId, ids))).toEqual([]);
  });

  it('drops rows no task needs (no real-time downstream task) after the drain', async () => {
    const hub = createHubDirectory(ctx.database.db, { onChange: killedAfterCommit });
    await hub.createDepartment({ name: `Nobody ${suffix()}`, parentId: null }, 'token:alice:t1');
    await drainHubOutbox({ database: ctx.database, signaller: recordingSignaller() }, { graceMs: 0 });
    expect(await ctx.database.db.select().from(hubChangeOutbox).where(eq(hubChangeOutbox.actor, 'token:alice:t1'))).toEqual([]);
  });
});
