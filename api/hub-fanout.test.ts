import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { syncTasks } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import { createHubDirectory } from '../db/repos/hub-directory';
import type { TaskConfigInput } from '../engine/task-config';
import { describeOnBothDatabases } from '../test/support/databases';
import { createHubFanout } from './hub-fanout';
import { insertTask, recordingSignaller } from './webhooks/testing';

describeOnBothDatabases('hub change fan-out', (ctx) => {
  const secretBox = createSecretBox(randomBytes(32));
  const task = (name: string, overrides: Partial<TaskConfigInput> = {}): TaskConfigInput => ({
    name,
    direction: 'downstream',
    connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:1/cgi-bin', corpId: `ww-${name}` }, secrets: { corpSecret: 's' } },
    triggers: { manual: true, realtime: true },
    ...overrides,
  });

  it('signals every enabled downstream task with real time on, for the touched hub ids, and no other task', async () => {
    const realtime = await insertTask(ctx.database, secretBox, task('realtime'));
    const realtimeToo = await insertTask(ctx.database, secretBox, task('realtime-too'));
    await insertTask(ctx.database, secretBox, task('realtime-off', { triggers: { manual: true, realtime: false } }));
    await insertTask(ctx.database, secretBox, task('disabled', { enabled: false }));
    const deleted = await insertTask(ctx.database, secretBox, task('deleted'));
    await ctx.database.db.update(syncTasks).set({ deletedAt: new Date() }).where(eq(syncTasks.id, deleted));
    await insertTask(ctx.database, secretBox, {
      ...task('upstream'),
      direction: 'upstream',
      connector: { kind: 'feishu', settings: { baseUrl: 'http://127.0.0.1:1/open-apis', appId: 'cli_up' }, secrets: { appSecret: 's' } },
    });

    const signaller = recordingSignaller();
    const fanout = createHubFanout({ database: ctx.database, signaller });
    // A hub write through the repository reports its change after commit, like the API and the hub connector do.
    const hub = createHubDirectory(ctx.database.db, { onChange: fanout });
    const sales = await hub.createDepartment({ name: 'Sales', parentId: null }, 'test');
    await fanout.flush();
    await hub.createUser({ username: 'zoe', name: 'Zoe', departmentIds: [sales.id] }, 'test');
    await fanout.flush();

    const byTask = (taskId: string) => signaller.sent.filter((s) => s.taskId === taskId).flatMap((s) => s.trigger.changedIds ?? []);
    expect(new Set(signaller.sent.map((s) => s.taskId))).toEqual(new Set([realtime, realtimeToo]));
    const zoe = (await hub.listUsers({})).items.find((u) => u.username === 'zoe')!;
    expect(byTask(realtime)).toEqual([sales.id, zoe.id]);
    expect(byTask(realtimeToo)).toEqual([sales.id, zoe.id]);
    expect(signaller.sent.every((s) => s.trigger.trigger === 'realtime')).toBe(true);
  });

  it("carries each hub write's actor into the trigger as requestedBy (separation of duties), one signal per actor", async () => {
    const taskId = await insertTask(ctx.database, secretBox, task(`actor-${randomBytes(2).toString('hex')}`));
    const signaller = recordingSignaller();
    const fanout = createHubFanout({ database: ctx.database, signaller });
    const hub = createHubDirectory(ctx.database.db, { onChange: fanout });
    const sales = await hub.createDepartment({ name: `Sales ${randomBytes(2).toString('hex')}`, parentId: null }, 'token:alice:t1');
    await fanout.flush();
    const [bob, carol] = [
      hub.createDepartment({ name: `Ops ${randomBytes(2).toString('hex')}`, parentId: null }, 'token:bob:t2'),
      hub.createDepartment({ name: `HR ${randomBytes(2).toString('hex')}`, parentId: null }, 'token:carol:t3'),
    ];
    const [ops, hr] = await Promise.all([bob, carol]);
    await fanout.flush();
    const mine = signaller.sent.filter((s) => s.taskId === taskId).map((s) => s.trigger);
    expect(mine[0]).toEqual({ trigger: 'realtime', changedIds: [sales.id], requestedBy: 'token:alice:t1' });
    expect(mine.slice(1)).toEqual(
      expect.arrayContaining([
        { trigger: 'realtime', changedIds: [ops.id], requestedBy: 'token:bob:t2' },
        { trigger: 'realtime', changedIds: [hr.id], requestedBy: 'token:carol:t3' },
      ]),
    );
    expect(mine).toHaveLength(3);

    // Inside an activity (an approved hub delete, an upstream run) the writer is named too.
    await fanout.holdDuring(async () => {
      await hub.updateDepartment(sales.id, { name: `Sales ${randomBytes(2).toString('hex')}` }, 'token:dave:t4');
    });
    await fanout.flush();
    expect(signaller.sent.filter((s) => s.taskId === taskId).at(-1)!.trigger).toEqual({ trigger: 'realtime', changedIds: [sales.id], coalesced: true, requestedBy: 'token:dave:t4' });
  });

  it('coalesces a burst of hub writes into a few signals and reports failures instead of throwing', async () => {
    const taskId = await insertTask(ctx.database, secretBox, task(`burst-${randomBytes(2).toString('hex')}`));
    const signaller = recordingSignaller();
    const errors: unknown[] = [];
    const fanout = createHubFanout({ database: ctx.database, signaller, onError: (e) => errors.push(e) });
    for (let i = 0; i < 200; i++) await fanout([{ entity: 'user', id: `u${i}`, kind: 'updated' }]);
    await fanout.flush();
    const mine = signaller.sent.filter((s) => s.taskId === taskId);
    expect(mine.length).toBeLessThan(20);
    expect(new Set(mine.flatMap((s) => s.trigger.changedIds ?? [])).size).toBe(200);

    signaller.failing = true;
    await expect(fanout([{ entity: 'user', id: 'u-late', kind: 'updated' }])).resolves.toBeUndefined();
    await fanout.flush();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain(taskId);
  });

  it("holds an activity's hub changes until it ends, then sends them once marked coalesced; other writes keep the debounce", async () => {
    const taskId = await insertTask(ctx.database, secretBox, task(`held-${randomBytes(2).toString('hex')}`));
    const signaller = recordingSignaller();
    const fanout = createHubFanout({ database: ctx.database, signaller });
    const mine = () => signaller.sent.filter((s) => s.taskId === taskId).map((s) => s.trigger);
    let finishActivity: () => void = () => undefined;
    const activity = fanout.holdDuring(async () => {
      for (let i = 0; i < 5; i++) await fanout([{ entity: 'user', id: `run-${i}`, kind: 'updated' }]);
      await new Promise<void>((resolve) => (finishActivity = resolve));
      return 'applied';
    });
    await fanout([{ entity: 'user', id: 'api-edit', kind: 'updated' }]); // outside the activity: an API write
    await fanout.flush();
    expect(mine()).toEqual([{ trigger: 'realtime', changedIds: ['api-edit'] }]);

    finishActivity();
    await expect(activity).resolves.toBe('applied');
    await fanout.flush();
    expect(mine()).toEqual([
      { trigger: 'realtime', changedIds: ['api-edit'] },
      { trigger: 'realtime', changedIds: ['run-0', 'run-1', 'run-2', 'run-3', 'run-4'], coalesced: true },
    ]);
  });

  it('sends the changes of a failed activity too (its writes committed), and a change reported after the activity the plain way', async () => {
    const taskId = await insertTask(ctx.database, secretBox, task(`failed-${randomBytes(2).toString('hex')}`));
    const signaller = recordingSignaller();
    const fanout = createHubFanout({ database: ctx.database, signaller });
    let lateWrite: Promise<void> = Promise.resolve();
    const activity = fanout.holdDuring(async () => {
      await fanout([{ entity: 'department', id: 'd1', kind: 'created' }]);
      // Work the activity leaves behind still runs in its async context after it ends.
      lateWrite = new Promise<void>((resolve) => setTimeout(resolve, 20)).then(() => fanout([{ entity: 'user', id: 'late', kind: 'updated' }]));
      throw new Error('vendor down');
    });
    await expect(activity).rejects.toThrow('vendor down');
    await lateWrite;
    await fanout.flush();
    // Two independent sends: either may land first (the task workflow merges triggers whatever their order).
    const mine = signaller.sent.filter((s) => s.taskId === taskId).map((s) => s.trigger);
    expect(mine).toHaveLength(2);
    expect(mine).toEqual(
      expect.arrayContaining([
        { trigger: 'realtime', changedIds: ['d1'], coalesced: true },
        { trigger: 'realtime', changedIds: ['late'] },
      ]),
    );
  });
});
