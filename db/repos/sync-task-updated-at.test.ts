// Every write of a sync task moves its updated_at strictly forward, by the database's clock: a SCIM
// push task cached by updated_at (api/scim/push-task.ts) must never look current after a change,
// whether two changes fall in one millisecond or come from processes whose clocks disagree.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { connectorCatalog } from '../../connectors/definitions';
import { syncTasks } from '../schema';
import { createSecretBox } from '../secret-box';
import { describeOnBothDatabases } from '../../test/support/databases';
import { createSyncTasks, type TaskWriteRules } from './sync-tasks';

const anyone: TaskWriteRules = { authorizeProtectionChange: () => undefined };
const allTimersButDate = ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] as const;

describeOnBothDatabases('sync task updated_at', (ctx) => {
  const secretBox = createSecretBox(randomBytes(32));
  const tasks = () => createSyncTasks(ctx.database.db, { secretBox, kinds: connectorCatalog });
  const updatedAt = async (id: string) => (await ctx.database.db.select({ at: syncTasks.updatedAt }).from(syncTasks).where(eq(syncTasks.id, id)))[0].at.getTime();
  afterEach(() => jest.useRealTimers());

  it('strictly increases over writes in one client millisecond and from a client whose clock lags', async () => {
    const task = await tasks().create(
      { name: `Hub to WeCom ${randomBytes(3).toString('hex')}`, direction: 'downstream', connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:18081/cgi-bin', corpId: 'ww-at' }, secrets: { corpSecret: 's' } } },
      'test',
      anyone,
    );
    const seen = [await updatedAt(task.id)];
    // this process's clock stands still (every write in one millisecond), then runs a minute behind
    for (const now of [Date.now(), Date.now(), Date.now() - 60_000]) {
      jest.useFakeTimers({ doNotFake: [...allTimersButDate], now });
      await tasks().setEnabled(task.id, false, 'test');
      seen.push(await updatedAt(task.id));
      await tasks().patch(task.id, { name: `Renamed ${seen.length}` }, 'test', anyone);
      seen.push(await updatedAt(task.id));
      await tasks().setEnabled(task.id, true, 'test');
      seen.push(await updatedAt(task.id));
      jest.useRealTimers();
    }
    await tasks().remove(task.id, 'test');
    seen.push(await updatedAt(task.id));
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
  });
});
