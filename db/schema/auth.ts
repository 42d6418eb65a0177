// API tokens. Only a sha256 of each token is stored; the token itself is shown once at creation.
import { pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role', { enum: ['admin', 'operator', 'approver', 'scim'] }).notNull(),
    /** role scim: the scim-push task whose writes this token makes (null for every other role) */
    taskId: text('task_id'),
    tokenHash: text('token_hash').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    /** null: never expires; after it the token is refused (401) */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
  },
  (t) => [uniqueIndex('api_tokens_hash_uq').on(t.tokenHash)],
);
