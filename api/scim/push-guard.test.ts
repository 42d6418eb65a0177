// The push task's guard is read after the hub write lock is granted (review of hub-writer.ts): a
// SCIM write queued behind a long exclusive hub write must see a disable committed meanwhile.
// Postgres only: PGlite has one connection, so no write can queue behind another's lock.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { connectorCatalog } from '../../connectors/definitions';
import { createSecretBox } from '../../db/secret-box';
import { createSyncTasks } from '../../db/repos/sync-tasks';
import { eq, sql } from 'drizzle-orm';
import { postgresErrorOf } from '../../db/repos/errors';
import { apiTokens, hubDepartments, hubUsers } from '../../db/schema';
import { createApiTokens } from '../../db/repos/api-tokens';
import { createHubWriter, laneSlot, parallelGroupsPerKey } from '../../db/repos/hub-writer';
import { hubWriteLockKey } from '../../db/repos/sql';
import { openTestPostgres } from '../../test/support/databases';
import { startTestApi, type TestApi } from '../testing';
import { pushTaskCache, pushTaskOf } from './push-task';
import { createScimPushTask, setTaskEnabled } from './testing';

const core = 'urn:ietf:params:scim:schemas:core:2.0:User';

describe('SCIM push guard behind the hub write lock [postgres]', () => {
  let database: Awaited<ReturnType<typeof openTestPostgres>>;
  let api: TestApi;
  let blocker: postgres.Sql;

  beforeAll(async () => {
    database = await openTestPostgres();
    api = await startTestApi(database);
    blocker = postgres(database.url, { max: 2, onnotice: () => undefined });
  });
  afterAll(async () => {
    await blocker?.end();
    await api?.app.close();
    await database?.close();
  });

  /** Resolves once some backend of this database waits for a lock of this kind (polled, no timing assumed). */
  async function someoneWaits(what: 'the hub lock' | 'a row lock' | 'any lock'): Promise<void> {
    const events = what === 'the hub lock' ? ['advisory'] : what === 'a row lock' ? ['transactionid', 'tuple'] : ['advisory', 'transactionid', 'tuple'];
    for (let i = 0; i < 2000; i++) {
      const [row] = await blocker`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event in ${blocker(events)}`;
      if (row.n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`nothing ever waited for ${what}`);
  }
  const someoneWaitsForTheHubLock = () => someoneWaits('the hub lock');

  it('refuses (403, nothing written) a write that queued behind an exclusive hub write while the task was disabled', async () => {
    const { token } = await createScimPushTask(database, 'queued');
    const post = (userName: string) =>
      api.app.inject({ method: 'POST', url: '/scim/v2/Users', headers: { 'content-type': 'application/scim+json', authorization: `Bearer ${token}` }, payload: JSON.stringify({ schemas: [core], userName, active: true }) });
    expect((await post('queued-1')).statusCode).toBe(201); // the task is now cached as enabled

    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockHeld = new Promise<void>((resolve) => (locked = resolve));
    const holder = blocker.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${hubWriteLockKey})`;
      locked();
      await released;
    });
    await lockHeld;
    const queued = post('queued-2');
    await someoneWaitsForTheHubLock();
    await setTaskEnabled(database, 'queued', false);
    release();
    await holder;

    const res = await queued;
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ status: '403' });
    expect(await database.db.select().from(hubUsers).where(eq(hubUsers.username, 'queued-2'))).toEqual([]);
  });

  it('makes a disable wait for a write already past its guard, so none lands after the disable committed', async () => {
    await createScimPushTask(database, 'inflight');
    // the guard checks the token too: the actor is the task's stored token
    const [token] = await database.db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.taskId, 'inflight'));
    const push = await pushTaskOf(database.db, { id: token.id, name: 'scim', role: 'scim', taskId: 'inflight' });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let inside!: () => void;
    const pastGuard = new Promise<void>((resolve) => (inside = resolve));
    const write = createHubWriter(database.db)(
      push.actor,
      async (tx) => {
        inside();
        await released;
        await tx.insert(hubDepartments).values({ id: 'inflight-d', name: 'In flight' });
        return { result: 'written' };
      },
      { guard: push.guard },
    );
    await pastGuard;
    let disabled = false;
    const disable = setTaskEnabled(database, 'inflight', false).then(() => (disabled = true));
    try {
      await someoneWaits('a row lock');
      expect(disabled).toBe(false);
    } finally {
      release();
    }
    await expect(write).resolves.toBe('written');
    await disable;
    expect(await database.db.select().from(hubDepartments).where(eq(hubDepartments.id, 'inflight-d'))).toHaveLength(1);
    // and the next write is refused
    await expect(createHubWriter(database.db)(push.actor, async () => ({ result: 'no' }), { guard: push.guard })).rejects.toThrow('changed since it was read');
  });

  // Found by review: a new FOR SHARE on the task row overtakes a waiting UPDATE, so with groups of a
  // push side by side a disable waited up to 1.3 s while 1,600 more writes landed (a PATCH of the
  // task, second review, the same).
  const taskChanges: [string, (tasks: ReturnType<typeof createSyncTasks>, id: string) => Promise<unknown>][] = [
    ['a disable', (tasks, id) => tasks.setEnabled(id, false, 'tester')],
    ['a PATCH of the task', (tasks, id) => tasks.patch(id, { name: 'Renamed push' }, 'tester', { authorizeProtectionChange: () => undefined })],
  ];
  it.each(taskChanges)('holds back a write that comes after %s waiting for a write past its guard, and refuses it once that committed', async (_, change) => {
    const tasks = createSyncTasks(database.db, { secretBox: createSecretBox(randomBytes(32)), kinds: connectorCatalog });
    const { id } = await tasks.create({ name: `Push ${randomBytes(4).toString('hex')}`, direction: 'upstream', connector: { kind: 'scim-push' } }, 'tester', { authorizeProtectionChange: () => undefined });
    const { id: tokenId } = await createApiTokens(database.db).create({ name: `push-${id}`, role: 'scim', taskId: id }, 'tester');
    const push = await pushTaskOf(database.db, { id: tokenId, name: 'scim', role: 'scim', taskId: id });
    const write = createHubWriter(database.db);
    // two lanes of two slots: the later write's group runs beside the first one's, not after it
    const lanes = Array.from({ length: 20 }, (_, i) => `lane-${i}`);
    const slotOf = (lane: string) => laneSlot(lane, parallelGroupsPerKey);
    const firstLane = lanes[0];
    const laterLane = lanes.find((lane) => slotOf(lane) !== slotOf(firstLane))!;
    const grouped = (name: string, lane: string, wait?: Promise<void>, entered?: () => void) =>
      write(push.actor, async (tx) => {
        entered?.();
        await wait;
        await tx.insert(hubDepartments).values({ id: `${id}-${name}`, name: `${id}-${name}` });
        return { result: name };
      }, { lock: 'shared', group: true, guard: push.guard, lane });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let inside!: () => void;
    const pastGuard = new Promise<void>((resolve) => (inside = resolve));
    const first = grouped('first', firstLane, released, inside);
    await pastGuard;
    const changed = change(tasks, id);
    let later: Promise<string>;
    try {
      await someoneWaits('any lock'); // the change waits for the first write (its task write lock, or its row lock)
      later = grouped('later', laterLane);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      release();
    }
    await expect(first).resolves.toBe('first');
    await changed;
    await expect(later!).rejects.toThrow('changed since it was read');
    expect(await database.db.select().from(hubDepartments).where(eq(hubDepartments.id, `${id}-later`))).toEqual([]);
  });

  it("key-share-locks the token row: verify()'s last_used_at update goes on beside a write, a token DELETE waits for it", async () => {
    await createScimPushTask(database, 'keyshare');
    const [token] = await database.db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.taskId, 'keyshare'));
    const push = await pushTaskOf(database.db, { id: token.id, name: 'scim', role: 'scim', taskId: 'keyshare' });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let inside!: () => void;
    const pastGuard = new Promise<void>((resolve) => (inside = resolve));
    const write = createHubWriter(database.db)(
      push.actor,
      async () => {
        inside();
        await released;
        return { result: 'written' };
      },
      { guard: push.guard },
    );
    await pastGuard;
    const within = (statement: ReturnType<typeof sql>) =>
      database.db.transaction(async (tx) => {
        await tx.execute(sql`set local lock_timeout = '300ms'`);
        await tx.execute(statement);
        throw new Error('rolled back');
      }).catch((error: unknown) => ((error as Error).message === 'rolled back' ? 'ran' : (postgresErrorOf(error)?.code ?? String(error))));
    try {
      expect(await within(sql`update api_tokens set last_used_at = now() where id = ${token.id}`)).toBe('ran');
      expect(await within(sql`delete from api_tokens where id = ${token.id}`)).toBe('55P03');
    } finally {
      release();
    }
    await expect(write).resolves.toBe('written');
  });

  it("keeps the cached push task on a fresh read of the unchanged task: its guard, so its writes' group, stays", async () => {
    await createScimPushTask(database, 'reread');
    const [token] = await database.db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.taskId, 'reread'));
    const actor = { id: token.id, name: 'scim', role: 'scim' as const, taskId: 'reread' };
    const cache = pushTaskCache(database.db);
    const written = await cache.forWrite(actor);
    const read = await cache.forRead(actor);
    expect(read).toBe(written);
    expect(read.guard.key).toBe(`reread\u0000${token.id}`);
  });
});
