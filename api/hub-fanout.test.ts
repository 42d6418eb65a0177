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
});
