// Group commit of hub writes (hub-writer.ts `group`): concurrent writes of one guard share one
// transaction, each in its own savepoint, each answered with its own result or error.
import { count, eq, inArray, sql } from 'drizzle-orm';
import { describeOnBothDatabases, openTestPostgres } from '../../test/support/databases';
import type { Db } from '../client';
import { auditLog, hubChangeOutbox, hubDepartments, hubUsers } from '../schema';
import { ConflictError, WriteBusyError } from './errors';
import { createHubWriter, laneSlot, maxGroupCommit, maxGroupQueue, parallelGroupsPerKey, type HubWriteOptions } from './hub-writer';
import { createHubDirectory } from './hub-directory';
import { lockHubWrites, selectRows } from './sql';

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
    // one lane slot: creates of different userNames otherwise spread over parallelGroups groups
    const hub = createHubDirectory(db, { parallelGroups: 1, onChange: (events) => void changes.push(events.map((e) => e.id)) });
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
    const hub = createHubDirectory(db, { parallelGroups: 1 });
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

  it('runs one group at a time per key and lane, even when a fresh read of the task brought a new guard object', async () => {
    const { db, transactions } = countingTransactions(ctx.database.db);
    const write = createHubWriter(db);
    const guardRead = () => ({ holds: sql`true`, refuse: () => new Error('changed'), key: 'task-1\u0000token-1' });
    const [older, newer] = [guardRead(), guardRead()];
    const steps: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inFirst = new Promise<void>((resolve) => (entered = resolve));
    const make = (id: string, guard: typeof older, wait?: Promise<void>) =>
      write('tester', async (tx) => {
        steps.push(`start ${id}`);
        if (wait) {
          entered();
          await wait;
        }
        await tx.insert(hubDepartments).values({ id, name: id });
        steps.push(`end ${id}`);
        return { result: id };
      }, { ...grouped, guard });
    const first = make('keyed-0', older, held);
    await inFirst;
    const later = [make('keyed-1', newer), make('keyed-2', older), make('keyed-3', newer)];
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await Promise.all([first, ...later])).toEqual(['keyed-0', 'keyed-1', 'keyed-2', 'keyed-3']);
    // the first group ends before any other starts; then the guard of the oldest waiting write (with the
    // later writes of that guard), then the other guard's
    expect(steps).toEqual(['start keyed-0', 'end keyed-0', 'start keyed-1', 'end keyed-1', 'start keyed-3', 'end keyed-3', 'start keyed-2', 'end keyed-2']);
    expect(transactions()).toBe(3);
  });

  it('writes the writes of guard objects with one version (concurrent reads of one task) in one group', async () => {
    const { db, transactions } = countingTransactions(ctx.database.db);
    const write = createHubWriter(db);
    const guardRead = (version: string) => ({ holds: sql`true`, refuse: () => new Error('changed'), key: 'task-1\u0000token-1', version });
    const guards = [guardRead('v1'), guardRead('v1'), guardRead('v1'), guardRead('v2')];
    const ids = await Promise.all(guards.map((guard, i) => write('tester', async (tx) => {
      await tx.insert(hubDepartments).values({ id: `versioned-${i}`, name: `versioned-${i}` });
      return { result: i };
    }, { ...grouped, guard })));
    expect(ids).toEqual([0, 1, 2, 3]);
    expect(transactions()).toBe(2);
  });

  // Found by the scim-push bench on a quiet machine: 16 first requests read the task at once, so they
  // carried up to 16 guard objects, and only the last one read stayed cached. Taking the newest guard's
  // writes first, the others waited until no new write came: one POST took 27.5 s, the whole phase,
  // and about 13 of the 16 clients stood still meanwhile (3,000 POSTs at 109/s, mean 147 ms, median 26).
  it('writes a write of an older guard in the next group while writes of a newer guard keep coming', async () => {
    const write = createHubWriter(ctx.database.db);
    const guardRead = () => ({ holds: sql`true`, refuse: () => new Error('changed'), key: 'task-1\u0000token-1' });
    const [older, newer] = [guardRead(), guardRead()];
    const steps: string[] = [];
    const feeds: Promise<string>[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inFirst = new Promise<void>((resolve) => (entered = resolve));
    const make = (id: string, guard: typeof older, during?: () => Promise<void> | void): Promise<string> =>
      write('tester', async (tx) => {
        steps.push(id);
        await during?.();
        await tx.insert(hubDepartments).values({ id, name: id });
        return { result: id };
      }, { ...grouped, guard });
    // each newer write, as its group runs, sends the next one: a steady stream of the cached guard
    const feed = (n: number): void => {
      if (n <= 5) feeds.push(make(`feed-${n}`, newer, () => feed(n + 1)));
    };
    const first = make('first', newer, async () => {
      entered();
      await held;
    });
    await inFirst;
    const old = make('old', older);
    feed(1);
    release();
    await Promise.all([first, old]);
    for (let seen = 0; seen < feeds.length; ) {
      seen = feeds.length;
      await Promise.all(feeds);
    }
    expect(feeds).toHaveLength(5);
    // the old guard's write goes in the group after the one it waited behind, not after the stream
    expect(steps).toEqual(['first', 'old', 'feed-1', 'feed-2', 'feed-3', 'feed-4', 'feed-5']);
  });

  it(`writes at most ${maxGroupCommit} writes per group transaction`, async () => {
    const { db, transactions } = countingTransactions(ctx.database.db);
    const write = createHubWriter(db);
    const ids = Array.from({ length: 40 }, (_, i) => `capped-${i}`);
    await Promise.all(ids.map((id) => write('tester', async (tx) => {
      await tx.insert(hubDepartments).values({ id, name: id });
      return { result: id };
    }, grouped)));
    expect(maxGroupCommit).toBe(32);
    expect(transactions()).toBe(2);
  });

  it(`refuses a write when ${maxGroupQueue} of its key already wait (WriteBusyError), writing the others`, async () => {
    const write = createHubWriter(ctx.database.db);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inFirst = new Promise<void>((resolve) => (entered = resolve));
    const first = write('tester', async () => {
      entered();
      await held;
      return { result: 'first' };
    }, grouped);
    await inFirst;
    const queued = Array.from({ length: maxGroupQueue + 1 }, (_, i) => write('tester', async () => ({ result: i }), grouped));
    release();
    const outcomes = await Promise.allSettled([first, ...queued]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(maxGroupQueue + 1);
    const refused = outcomes[outcomes.length - 1];
    expect(refused.status).toBe('rejected');
    expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(WriteBusyError);
  });

  it('gives each write of a refused group an error instance of its own', async () => {
    const write = createHubWriter(ctx.database.db);
    const guard = { holds: sql`false`, refuse: () => new Error('the task changed') };
    const attempt = (id: string) => write('tester', async () => ({ result: id }), { ...grouped, guard });
    const outcomes = await Promise.allSettled([attempt('own-1'), attempt('own-2')]);
    const [a, b] = outcomes.map((o) => (o as PromiseRejectedResult).reason as Error);
    expect(a.message).toBe('the task changed');
    expect(b.message).toBe('the task changed');
    expect(a).not.toBe(b);
  });
});

// Postgres only: PGlite is one connection, so two groups never wait for each other's locks there.
describe('hub writes in group commit, with lock waits [postgres]', () => {
  const grouped: HubWriteOptions = { lock: 'shared', group: true };
  let database: Awaited<ReturnType<typeof openTestPostgres>>;
  beforeAll(async () => {
    database = await openTestPostgres();
    await database.db.insert(hubDepartments).values([{ id: 'cross-x', name: 'x' }, { id: 'cross-y', name: 'y' }, { id: 'held', name: 'held' }]);
  });
  afterAll(async () => {
    await database?.close();
  });
  const waitingForLocks = async () => (await selectRows<{ n: number }>(database.db, sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`))[0].n;
  const until = async (condition: () => Promise<boolean>) => {
    for (let i = 0; i < 500 && !(await condition()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it(`writes groups of different lanes of one key at once (at most ${parallelGroupsPerKey} by default); a write of a busy lane waits for its next group, in arrival order`, async () => {
    const { db, transactions } = countingTransactions(database.db);
    const write = createHubWriter(db, { parallelGroups: 2 });
    const lanes = Array.from({ length: 20 }, (_, i) => `user:${i}`);
    const [laneA, laneB] = [lanes.find((l) => laneSlot(l, 2) === 0)!, lanes.find((l) => laneSlot(l, 2) === 1)!];
    const gates = new Map<string, () => void>();
    const running = new Set<string>();
    const started: string[] = [];
    const make = (id: string, lane: string, hold: boolean) => {
      const held = hold ? new Promise<void>((resolve) => gates.set(id, resolve)) : undefined;
      return write('tester', async (tx) => {
        started.push(id);
        running.add(id);
        await tx.insert(hubDepartments).values({ id, name: id });
        await held;
        running.delete(id);
        return { result: id };
      }, { ...grouped, lane });
    };
    const a1 = make('lane-a1', laneA, true);
    await until(async () => running.has('lane-a1'));
    const b1 = make('lane-b1', laneB, true);
    await until(async () => running.has('lane-b1'));
    // both lanes' groups are open at once; a second write of lane A waits for A's next group
    expect([...running].sort()).toEqual(['lane-a1', 'lane-b1']);
    const a2 = make('lane-a2', laneA, false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(started).toEqual(['lane-a1', 'lane-b1']);
    gates.get('lane-b1')!();
    expect(await b1).toBe('lane-b1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(started).toEqual(['lane-a1', 'lane-b1']);
    gates.get('lane-a1')!();
    expect(await Promise.all([a1, a2])).toEqual(['lane-a1', 'lane-a2']);
    expect(started).toEqual(['lane-a1', 'lane-b1', 'lane-a2']);
    expect(transactions()).toBe(3);
    expect(parallelGroupsPerKey).toBe(4);
  });

  // Found by review: with groups of one key side by side, two groups holding PATCHes of users X and Y
  // in opposite orders deadlocked (1 s each), and the losers, run again alone, hit lock_timeout
  // behind their siblings: 24 clients patching 6 users took ~45 s with 6-9 WriteBusyErrors.
  it('writes updates of a few hot rows from many clients without a deadlock or a refusal', async () => {
    const write = createHubWriter(database.db);
    const hot = Array.from({ length: 6 }, (_, i) => `hot-${i}`);
    await database.db.insert(hubDepartments).values(hot.map((id) => ({ id, name: id })));
    const rename = (id: string, name: string) =>
      write('tester', async (tx) => {
        await tx.update(hubDepartments).set({ name }).where(eq(hubDepartments.id, id));
        await new Promise((resolve) => setTimeout(resolve, 1));
        return { result: name };
      }, { ...grouped, lane: `user:${id}` });
    const started = Date.now();
    const clients = Array.from({ length: 24 }, async (_, c) => {
      for (let i = 0; i < 5; i++) await rename(hot[(c + i) % hot.length], `c${c}-${i}`);
    });
    expect((await Promise.allSettled(clients)).filter((o) => o.status === 'rejected')).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('runs a write that lost a deadlock between two groups again alone: both succeed', async () => {
    const write = createHubWriter(database.db);
    const rename = (tx: Db, id: string, name: string) => tx.update(hubDepartments).set({ name }).where(eq(hubDepartments.id, id));
    let bHoldsY!: () => void;
    const yHeld = new Promise<void>((resolve) => (bHoldsY = resolve));
    // group A: x then (once B waits for x) y; group B: y then x. One of them deadlocks.
    let attemptsOfA = 0;
    const a = write('tester', async (tx) => {
      await rename(tx, 'cross-x', 'a');
      await yHeld;
      if (attemptsOfA++ === 0) await until(async () => (await waitingForLocks()) > 0);
      await rename(tx, 'cross-y', 'a');
      return { result: 'a' };
    }, { ...grouped, guard: { holds: sql`true`, refuse: () => new Error('no'), key: 'A' } });
    const b = write('tester', async (tx) => {
      await rename(tx, 'cross-y', 'b');
      bHoldsY();
      await rename(tx, 'cross-x', 'b');
      return { result: 'b' };
    }, { ...grouped, guard: { holds: sql`true`, refuse: () => new Error('no'), key: 'B' } });
    expect(await Promise.allSettled([a, b])).toEqual([{ status: 'fulfilled', value: 'a' }, { status: 'fulfilled', value: 'b' }]);
    const names = await database.db.select({ name: hubDepartments.name }).from(hubDepartments).where(inArray(hubDepartments.id, ['cross-x', 'cross-y']));
    // each row was last written by one of them, and both writes are whole
    expect(names.map((n) => n.name).sort()).toEqual(names[0].name === 'a' ? ['a', 'a'] : ['b', 'b']);
  });

  it('waits for the hub lock longer than lock_timeout (an exclusive hub write may be long), and only then bounds other lock waits', async () => {
    const write = createHubWriter(database.db, { lockTimeoutMs: 50 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const exclusive = database.db.transaction(async (tx) => {
      await lockHubWrites(tx, 'exclusive');
      locked();
      await held;
    });
    await isLocked;
    const waiting = write('tester', async (tx) => {
      const [row] = await selectRows<{ timeout: string }>(tx, sql`select current_setting('lock_timeout') as timeout`);
      await tx.insert(hubDepartments).values({ id: 'after-exclusive', name: 'after-exclusive' });
      return { result: row.timeout };
    }, grouped);
    await until(async () => (await waitingForLocks()) > 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    await exclusive;
    expect(await waiting).toBe('50ms');
  });

  it('fails a write that waits past lock_timeout in its group and again alone with WriteBusyError, writing the rest of its group', async () => {
    const write = createHubWriter(database.db, { lockTimeoutMs: 100 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from hub_departments where id = 'held' for update`);
      locked();
      await held;
    });
    await isLocked;
    const blocked = write('tester', async (tx) => {
      await tx.update(hubDepartments).set({ name: 'blocked' }).where(eq(hubDepartments.id, 'held'));
      return { result: 'blocked' };
    }, grouped);
    const free = write('tester', async (tx) => {
      await tx.insert(hubDepartments).values({ id: 'free', name: 'free' });
      return { result: 'free' };
    }, grouped);
    const outcomes = await Promise.allSettled([blocked, free]);
    release();
    await holder;
    expect(outcomes[0].status).toBe('rejected');
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(WriteBusyError);
    expect(outcomes[1]).toEqual({ status: 'fulfilled', value: 'free' });
    expect((await database.db.select().from(hubDepartments).where(eq(hubDepartments.id, 'held')))[0].name).toBe('held');
  });
});
