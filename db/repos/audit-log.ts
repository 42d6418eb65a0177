// The audit trail: every hub and token write records who did what, with before and after.
import { and, count, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../client';
import { auditLog } from '../schema';

export interface AuditEntry {
  /** token name and id, `bootstrap-admin`, or `sync:<taskId>` for a run */
  actor: string;
  /** e.g. `user.create`, `department.delete`, `token.create` */
  action: string;
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditRecord {
  id: number;
  at: Date;
  actor: string;
  action: string;
  entityType: string;
  entityId: string;
  before: unknown;
  after: unknown;
}

/** Inserts one row; call it with the transaction of the write it describes. Returns the row id. */
export async function recordAudit(tx: Db, entry: AuditEntry): Promise<number> {
  const [row] = await tx
    .insert(auditLog)
    .values({ ...entry, before: entry.before ?? null, after: entry.after ?? null })
    .returning({ id: auditLog.id });
  return row.id;
}

export interface AuditQuery {
  entityType?: string;
  entityId?: string;
  actor?: string;
  action?: string;
  /** from this instant, inclusive */
  from?: Date;
  /** before this instant, exclusive */
  to?: Date;
  limit?: number;
  offset?: number;
}

export interface AuditLog {
  /** newest first */
  list(query?: AuditQuery): Promise<{ items: AuditRecord[]; total: number }>;
}

export function createAuditLog(db: Db): AuditLog {
  return {
    async list(query = {}) {
      const conditions: SQL[] = [];
      if (query.entityType) conditions.push(eq(auditLog.entityType, query.entityType));
      if (query.entityId) conditions.push(eq(auditLog.entityId, query.entityId));
      if (query.actor) conditions.push(eq(auditLog.actor, query.actor));
      if (query.action) conditions.push(eq(auditLog.action, query.action));
      if (query.from) conditions.push(gte(auditLog.at, query.from));
      if (query.to) conditions.push(lt(auditLog.at, query.to));
      const where = conditions.length ? and(...conditions) : undefined;
      const [items, [{ total }]] = await Promise.all([
        db
          .select()
          .from(auditLog)
          .where(where)
          .orderBy(desc(auditLog.id))
          .limit(query.limit ?? 100)
          .offset(query.offset ?? 0),
        db.select({ total: count() }).from(auditLog).where(where),
      ]);
      return { items, total };
    },
  };
}
