// One hub write = one transaction holding the change, its audit row and its outbox rows (the durable
// record that downstream tasks must hear of it); change events fire after commit.
import { sql, type SQL } from 'drizzle-orm';
import type { ChangeEvent } from '../../engine/model';
import type { Db } from '../client';
import type { AuditEntry } from './audit-log';
import { ConflictError, postgresErrorOf } from './errors';
import { lockHubWrites, selectRows, type HubLockMode } from './sql';

/** Who made a hub write: the audit actor (an API principal, `sync:<taskId>` for a run). */
export interface ChangeOrigin {
  actor: string;
  /** the write's hub_change_outbox rows, one per event in order: the listener deletes them once delivered */
  outboxIds?: readonly number[];
}

export type ChangeListener = (events: ChangeEvent[], origin?: ChangeOrigin) => void | Promise<void>;

export interface HubWrite<T> {
  result: T;
  /** absent when the write changed nothing (e.g. offboarding a disabled user); several when one write is several audited steps (an update that also offboards) */
  audit?: Omit<AuditEntry, 'actor'> | Omit<AuditEntry, 'actor'>[];
  events?: Omit<ChangeEvent, 'eventId'>[];
}

export interface HubWriteOptions {
  /** `'shared'` only for writes whose checks no concurrent shared write can invalidate (sql.ts) */
  lock?: HubLockMode;
  /**
   * A boolean SQL expression checked in its own statement once the lock is granted (so under READ
   * COMMITTED it sees what committed while the write waited for the lock); false refuses the write
   * with `refuse()`'s error before anything is written (e.g. SCIM: the pushing task is still live
   * and unchanged).
   */
  guard?: { holds: SQL; refuse: () => Error };
}

export type HubWriter = <T>(actor: string, body: (tx: Db) => Promise<HubWrite<T>>, options?: HubWriteOptions) => Promise<T>;

export interface HubWriterOptions {
  onChange?: ChangeListener;
  /** a failing listener cannot undo a committed write, so its error is reported here instead */
  onChangeError?: (error: unknown, events: ChangeEvent[]) => void;
  /**
   * `db` is a transaction some caller holds (HubDirectory.transaction): writes run in it directly
   * (no nested transaction), and `onChange` is the caller's, which reports them after its commit.
   */
  joined?: boolean;
}

/**
 * The hub write lock, then the write's guard as a statement of its own: a guard evaluated in the
 * lock's statement would read that statement's snapshot, taken before it waited for the lock.
 */
export async function lockAndGuard(tx: Db, options: HubWriteOptions): Promise<void> {
  await lockHubWrites(tx, options.lock);
  if (!options.guard) return;
  const [row] = await selectRows<{ holds: boolean | null }>(tx, sql`select coalesce((${options.guard.holds}), false) as holds`);
  if (!row?.holds) throw options.guard.refuse();
}

/** The write's audit rows and outbox rows in one statement: their ids in order. */
async function recordWrite(tx: Db, audits: Omit<AuditEntry, 'actor'>[], events: readonly Omit<ChangeEvent, 'eventId'>[], actor: string): Promise<{ auditIds: number[]; outboxIds: number[] }> {
  if (!audits.length && !events.length) return { auditIds: [], outboxIds: [] };
  const json = (value: unknown) => (value === undefined || value === null ? sql`null` : sql`${JSON.stringify(value)}::jsonb`);
  const parts: SQL[] = [];
  if (audits.length) {
    const values = sql.join(audits.map((a) => sql`(${actor}, ${a.action}, ${a.entityType}, ${a.entityId}, ${json(a.before)}, ${json(a.after)})`), sql`, `);
    parts.push(sql`a as (insert into audit_log (actor, action, entity_type, entity_id, before, after) values ${values} returning id)`);
  }
  if (events.length) {
    const values = sql.join(events.map((e) => sql`(${e.entity}, ${e.id}, ${e.kind}, ${actor})`), sql`, `);
    parts.push(sql`o as (insert into hub_change_outbox (entity, hub_id, kind, actor) values ${values} returning id)`);
  }
  const ids = (name: string, present: boolean) => (present ? sql.raw(`(select coalesce(json_agg(id order by id), '[]'::json) from ${name})`) : sql.raw(`'[]'::json`));
  const [row] = await selectRows<{ audit_ids: unknown; outbox_ids: unknown }>(tx, sql`with ${sql.join(parts, sql`, `)} select ${ids('a', audits.length > 0)} as audit_ids, ${ids('o', events.length > 0)} as outbox_ids`);
  const list = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown[]) : (v as unknown[])).map(Number);
  return { auditIds: list(row.audit_ids), outboxIds: list(row.outbox_ids) };
}

// Unique indexes back the up-front duplicate checks; a race that slips past them still names the field.
const uniqueConstraintFields: Record<string, string> = {
  hub_users_username_uq: 'username',
  hub_users_email_uq: 'email',
  hub_users_mobile_uq: 'mobile',
  hub_users_employee_number_uq: 'employeeNumber',
  hub_users_pkey: 'id',
  hub_departments_pkey: 'id',
};

export function createHubWriter(db: Db, options: HubWriterOptions = {}): HubWriter {
  const inTransaction = <R>(work: (tx: Db) => Promise<R>): Promise<R> => (options.joined ? work(db) : db.transaction(work));
  return async function writeHub<T>(actor: string, body: (tx: Db) => Promise<HubWrite<T>>, writeOptions: HubWriteOptions = {}): Promise<T> {
    if (!actor.trim()) throw new Error('a hub write needs an actor for the audit log');
    let write: HubWrite<T>;
    let auditId: number | undefined;
    let outboxIds: number[];
    try {
      ({ write, auditId, outboxIds } = await inTransaction(async (tx) => {
        await lockAndGuard(tx, writeOptions);
        const written = await body(tx);
        const audits = written.audit === undefined ? [] : [written.audit].flat();
        const { auditIds, outboxIds } = await recordWrite(tx, audits, written.events ?? [], actor);
        return { write: written, auditId: auditIds[0], outboxIds };
      }));
    } catch (error) {
      const pg = postgresErrorOf(error);
      if (pg?.code === '23505') {
        const field = uniqueConstraintFields[pg.constraint ?? ''];
        throw new ConflictError(field ? `${field} is already taken` : 'the write conflicts with an existing record', field);
      }
      throw error;
    }
    const events = (write.events ?? []).map((e) => ({ ...e, ...(auditId !== undefined ? { eventId: `audit:${auditId}:${e.entity}:${e.id}` } : {}) }));
    if (events.length && options.onChange) {
      try {
        await options.onChange(events, { actor, outboxIds });
      } catch (error) {
        options.onChangeError?.(error, events);
      }
    }
    return write.result;
  };
}
