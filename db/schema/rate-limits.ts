// Vendor rate limits shared by every worker process (db/repos/rate-budgets.ts): a token bucket per
// tenant, window and API, and the tenant's block after a vendor rate-limit answer.
import { doublePrecision, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

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
