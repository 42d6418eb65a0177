import postgres from 'postgres';
import { count, eq, sql } from 'drizzle-orm';
import { describeOnBothDatabases, openTestPostgres } from '../../test/support/databases';
import { auditLog, hubDepartments, hubUsers } from '../schema';
import { ConflictError } from './errors';
import { createHubWriter } from './hub-writer';
import { hubWriteLockKey } from './sql';

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

// Postgres only: PGlite has one connection, so no write can queue behind another's lock.
describe('hub writer guard behind the lock [postgres]', () => {
  let database: Awaited<ReturnType<typeof openTestPostgres>>;
  let other: postgres.Sql;
  beforeAll(async () => {
    database = await openTestPostgres();
    other = postgres(database.url, { max: 2, onnotice: () => undefined });
  });
  afterAll(async () => {
    await other?.end();
    await database?.close();
  });

  it('checks the guard on what committed while the write waited for the lock (READ COMMITTED snapshot after the wait)', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockHeld = new Promise<void>((resolve) => (locked = resolve));
    const holder = other.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${hubWriteLockKey})`;
      locked();
      await released;
    });
    await lockHeld;
    const guard = { holds: sql`not exists (select 1 from hub_departments where id = 'stop')`, refuse: () => new Error('refused: stopped meanwhile') };
    const queued = createHubWriter(database.db)('tester', async (tx) => {
      await tx.insert(hubDepartments).values({ id: 'late', name: 'Late' });
      return { result: 'written' };
    }, { lock: 'shared', guard });
    const outcome = queued.then(() => 'written', (error: Error) => error.message);
    try {
      for (let i = 0; ; i++) {
        const [row] = await other`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'`;
        if (row.n > 0) break;
        if (i > 2000) throw new Error('the write never queued behind the lock');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await database.db.insert(hubDepartments).values({ id: 'stop', name: 'Stop' });
    } finally {
      release();
    }
    await holder;
    expect(await outcome).toBe('refused: stopped meanwhile');
    expect(await database.db.select().from(hubDepartments).where(eq(hubDepartments.id, 'late'))).toEqual([]);
  });
});
