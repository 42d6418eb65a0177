// Vendor rate limits shared by every worker process (db/repos/rate-budgets.ts): the permits granted
// per tenant, window and API over the last window, and the tenant's block after a vendor rate-limit
// answer. `rate_limit_buckets` is the token bucket of the code before the grant log: this code only
// writes a fence into it (held empty while this code reserves), so that a worker of that code still
// running during a rolling deploy grants nothing beside the log.
import { bigserial, doublePrecision, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const rateLimitBuckets = pgTable('rate_limit_buckets', {
  /** `<tenant>|<window ms>|<api key>`, e.g. `wecom:https://qyapi.weixin.qq.com/cgi-bin:ww01|60000|/user/create` */
  key: text('key').primaryKey(),
  /** permits left at `refilled_at` (the refill since then is added on the next reservation) */
  tokens: doublePrecision('tokens').notNull(),
  refilledAt: timestamp('refilled_at', { withTimezone: true }).notNull(),
  /** what the last reservation got: the one atomic statement returns it */
  lastGranted: integer('last_granted').notNull().default(0),
});

export const rateLimitBlocks = pgTable('rate_limit_blocks', {
  /** connector identity: kind and the settings that name the tenant */
  tenant: text('tenant').primaryKey(),
  /** the vendor said "no more calls" until then; every reserver waits for it */
  blockedUntil: timestamp('blocked_until', { withTimezone: true }).notNull(),
});

export const rateLimitGrants = pgTable(
  'rate_limit_grants',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** `<tenant>|<window ms>|<api key>`, as the bucket keys were */
    key: text('key').notNull(),
    /** the database's clock when granted; the grant counts against the budget for one horizon after */
    grantedAt: timestamp('granted_at', { withTimezone: true }).notNull(),
    /** permits granted, less those given back unused */
    permits: integer('permits').notNull(),
  },
  (t) => [index('rate_limit_grants_key_granted_at').on(t.key, t.grantedAt)],
);
