// Group commit of hub writes (hub-writer.ts `group`): concurrent writes of one guard share one
// transaction, each in its own savepoint, each answered with its own result or error.
import { count, eq, inArray, sql } from 'drizzle-orm';
import { describeOnBothDatabases } from '../../test/support/databases';
import type { Db } from '../client';
import { auditLog, hubChangeOutbox, hubDepartments, hubUsers } from '../schema';
import { ConflictError } from './errors';
import { createHubWriter, type HubWriteOptions } from './hub-writer';
import { createHubDirectory } from './hub-directory';

/** `db` with its top-level transactions counted. */
function countingTransactions(db: Db): { db: Db; transactions: () => number } {
  let n = 0;
  const counted = new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'transaction') {
        return (...args: Parameters<Db['transaction']>) => {
          n++;
          return target.transaction(...args);
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return { db: counted, transactions: () => n };
}

describeOnBothDatabases('hub writes in group commit', (ctx) => {
  const grouped: HubWriteOptions = { lock: 'shared', group: true };

  it('writes concurrent creates in one transaction and answers each with its own row', async () => {
    const { db, transactions } = countingTransactions(ctx.database.db);
    const changes: string[][] = [];
    const hub = createHubDirectory(db, { onChange: (events) => void changes.push(events.map((e) => e.id)) });
    const names = Array.from({ length: 8 }, (_, i) => `group-${i}`);
    const rows = await Promise.all(names.map((username) => hub.createUserRow({ username, name: username.toUpperCase() }, 'tester', { uniqueByIndex: true, group: true })));
    expect(transactions()).toBe(1);
    expect(rows.map((r) => r.username)).toEqual(names);
    expect(rows.map((r) => r.name)).toEqual(names.map((n) => n.toUpperCase()));
    expect(new Set(rows.map((r) => r.id)).size).toBe(8);
    // an audit row and an outbox row per write, and each write's change reported on its own
    const ids = rows.map((r) => r.id);
    expect((await ctx.database.db.select({ n: count() }).from(auditLog).where(inArray(auditLog.entityId, ids)))[0].n).toBe(8);
    expect((await ctx.database.db.select({ n: count() }).from(hubChangeOutbox).where(inArray(hubChangeOutbox.hubId, ids)))[0].n).toBe(8);
    expect(changes).toEqual(ids.map((id) => [id]));
  });

  it('fails a duplicate alone (409 uniqueness) while the others of its group are written', async () => {
    const { db, transactions } = countingTransactions(ctx.database.db);
    const hub = createHubDirectory(db);
    const names = ['dup-a', 'dup-b', 'DUP-A', 'dup-c', 'dup-a'];
    const outcomes = await Promise.allSettled(names.map((username) => hub.createUserRow({ username, name: username }, 'tester', { uniqueByIndex: true, group: true })));
    expect(transactions()).toBe(1);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'rejected']);
    for (const o of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
      expect(o.reason).toBeInstanceOf(ConflictError);
      expect((o.reason as ConflictError).field).toBe('username');
    }
    const stored = await ctx.database.db.select({ username: hubUsers.username }).from(hubUsers).where(sql`lower(${hubUsers.username}) like 'dup-%'`).orderBy(hubUsers.username);
    expect(stored.map((r) => r.username)).toEqual(['dup-a', 'dup-b', 'dup-c']);
  });

  it('undoes a write that fails part-way without rolling back the others of its group', async () => {
    const { db, transactions } = countingTransactions(ctx.database.db);
    const write = createHubWriter(db);
    const department = (id: string, fail = false) =>
      write(
        'tester',
        async (tx) => {
          await tx.insert(hubDepartments).values({ id, name: id });
          if (fail) throw new Error(`boom in ${id}`);
          return { result: id, audit: { action: 'department.create', entityType: 'department', entityId: id } };
        },
        grouped,
      );
    const outcomes = await Promise.allSettled([department('kept-1'), department('half', true), department('kept-2')]);
    expect(transactions()).toBe(1);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: 'kept-1' },
      { status: 'rejected', reason: expect.objectContaining({ message: 'boom in half' }) },
      { status: 'fulfilled', value: 'kept-2' },
    ]);
    const stored = await ctx.database.db.select({ id: hubDepartments.id }).from(hubDepartments).where(inArray(hubDepartments.id, ['kept-1', 'half', 'kept-2'])).orderBy(hubDepartments.id);
    expect(stored.map((r) => r.id)).toEqual(['kept-1', 'kept-2']);
    expect((await ctx.database.db.select({ n: count() }).from(auditLog).where(eq(auditLog.entityId, 'half')))[0].n).toBe(0);
  });

  it('refuses every write of the group when its guard does not hold, writing none', async () => {
    const write = createHubWriter(ctx.database.db);
    const refused = new Error('the task changed');
    const guard = { holds: sql`false`, refuse: () => refused };
    const attempt = (id: string) =>
      write('tester', async (tx) => {
        await tx.insert(hubDepartments).values({ id, name: id });
        return { result: id };
      }, { ...grouped, guard });
    const outcomes = await Promise.allSettled([attempt('guarded-1'), attempt('guarded-2')]);
    expect(outcomes.map((o) => (o.status === 'rejected' ? o.reason : o.value))).toEqual([refused, refused]);
    expect(await ctx.database.db.select().from(hubDepartments).where(inArray(hubDepartments.id, ['guarded-1', 'guarded-2']))).toEqual([]);
  });

  it('groups writes that arrive while a group is being written into the next one', async () => {
    const { db, transactions } = countingTransactions(ctx.database.db);
    const write = createHubWriter(db);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inFirst = new Promise<void>((resolve) => (entered = resolve));
    const make = (id: string, wait?: Promise<void>) =>
      write('tester', async (tx) => {
        if (wait) {
          entered();
          await wait;
        }
        await tx.insert(hubDepartments).values({ id, name: id });
        return { result: id };
      }, grouped);
    const first = make('wave-0', held);
    await inFirst;
    const later = ['wave-1', 'wave-2', 'wave-3'].map((id) => make(id));
    release();
    expect(await Promise.all([first, ...later])).toEqual(['wave-0', 'wave-1', 'wave-2', 'wave-3']);
    expect(transactions()).toBe(2);
  });
});
