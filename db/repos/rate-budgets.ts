// A vendor's rate budget shared by every worker process: a log of the permits granted per
// (tenant, window, API) key, and one block row per tenant written when the vendor answers "rate
// limited". A reservation grants what the last horizon's grants leave of the limit, so a fresh or
// idle budget hands out its whole limit at once, as the vendor's own sliding count allows. The
// database's clock is the only clock, so workers whose clocks disagree still share one budget.
import { sql } from 'drizzle-orm';
import type { Db } from '../client';
import { rowsOf } from './sql';

/** At most `limit` permits granted in any `horizonMs`. */
export interface WindowShape {
  limit: number;
  horizonMs: number;
}

export interface Reservation {
  /** permits granted now (0..want) */
  granted: number;
  /** the grant's id, for giving back what goes unused; absent when nothing was granted */
  grantId?: string;
  /** when nothing was granted: ms until the oldest grant of the horizon lapses */
  waitMs: number;
  /** > 0 when the tenant is blocked by a vendor answer: nothing was granted, wait this long */
  blockedMs: number;
  /** the reserver's clock (`now`) just before the grant was asked for, under the key's lock: the grant is no older */
  sentAt: number;
}

export interface RateBudgetStore {
  /** Takes up to `want` permits of `key`, unless `tenant` is blocked; `now` is the reserver's clock, for `sentAt`. */
  reserve(tenant: string, key: string, want: number, shape: WindowShape, now?: () => number): Promise<Reservation>;
  /** Takes back permits of a grant that were not used: they no longer count against the budget. */
  giveBack(grantId: string, count: number): Promise<void>;
  /** The vendor refused a call: every reserver of the tenant waits `ms` from now (the longest block wins). */
  block(tenant: string, ms: number): Promise<void>;
}

/** Advisory lock class of a budget key (hub writes use 0x5c4b01, task writes 0x5c4b02). */
const budgetLockClass = 0x5c_4b_03;

/**
 * Keeps a worker of the code before the grant log (a token bucket per key in rate_limit_buckets) from
 * granting beside this one during a rolling deploy: its bucket is held empty, with no refill until one
 * horizon from now, renewed by every reservation here. Should every worker go back to that code, the
 * fence lapses within a horizon and the bucket refills as before.
 */
function fenceBucket(key: string, shape: WindowShape) {
  return sql`insert into rate_limit_buckets as b (key, tokens, refilled_at, last_granted)
            select ${key}, 0, clock_timestamp() + ${shape.horizonMs}::int * interval '1 millisecond', 0`;
}

export function createRateBudgetStore(db: Db): RateBudgetStore {
  return {
    async reserve(tenant, key, want, shape, now = Date.now) {
      let sentAt = 0;
      // READ COMMITTED whatever the server's default: the count must see every grant committed before
      // the lock was ours, which only a fresh snapshot per statement guarantees.
      const row = await db.transaction(
        async (tx) => {
          // Reservers of one key go one at a time. The same round trip fences a worker of the code
          // before the grant log out of the key (see fenceBucket).
          await tx.execute(sql`
            with locked as materialized (select pg_advisory_xact_lock(${sql.raw(String(budgetLockClass))}, hashtext(${key})))
            ${fenceBucket(key, shape)} from locked
            on conflict (key) do update set tokens = 0, refilled_at = excluded.refilled_at`);
          // Taken once the lock is ours: the grant is stamped after this, so a lease counted from here
          // never outlives its bound, and the lock wait does not eat into it.
          sentAt = now();
          // clock_timestamp(), not now(): the grant is stamped after the lock wait, never before it.
          const [answer] = rowsOf<{ blocked_ms: number | string | null; used: number | string; oldest_lapses_ms: number | string | null; grant_id: string | null; granted: number | null }>(
            await tx.execute(sql`
            with clock as materialized (select c.t, c.t - ${shape.horizonMs}::int * interval '1 millisecond' as since from (select clock_timestamp() as t) c),
            block as (
              select extract(epoch from (k.blocked_until - clock.t))::float8 * 1000 as ms
              from rate_limit_blocks k, clock where k.tenant = ${tenant} and k.blocked_until > clock.t
            ),
            live as (select g.permits, g.granted_at from rate_limit_grants g, clock where g.key = ${key} and g.granted_at > clock.since),
            used as (select coalesce(sum(permits), 0)::int as n, min(granted_at) as oldest from live),
            lapsed as (delete from rate_limit_grants g using clock where g.key = ${key} and g.granted_at <= clock.since),
            grant_now as (
              insert into rate_limit_grants (key, granted_at, permits)
              select ${key}, clock.t, least(${want}::int, ${shape.limit}::int - used.n)
              from clock, used
              where not exists (select 1 from block) and used.n < ${shape.limit}::int
              returning id, permits
            )
            select (select ms from block) as blocked_ms, used.n as used,
              extract(epoch from (used.oldest + ${shape.horizonMs}::int * interval '1 millisecond' - clock.t))::float8 * 1000 as oldest_lapses_ms,
              (select id from grant_now)::text as grant_id, (select permits from grant_now) as granted
            from used, clock`),
          );
          return answer;
        },
        { isolationLevel: 'read committed' },
      );
      const blockedMs = row?.blocked_ms == null ? 0 : Math.max(1, Math.ceil(Number(row.blocked_ms)));
      if (blockedMs > 0) return { granted: 0, waitMs: blockedMs, blockedMs, sentAt };
      const granted = Number(row?.granted ?? 0);
      if (granted > 0 && row?.grant_id) return { granted, grantId: row.grant_id, waitMs: 0, blockedMs: 0, sentAt };
      const waitMs = Math.max(1, Math.ceil(Number(row?.oldest_lapses_ms ?? 1)));
      return { granted: 0, waitMs, blockedMs: 0, sentAt };
    },

    async giveBack(grantId, count) {
      if (count <= 0) return;
      await db.execute(sql`
        with emptied as (delete from rate_limit_grants where id = ${grantId}::bigint and permits <= ${count}::int returning id)
        update rate_limit_grants set permits = greatest(0, permits - ${count}::int) where id = ${grantId}::bigint and not exists (select 1 from emptied)`);
    },

    async block(tenant, ms) {
      await db.execute(sql`
        insert into rate_limit_blocks as k (tenant, blocked_until)
        values (${tenant}, now() + ${Math.max(0, Math.ceil(ms))}::int * interval '1 millisecond')
        on conflict (tenant) do update set blocked_until = greatest(k.blocked_until, excluded.blocked_until)`);
    },
  };
}
