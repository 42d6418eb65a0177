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
  /**
   * Group commit (with `lock: 'shared'` only, outside a joined transaction): concurrent writes of the
   * same guard that arrive while a group of theirs is being written (or in the same tick) are written
   * together in ONE transaction (one BEGIN, one lock, one guard check, one COMMIT), each in a
   * savepoint of its own, so an error in one (a duplicate's unique violation, any other) undoes that
   * write alone. Each caller still gets its own result or error, and only once the group committed;
   * a refused guard or a failed commit fails every write of the group (nothing of it is written).
   */
  group?: boolean;
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

/** A unique violation as the ConflictError naming its field; any other error as it is. */
function conflictOf(error: unknown): unknown {
  const pg = postgresErrorOf(error);
  if (pg?.code !== '23505') return error;
  const field = uniqueConstraintFields[pg.constraint ?? ''];
  return new ConflictError(field ? `${field} is already taken` : 'the write conflicts with an existing record', field);
}

/** One write's body run in `tx`, with its audit and outbox rows. */
async function runWrite<T>(tx: Db, actor: string, body: (tx: Db) => Promise<HubWrite<T>>): Promise<Written<T>> {
  const written = await body(tx);
  const audits = written.audit === undefined ? [] : [written.audit].flat();
  const { auditIds, outboxIds } = await recordWrite(tx, audits, written.events ?? [], actor);
  return { write: written, auditId: auditIds[0], outboxIds };
}

interface Written<T> {
  write: HubWrite<T>;
  auditId: number | undefined;
  outboxIds: number[];
}

interface Pending {
  actor: string;
  body: (tx: Db) => Promise<HubWrite<unknown>>;
  done: (outcome: { written: Written<unknown> } | { error: unknown }) => void;
}

/** At most this many writes in one group transaction (the rest wait for the next group). */
export const maxGroupCommit = 64;

const noGuard = {};

export function createHubWriter(db: Db, options: HubWriterOptions = {}): HubWriter {
  const inTransaction = <R>(work: (tx: Db) => Promise<R>): Promise<R> => (options.joined ? work(db) : db.transaction(work));

  /** Writes waiting for their group, by guard; a key is present while its groups are being written. */
  const waiting = new Map<object, Pending[]>();

  async function writeGroup(batch: Pending[], guard: HubWriteOptions['guard']): Promise<void> {
    const outcomes: ({ written: Written<unknown> } | { error: unknown })[] = [];
    try {
      await db.transaction(async (tx) => {
        await lockAndGuard(tx, { lock: 'shared', guard });
        for (const [i, pending] of batch.entries()) {
          // A savepoint per write (the driver's nested transaction: a failed statement in it fails
          // it alone); the writes run one after another, so its rollback undoes that write alone.
          try {
            outcomes[i] = { written: await tx.transaction((savepoint) => runWrite(savepoint, pending.actor, pending.body)) };
          } catch (error) {
            outcomes[i] = { error: conflictOf(error) };
          }
        }
      });
    } catch (error) {
      // Nothing of the group was written (refused guard, failed commit, lost connection).
      const failed = conflictOf(error);
      for (const pending of batch) pending.done({ error: failed });
      return;
    }
    batch.forEach((pending, i) => pending.done(outcomes[i]));
  }

  function grouped(actor: string, body: Pending['body'], guard: HubWriteOptions['guard']): Promise<Written<unknown>> {
    const key = guard ?? noGuard;
    return new Promise((resolve, reject) => {
      const pending: Pending = { actor, body, done: (outcome) => ('error' in outcome ? reject(outcome.error) : resolve(outcome.written)) };
      const queue = waiting.get(key);
      if (queue) {
        queue.push(pending);
        return;
      }
      const fresh = [pending];
      waiting.set(key, fresh);
      // The first group starts on the next turn of the event loop (writes of this tick join it); while
      // a group is written, later writes wait for the next one.
      setImmediate(() => {
        void (async () => {
          try {
            while (fresh.length) await writeGroup(fresh.splice(0, maxGroupCommit), guard);
          } finally {
            waiting.delete(key);
          }
        })();
      });
    });
  }

  return async function writeHub<T>(actor: string, body: (tx: Db) => Promise<HubWrite<T>>, writeOptions: HubWriteOptions = {}): Promise<T> {
    if (!actor.trim()) throw new Error('a hub write needs an actor for the audit log');
    let write: HubWrite<T>;
    let auditId: number | undefined;
    let outboxIds: number[];
    if (writeOptions.group && writeOptions.lock === 'shared' && !options.joined) {
      ({ write, auditId, outboxIds } = (await grouped(actor, body, writeOptions.guard)) as Written<T>);
    } else {
      try {
        ({ write, auditId, outboxIds } = await inTransaction(async (tx) => {
          await lockAndGuard(tx, writeOptions);
          return runWrite(tx, actor, body);
        }));
      } catch (error) {
        throw conflictOf(error);
      }
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
