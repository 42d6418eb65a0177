// Prepared hot reads (prepared.ts) run on the handle they are given: inside a transaction they see
// its uncommitted writes, and once built they still read what is stored now, with each call's values.
import { eq } from 'drizzle-orm';
import { describeOnBothDatabases } from '../../test/support/databases';
import { syncTasks } from '../schema';
import { createApiTokens } from './api-tokens';
import { findLiveTask } from './task-rows';

describeOnBothDatabases('prepared hot reads', (ctx) => {
  const task = (id: string) => ({ id, name: id, direction: 'upstream' as const, connectorKind: 'scim-push', config: {} as never, secretsSealed: 'none' });

  it('reads a task written in the transaction it is given, and not from outside before the commit', async () => {
    expect(await findLiveTask(ctx.database.db, 'prepared-a')).toBeUndefined();
    await ctx.database.db.transaction(async (tx) => {
      await tx.insert(syncTasks).values(task('prepared-a'));
      expect((await findLiveTask(tx, 'prepared-a'))?.id).toBe('prepared-a');
    });
    expect((await findLiveTask(ctx.database.db, 'prepared-a'))?.name).toBe('prepared-a');
  });

  it('answers each call with its own values and what is stored now', async () => {
    await ctx.database.db.insert(syncTasks).values([task('prepared-b'), task('prepared-c')]);
    expect((await findLiveTask(ctx.database.db, 'prepared-b'))?.id).toBe('prepared-b');
    expect((await findLiveTask(ctx.database.db, 'prepared-c'))?.id).toBe('prepared-c');
    await ctx.database.db.update(syncTasks).set({ deletedAt: new Date() }).where(eq(syncTasks.id, 'prepared-b'));
    expect(await findLiveTask(ctx.database.db, 'prepared-b')).toBeUndefined();

    const tokens = createApiTokens(ctx.database.db);
    const first = await tokens.create({ name: 'prepared-1', role: 'admin' }, 'tester');
    const second = await tokens.create({ name: 'prepared-2', role: 'scim', taskId: 'prepared-c' }, 'tester');
    expect((await tokens.verify(first.token))?.name).toBe('prepared-1');
    expect(await tokens.verify(second.token)).toMatchObject({ name: 'prepared-2', role: 'scim', taskId: 'prepared-c' });
    expect(await tokens.verify(`${first.token}x`)).toBeUndefined();
  });
});
