// A vendor's rate budget shared by every worker process: one token bucket per (tenant, window, API)
// row, taken and refilled by one atomic statement under the row's lock, and one block row per tenant
// written when the vendor answers "rate limited". The database's clock is the only clock, so workers
// whose clocks disagree still share one budget.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { rowsOf } from './sql';

/** A bucket holds at most `capacity` permits and gains `ratePerMs` of them per millisecond. */
export interface BucketShape {
  capacity: number;
  ratePerMs: number;
}

export interface Reservation {
  /** permits granted now (0..want) */
  granted: number;
  /** when nothing was granted: ms until `want` permits (at most the capacity) will be there */
  waitMs: number;
  /** > 0 when the tenant is blocked by a vendor answer: nothing was granted, wait this long */
  blockedMs: number;
}

export interface RateBudgetStore {
  /** Takes up to `want` permits of `bucket`, unless `tenant` is blocked. */
  reserve(tenant: string, bucket: string, want: number, shape: BucketShape): Promise<Reservation>;
  /** Puts back permits reserved and not used (never above the capacity). */
  giveBack(bucket: string, count: number, shape: BucketShape): Promise<void>;
  /** The vendor refused a call: every reserver of the tenant waits `ms` from now (the longest block wins). */
  block(tenant: string, ms: number): Promise<void>;
}

/** Permits in the bucket now: what was left plus the refill since, capped. `b` is the locked row. */
function available(shape: BucketShape): SQL {
  return sql`least(${shape.capacity}::float8, b.tokens + greatest(0, extract(epoch from (now() - b.refilled_at))::float8 * 1000) * ${shape.ratePerMs}::float8)`;
}

export function createRateBudgetStore(db: Db): RateBudgetStore {
  return {
    async reserve(tenant, bucket, want, shape) {
      const granted = sql`least(${want}::int, floor(${available(shape)}))::int`;
      const first = sql`least(${want}::int, floor(${shape.capacity}::float8))::int`;
      // ON CONFLICT DO UPDATE works on the latest row version under its lock: concurrent
      // reservers of one bucket are serialized, none sees a stale count.
      const [row] = rowsOf<{ blocked_ms: number | string | null; tokens: number | string | null; granted: number | null }>(
        await db.execute(sql`
          with block as (
            select extract(epoch from (blocked_until - now()))::float8 * 1000 as ms
            from rate_limit_blocks where tenant = ${tenant} and blocked_until > now()
          ),
          taken as (
            insert into rate_limit_buckets as b (key, tokens, refilled_at, last_granted)
            select ${bucket}, ${shape.capacity}::float8 - ${first}, now(), ${first}
            where not exists (select 1 from block)
            on conflict (key) do update set
              tokens = ${available(shape)} - ${granted},
              last_granted = ${granted},
              refilled_at = greatest(b.refilled_at, now())
            returning b.tokens, b.last_granted as granted
          )
          select (select ms from block) as blocked_ms, taken.tokens, taken.granted
          from (select 1) as one left join taken on true`),
      );
      const blockedMs = row?.blocked_ms == null ? 0 : Math.max(1, Math.ceil(Number(row.blocked_ms)));
      if (blockedMs > 0) return { granted: 0, waitMs: blockedMs, blockedMs };
      const got = Number(row?.granted ?? 0);
      const tokens = Number(row?.tokens ?? 0);
      const waitMs = got > 0 ? 0 : Math.max(1, Math.ceil((Math.min(want, shape.capacity) - tokens) / shape.ratePerMs));
      return { granted: got, waitMs, blockedMs: 0 };
    },

    async giveBack(bucket, count, shape) {
      if (count <= 0) return;
      await db.execute(sql`
        update rate_limit_buckets as b
        set tokens = least(${shape.capacity}::float8, ${available(shape)} + ${count}::float8), refilled_at = greatest(b.refilled_at, now())
        where b.key = ${bucket}`);
    },

    async block(tenant, ms) {
      await db.execute(sql`
        insert into rate_limit_blocks as k (tenant, blocked_until)
        values (${tenant}, now() + ${Math.max(0, Math.ceil(ms))}::int * interval '1 millisecond')
        on conflict (tenant) do update set blocked_until = greatest(k.blocked_until, excluded.blocked_until)`);
    },
  };
}
