// The push task's guard is read after the hub write lock is granted (review of hub-writer.ts): a
// SCIM write queued behind a long exclusive hub write must see a disable committed meanwhile.
// Postgres only: PGlite has one connection, so no write can queue behind another's lock.
import postgres from 'postgres';
import { eq } from 'drizzle-orm';
import { hubUsers } from '../../db/schema';
import { hubWriteLockKey } from '../../db/repos/sql';
import { openTestPostgres } from '../../test/support/databases';
import { startTestApi, type TestApi } from '../testing';
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

  /** Resolves once some backend waits for the hub write lock (polled, no timing assumed). */
  async function someoneWaitsForTheHubLock(): Promise<void> {
    for (let i = 0; i < 2000; i++) {
      const [row] = await blocker`select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = ${hubWriteLockKey} and not granted`;
      if (row.n > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('no write ever queued behind the hub lock');
  }

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
});
