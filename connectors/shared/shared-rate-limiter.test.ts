// The vendor budget every worker shares (db/repos/rate-budgets.ts + ./shared-rate-limiter.ts), on
// PGlite and on the Postgres server. Several limiter instances stand for several worker processes.
import { sql } from 'drizzle-orm';
import { createRateBudgetStore, type RateBudgetStore } from '../../db/repos/rate-budgets';
import { rowsOf } from '../../db/repos/sql';
import { describeOnBothDatabases } from '../../test/support/databases';
import { VendorError } from '../errors';
import { WecomClient } from '../wecom/client';
import { startWecomFake } from '../wecom/fake';
import { SlidingWindowRateLimiter } from './rate-limiter';
import { busiestWindow } from './test-helpers';
import { SharedRateLimiter, sharedBudgetShape, sharedRateLimiters } from './shared-rate-limiter';

let tenantSeq = 0;
const newTenant = () => `wecom:"http://127.0.0.1:1/cgi-bin":"ww-test-${process.pid}-${++tenantSeq}"`;

const limit = 60;
const windowMs = 1_500;

/** Every worker keeps 8 calls in flight for `forMs`; answers when each call was let through. */
async function hammer(workers: Array<{ acquire(key: string): Promise<void> }>, forMs: number): Promise<number[]> {
  const calls: number[] = [];
  const until = Date.now() + forMs;
  await Promise.all(
    workers.flatMap((worker) =>
      Array.from({ length: 8 }, async () => {
        while (Date.now() < until) {
          await worker.acquire('/user/create');
          calls.push(Date.now());
        }
      }),
    ),
  );
  return calls;
}

test('without the shared store, each worker allows the whole budget: six in-process limiters go over it', async () => {
  const workers = Array.from({ length: 6 }, () => new SlidingWindowRateLimiter({ name: 'test', limit, windowMs }));
  const calls = await hammer(workers, windowMs / 2);
  // Far over the limit (each process allows all of it). Not an exact 6× count: a call is timed when
  // its await resumes, after the limiter let it through, so a busy event loop bunches the times
  // (404 of 360 seen in CI).
  expect(busiestWindow(calls, windowMs)).toBeGreaterThanOrEqual(4 * limit);
});

describeOnBothDatabases('shared vendor rate limit', (ctx) => {
  let store: RateBudgetStore;
  beforeAll(() => {
    store = createRateBudgetStore(ctx.database.db);
  });

  test('the store grants at most the limit in a horizon, again once a grant lapses, and takes unused permits back', async () => {
    const tenant = newTenant();
    const shape = { limit: 5, horizonMs: 400 };
    const first = await store.reserve(tenant, `${tenant}|k`, 3, shape);
    expect(first).toMatchObject({ granted: 3, blockedMs: 0 });
    expect(await store.reserve(tenant, `${tenant}|k`, 3, shape)).toMatchObject({ granted: 2 });
    const empty = await store.reserve(tenant, `${tenant}|k`, 3, shape);
    expect(empty.granted).toBe(0);
    // Until the oldest grant (3 permits) lapses.
    expect(empty.waitMs).toBeGreaterThan(200);
    expect(empty.waitMs).toBeLessThanOrEqual(400);
    await store.giveBack(first.grantId!, 2);
    expect(await store.reserve(tenant, `${tenant}|k`, 5, shape)).toMatchObject({ granted: 2 });
    // Another API of the same tenant has a budget of its own.
    expect(await store.reserve(tenant, `${tenant}|other`, 5, shape)).toMatchObject({ granted: 5 });
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await store.reserve(tenant, `${tenant}|k`, 5, shape)).toMatchObject({ granted: 5 });
  });

  test('an idle budget grants its whole limit at once: the first window is not spent warming a bucket', async () => {
    const tenant = newTenant();
    const workers = Array.from({ length: 3 }, () => new SharedRateLimiter({ name: 'test', store, tenant, limit: 600, windowMs: 60_000 }));
    const started = Date.now();
    let calls = 0;
    await Promise.all(
      workers.flatMap((worker) =>
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 25; i++) {
            await worker.acquire('/user/create');
            calls++;
          }
        }),
      ),
    );
    // 600 calls a minute, all 600 in the first seconds (a token bucket of one slice gave ~10 a second:
    // this took 60 s on it).
    expect(calls).toBe(600);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('the budget holds under concurrent reservers: six "workers", 8 calls in flight each, never over the limit in any window', async () => {
    const tenant = newTenant();
    const workers = Array.from({ length: 6 }, () => new SharedRateLimiter({ name: 'test', store, tenant, limit, windowMs }));
    const forMs = 3.2 * windowMs;
    const calls = await hammer(workers, forMs);
    // Calls granted just before `until` run past it; the window count is what the vendor sees.
    expect(busiestWindow(calls, windowMs)).toBeLessThanOrEqual(limit);
    // And the budget is used, not starved: the whole limit once per horizon (4 horizons start within 3.2 windows here).
    const { horizonMs } = sharedBudgetShape(limit, windowMs);
    expect(calls.length).toBeGreaterThanOrEqual(Math.floor(0.9 * limit * Math.ceil(forMs / horizonMs)));
  });

  test('reservations slower than the lease still let calls through: the lock wait does not eat the lease, and the window holds', async () => {
    const tenant = newTenant();
    // A per-second budget: a 25 ms lease. Every reservation waits 40 ms before it reaches the key's
    // lock (a busy pool, other reservers) and its answer 8 ms to come back. A lease counted from
    // before the wait was over before the answer came, every slice went back unused: no call at all.
    const slow: RateBudgetStore = {
      reserve: async (...args) => {
        await new Promise((resolve) => setTimeout(resolve, 40));
        const answer = await store.reserve(...args);
        await new Promise((resolve) => setTimeout(resolve, 8));
        return answer;
      },
      giveBack: (...args) => store.giveBack(...args),
      block: (...args) => store.block(...args),
    };
    const perSecond = 40;
    const workers = Array.from({ length: 3 }, () => new SharedRateLimiter({ name: 'test', store: slow, tenant, limit: perSecond, windowMs: 1_000 }));
    const calls = await hammer(workers, 3_000);
    expect(busiestWindow(calls, 1_000)).toBeLessThanOrEqual(perSecond);
    // One permit per slice at 40/s, three reservers of ~50 ms each: ~60 calls/s asked, at most 40/s allowed.
    expect(calls.length).toBeGreaterThanOrEqual(30);
  });

  test('a worker of the code before the grant log gets nothing from a key this code reserves, until the fence lapses', async () => {
    const tenant = newTenant();
    const key = `${tenant}|1000|/user/create`;
    // The token-bucket reservation of that code (db/repos/rate-budgets.ts before the grant log), verbatim in effect.
    const oldReserve = async () => {
      const capacity = 10;
      const ratePerMs = 1;
      const available = sql`least(${capacity}::float8, b.tokens + greatest(0, extract(epoch from (now() - b.refilled_at))::float8 * 1000) * ${ratePerMs}::float8)`;
      const granted = sql`least(5::int, floor(${available}))::int`;
      const [row] = rowsOf<{ granted: number }>(
        await ctx.database.db.execute(sql`
          insert into rate_limit_buckets as b (key, tokens, refilled_at, last_granted)
          select ${key}, ${capacity}::float8 - 5, now(), 5
          on conflict (key) do update set tokens = ${available} - ${granted}, last_granted = ${granted}, refilled_at = greatest(b.refilled_at, now())
          returning b.last_granted as granted`),
      );
      return Number(row.granted);
    };
    expect(await oldReserve()).toBe(5);
    expect(await store.reserve(tenant, key, 5, { limit: 100, horizonMs: 400 })).toMatchObject({ granted: 5 });
    // Its bucket would refill a permit a millisecond; fenced, it grants nothing while this code reserves.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await oldReserve()).toBe(0);
    expect(await store.reserve(tenant, key, 5, { limit: 100, horizonMs: 400 })).toMatchObject({ granted: 5 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await oldReserve()).toBe(0);
    // No reservation here for a horizon: the fence lapses and that code's bucket refills as before.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await oldReserve()).toBe(5);
  });

  test('a vendor block recorded by one worker stops every worker of the tenant until it ends; other tenants go on', async () => {
    const tenant = newTenant();
    const options = { name: 'test', store, tenant, limit: 1_000, windowMs: 60_000 };
    const [refused, other1, other2] = [new SharedRateLimiter(options), new SharedRateLimiter(options), new SharedRateLimiter(options)];
    // Both others hold a slice already: the block must stop them too, not only the next reservation.
    await other1.acquire('/user/create');
    await other2.acquire('/user/update');
    const unrelated = new SharedRateLimiter({ ...options, tenant: newTenant() });
    const blockedAt = Date.now();
    refused.pauseAll(1_000);
    // The others' slices are good for the lease only: then they ask the database, and see the block.
    await new Promise((resolve) => setTimeout(resolve, sharedBudgetShape(1_000, 60_000).leaseMs + 20));
    const endedAfter = async (worker: SharedRateLimiter, key: string) => {
      await worker.acquire(key);
      return Date.now() - blockedAt;
    };
    const [mine, first, second, elsewhere] = await Promise.all([
      endedAfter(refused, '/user/get'),
      endedAfter(other1, '/user/create'),
      endedAfter(other2, '/department/create'),
      endedAfter(unrelated, '/user/create'),
    ]);
    for (const waited of [mine, first, second]) expect(waited).toBeGreaterThanOrEqual(980);
    expect(elsewhere).toBeLessThan(800);
  });

  test("WeCom's 45009 to one worker's client pauses another worker's client of the same corp, not another corp's", async () => {
    const fake = await startWecomFake({ corpId: 'ww-shared', corpSecret: 'secret', rateLimitPerMinute: 10_000 });
    try {
      const tenant = newTenant();
      const client = (forTenant: string) =>
        new WecomClient({ baseUrl: fake.baseUrl, corpId: 'ww-shared', corpSecret: 'secret', rateLimitBackoffMs: 1_000, rateLimiters: sharedRateLimiters(store, forTenant) });
      const [refused, sibling, otherCorp] = [client(tenant), client(tenant), client(newTenant())];
      await Promise.all([refused, sibling, otherCorp].map((c) => c.get('/department/list')));
      await fetch(`${fake.url}/__fake/faults`, { method: 'POST', body: JSON.stringify({ rateLimitBurst: 1 }) });
      const refusedAt = Date.now();
      const error = await refused.get('/department/list').catch((err: unknown) => err);
      expect(error).toBeInstanceOf(VendorError);
      expect(error).toMatchObject({ kind: 'transient', vendorCode: '45009', retryAfterMs: 1_000 });
      // The sibling's slice lapses within its lease; its next call waits out the block.
      await new Promise((resolve) => setTimeout(resolve, sharedBudgetShape(10_000, 60_000).leaseMs + 20));
      const elapsed = async (c: WecomClient) => {
        await c.get('/department/list');
        return Date.now() - refusedAt;
      };
      const [siblingWaited, otherWaited] = await Promise.all([elapsed(sibling), elapsed(otherCorp)]);
      expect(siblingWaited).toBeGreaterThanOrEqual(980);
      expect(otherWaited).toBeLessThan(800);
    } finally {
      await fake.close();
    }
  });

  test('blocks never shorten: the longest one wins', async () => {
    const tenant = newTenant();
    await store.block(tenant, 5_000);
    await store.block(tenant, 10);
    const answer = await store.reserve(tenant, `${tenant}|k`, 1, { limit: 1, horizonMs: 1 });
    expect(answer.granted).toBe(0);
    expect(answer.blockedMs).toBeGreaterThan(4_000);
  });
});
