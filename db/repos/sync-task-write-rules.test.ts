// Every write of a sync task states who may change its protection (review of issue 10.9): a caller
// that passes no rules is refused, instead of skipping the check as a `rules = {}` default did.
import { randomBytes } from 'node:crypto';
import { count } from 'drizzle-orm';
import { connectorCatalog } from '../../connectors/definitions';
import { syncTasks } from '../schema';
import { createSecretBox } from '../secret-box';
import { describeOnBothDatabases } from '../../test/support/databases';
import { createSyncTasks, type TaskWriteRules } from './sync-tasks';

const body = (extra: object = {}) => ({
  name: `Hub to WeCom ${randomBytes(3).toString('hex')}`,
  direction: 'downstream',
  connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:18081/cgi-bin', corpId: `ww-${randomBytes(3).toString('hex')}` }, secrets: { corpSecret: 's' } },
  ...extra,
});

describeOnBothDatabases('sync task write rules', (ctx) => {
  const secretBox = createSecretBox(randomBytes(32));
  const tasks = () => createSyncTasks(ctx.database.db, { secretBox, kinds: connectorCatalog });
  const stored = async () => Number((await ctx.database.db.select({ n: count() }).from(syncTasks))[0].n);
  const seen: string[][] = [];
  const recording: TaskWriteRules = { authorizeProtectionChange: (fields) => void seen.push(fields) };

  it('refuses a create or a patch without rules, storing nothing', async () => {
    const before = await stored();
    const noRules = [undefined, {}] as unknown as TaskWriteRules[];
    for (const rules of noRules) await expect(tasks().create(body({ offboarding: 'delete' }), 'test', rules)).rejects.toThrow('authorizeProtectionChange');
    expect(await stored()).toBe(before);

    const task = await tasks().create(body(), 'test', recording);
    for (const rules of noRules) await expect(tasks().patch(task.id, { offboarding: 'delete' }, 'test', rules)).rejects.toThrow('authorizeProtectionChange');
    expect((await tasks().get(task.id)).config.offboarding).toBe('disable');
  });

  it('hands the changed protection fields to the rules on create and patch', async () => {
    seen.length = 0;
    const task = await tasks().create(body({ requireSecondApprover: true }), 'test', recording);
    await tasks().patch(task.id, { offboarding: 'delete' }, 'test', recording);
    expect(seen).toEqual([['requireSecondApprover'], ['offboarding']]);
  });
});
