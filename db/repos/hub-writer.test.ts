import { count, eq } from 'drizzle-orm';
import { describeOnBothDatabases } from '../../test/support/databases';
import { auditLog, hubDepartments, hubUsers } from '../schema';
import { ConflictError } from './errors';
import { createHubWriter } from './hub-writer';

describeOnBothDatabases('hub writer', (ctx) => {
  const auditRows = async () => (await ctx.database.db.select({ n: count() }).from(auditLog))[0].n;

  it('rolls back the change and its audit row when the write fails part-way', async () => {
    const write = createHubWriter(ctx.database.db);
    const failing = write('tester', async (tx) => {
      await tx.insert(hubDepartments).values({ id: 'half', name: 'Half written' });
      throw new Error('boom after the insert');
    });
    await expect(failing).rejects.toThrow('boom');
    expect(await ctx.database.db.select().from(hubDepartments).where(eq(hubDepartments.id, 'half'))).toEqual([]);
    expect(await auditRows()).toBe(0);
  });

  it('turns a unique-index race into a ConflictError naming the field, with nothing written', async () => {
    const listener = jest.fn();
    const write = createHubWriter(ctx.database.db, { onChange: listener });
    await ctx.database.db.insert(hubUsers).values({ id: 'u1', username: 'Dup', name: 'First' });
    const racing = write('tester', async (tx) => {
      await tx.insert(hubDepartments).values({ id: 'side-effect', name: 'Should vanish' });
      await tx.insert(hubUsers).values({ id: 'u2', username: 'dup', name: 'Second' });
      return { result: null, audit: { action: 'user.create', entityType: 'user', entityId: 'u2' }, events: [{ entity: 'user', id: 'u2', kind: 'created' }] };
    });
    const error = await racing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).field).toBe('username');
    expect(await ctx.database.db.select().from(hubDepartments).where(eq(hubDepartments.id, 'side-effect'))).toEqual([]);
    expect(await auditRows()).toBe(0);
    expect(listener).not.toHaveBeenCalled();
  });

  it('keeps a committed write when the change listener fails, and reports the failure', async () => {
    const reported: unknown[] = [];
    const write = createHubWriter(ctx.database.db, {
      onChange: () => Promise.reject(new Error('fan-out down')),
      onChangeError: (error) => reported.push(error),
    });
    const result = await write('tester', async (tx) => {
      await tx.insert(hubDepartments).values({ id: 'kept', name: 'Kept' });
      return { result: 'ok', audit: { action: 'department.create', entityType: 'department', entityId: 'kept' }, events: [{ entity: 'department', id: 'kept', kind: 'created' }] };
    });
    expect(result).toBe('ok');
    expect(reported).toEqual([expect.objectContaining({ message: 'fan-out down' })]);
    expect(await auditRows()).toBe(1);
  });
});
