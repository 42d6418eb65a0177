// One hub write = one transaction holding the change, its audit row and its outbox rows (the durable
// record that downstream tasks must hear of it); change events fire after commit.
import { sql, type SQL } from 'drizzle-orm';
import type { ChangeEvent } from '../../engine/model';
import type { Db } from '../client';
import type { AuditEntry } from './audit-log';
import { ConflictError, postgresErrorOf, WriteBusyError } from './errors';
import { lockHubWrites, lockHubWritesShared, selectRows, type HubLockMode } from './sql';

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
  guard?: {
    holds: SQL;
    refuse: () => Error;
    /** locks taken with the hub lock, before the guard's statement (so its snapshot sees what committed while they waited) */
    locksFirst?: SQL;
    /**
     * The group commit key (`group`): writes of one key and lane run one group at a time, whatever guard object
     * they carry (a fresh read of the same task and token builds a new one); absent, the guard object is
     * the key. A group checks one guard, so writes of one key with different guards go in different groups.
     */
    key?: string;
    /**
     * What the guard checks, as text (SCIM: the task's id and updated_at, and the token): guards of
     * one key and one version check the same thing, so their writes share a group. Absent, only
     * writes carrying the same guard object do.
     */
    version?: string;
  };
  /**
   * Group commit (with `lock: 'shared'` only, outside a joined transaction): concurrent writes of the
   * same guard that arrive while a group of theirs is being written (or in the same tick) are written
   * together in ONE transaction (one BEGIN, one lock, one guard check, one COMMIT), each in a
   * savepoint of its own, so an error in one (a duplicate's unique violation, any other) undoes that
   * write alone. Each caller still gets its own result or error, and only once the group committed;
   * a refused guard or a failed commit fails every write of the group (nothing of it is written).
   *
   * A group waits for the hub lock as any write does, then at most `lockTimeoutMs` for any other lock
   * (SET LOCAL lock_timeout: the guard's rows, the writes' rows and index entries). A write of the group
   * that hits that timeout or a deadlock (other groups hold row locks or unique-index entries it
   * needs) is run once more alone, in a transaction of its own, after its group committed; if that
   * fails the same way too, or its key already has `maxGroupQueue` writes waiting, it fails with
   * WriteBusyError (SCIM: 503 with Retry-After).
   */
  group?: boolean;
  /**
   * With `group`: what the write locks (a user's id, the userName a create takes). Writes of one lane
   * of a key run one group at a time, in arrival order, so parallel groups of the key never wait for
   * each other's rows (two groups that lock two users in opposite orders deadlock) and writes of one
   * person commit in the order they came; lanes run side by side, at most `parallelGroups` at once.
   * Absent: one lane for all the key's writes.
   */
  lane?: string;
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
  /** the longest a group commit transaction (or a write of one run again alone) waits for a lock; default `groupLockTimeoutMs` */
  lockTimeoutMs?: number;
  /** at most this many groups of one key written at once, each on a connection of its own; default `parallelGroupsPerKey` */
  parallelGroups?: number;
}

/**
 * The hub write lock, then the write's guard as a statement of its own: a guard evaluated in the
 * lock's statement would read that statement's snapshot, taken before it waited for the lock.
 */
export async function lockAndGuard(tx: Db, options: HubWriteOptions, { locked = false } = {}): Promise<void> {
  if (!locked) await lockHubWrites(tx, options.lock);
  if (!options.guard) return;
  if (!locked && options.guard.locksFirst) await tx.execute(sql`select ${options.guard.locksFirst}`);
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
  guard: HubWriteOptions['guard'];
  done: (outcome: { written: Written<unknown> } | { error: unknown }) => void;
}

/**
 * At most this many writes in one group transaction (the rest wait for the next group): below
 * PGPROC_MAX_CACHED_SUBXIDS (64), past which every snapshot of every session must look up pg_subtrans.
 */
export const maxGroupCommit = 32;
/** At most this many writes waiting for a group of one lane of a key: more are refused (WriteBusyError). */
export const maxGroupQueue = 256;
/** The default lock wait of a group commit transaction (HubWriterOptions.lockTimeoutMs). */
export const groupLockTimeoutMs = 2000;
/**
 * The default of HubWriterOptions.parallelGroups: lanes of one key written at once. A group's writes
 * run one after another, each a few round trips, so one group at a time left the process waiting on
 * the database a third of the time (scim-push bench). Four of the pool's ten connections per pushing
 * token; the rest stay for reads and other writes.
 */
export const parallelGroupsPerKey = 4;

const noGuard = {};

/** The lane slot of a group commit write (FNV-1a of its lane): one lane always lands in one slot. */
export function laneSlot(lane: string, slots: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < lane.length; i++) hash = Math.imul(hash ^ lane.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % slots;
}

/** A group's guard did not hold: each of its writes is refused with an error of its own (`guard.refuse()`). */
class GuardRefused extends Error {}

/** Lost a lock wait to a deadlock (40P01) or to lock_timeout (55P03): worth one more try alone. */
const lockContended = (error: unknown) => {
  const code = postgresErrorOf(error)?.code;
  return code === '40P01' || code === '55P03';
};

/** The connection failed or the server is shutting down (class 08, 57P01-57P03): nothing was committed, or nobody can tell. */
const connectionLost = (error: unknown) => {
  const code = postgresErrorOf(error)?.code;
  if (code) return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
  const errno = (error as { code?: unknown } | null)?.code;
  return errno === 'ECONNRESET' || errno === 'ECONNREFUSED' || errno === 'EPIPE' || errno === 'ETIMEDOUT' || errno === 'CONNECTION_CLOSED' || errno === 'CONNECTION_ENDED' || errno === 'CONNECTION_DESTROYED';
};

/** A whole group's failure as each caller's own error (a fresh instance each: callers may decorate theirs). */
function groupFailureOf(error: unknown, guard?: HubWriteOptions['guard']): () => unknown {
  if (guard && error instanceof GuardRefused) return () => guard.refuse();
  if (lockContended(error)) return () => new WriteBusyError('the write waited too long for a lock: nothing was written, send it again', { cause: error });
  if (connectionLost(error)) return () => new WriteBusyError('the database connection failed: the write may not have been written, send it again', { cause: error });
  const pg = postgresErrorOf(error);
  if (pg?.code === '23505') return () => conflictOf(error);
  return () => new Error(`the group commit failed, nothing of it was written: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

export function createHubWriter(db: Db, options: HubWriterOptions = {}): HubWriter {
  const inTransaction = <R>(work: (tx: Db) => Promise<R>): Promise<R> => (options.joined ? work(db) : db.transaction(work));
  const lockTimeoutMs = Math.max(1, Math.floor(options.lockTimeoutMs ?? groupLockTimeoutMs));

  const parallelGroups = Math.max(1, Math.floor(options.parallelGroups ?? parallelGroupsPerKey));
  /** Writes waiting for their group, by key and then lane slot; a lane's queue is present while its groups are being written. */
  const waiting = new Map<unknown, Map<number, Pending[]>>();

  /** A write of a group that lost a lock wait, run again alone (as without group commit), with the same lock timeout. */
  async function writeAlone(pending: Pending): Promise<void> {
    try {
      const written = await db.transaction(async (tx) => {
        await lockHubWritesShared(tx, { lockTimeoutMs, also: pending.guard?.locksFirst });
        await lockAndGuard(tx, { guard: pending.guard, lock: 'shared' }, { locked: true });
        return runWrite(tx, pending.actor, pending.body);
      });
      pending.done({ written });
    } catch (error) {
      pending.done({ error: lockContended(error) || connectionLost(error) ? groupFailureOf(error)() : conflictOf(error) });
    }
  }

  async function writeGroup(batch: Pending[], guard: HubWriteOptions['guard']): Promise<void> {
    const outcomes: ({ written: Written<unknown> } | { error: unknown } | 'again')[] = [];
    try {
      await db.transaction(async (tx) => {
        // The hub lock waits as any write's does (an exclusive hub write may be long); every lock
        // after it (the guard's row locks, the writes' row locks and index entries) waits at most lock_timeout.
        await lockHubWritesShared(tx, { lockTimeoutMs, also: guard?.locksFirst });
        await lockAndGuard(tx, { lock: 'shared', guard: guard && { holds: guard.holds, refuse: () => new GuardRefused() } }, { locked: true });
        for (const [i, pending] of batch.entries()) {
          // A savepoint per write (the driver's nested transaction: a failed statement in it fails
          // it alone); the writes run one after another, so its rollback undoes that write alone.
          try {
            outcomes[i] = { written: await tx.transaction((savepoint) => runWrite(savepoint, pending.actor, pending.body)) };
          } catch (error) {
            // A deadlock with another group (or a lock wait past lock_timeout): its savepoint is
            // rolled back (its locks released); it runs again alone once this group has committed.
            outcomes[i] = lockContended(error) ? 'again' : { error: conflictOf(error) };
          }
        }
      });
    } catch (error) {
      // Nothing of the group was written (refused guard, failed commit, lost connection).
      const failed = groupFailureOf(error, guard);
      for (const pending of batch) pending.done({ error: failed() });
      return;
    }
    const again: Pending[] = [];
    batch.forEach((pending, i) => {
      const outcome = outcomes[i];
      if (outcome === 'again') again.push(pending);
      else pending.done(outcome);
    });
    // One after another: together they might deadlock with each other again.
    for (const pending of again) await writeAlone(pending);
  }

  /**
   * The next group of `queue`: the oldest write and the later ones carrying its guard, in order, at most
   * maxGroupCommit. Oldest first, or a write whose guard an earlier read of the task made waits as
   * long as writes of a newer guard keep coming (seen: one POST waiting the whole 27 s of a bench phase).
   */
  function nextBatch(queue: Pending[]): Pending[] {
    const guard = queue[0].guard;
    const sameCheck = (other: Pending['guard']) => other === guard || (guard?.version !== undefined && other?.version === guard.version);
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    for (const pending of queue) (sameCheck(pending.guard) && batch.length < maxGroupCommit ? batch : rest).push(pending);
    queue.splice(0, queue.length, ...rest);
    return batch;
  }

  function grouped(actor: string, body: Pending['body'], guard: HubWriteOptions['guard'], lane: string | undefined): Promise<Written<unknown>> {
    const key = guard?.key ?? guard ?? noGuard;
    const slot = lane === undefined ? 0 : laneSlot(lane, parallelGroups);
    return new Promise((resolve, reject) => {
      const pending: Pending = { actor, body, guard, done: (outcome) => ('error' in outcome ? reject(outcome.error) : resolve(outcome.written)) };
      let lanes = waiting.get(key);
      const queue = lanes?.get(slot);
      if (queue) {
        if (queue.length >= maxGroupQueue) {
          reject(new WriteBusyError(`${maxGroupQueue} writes of this push are already waiting: nothing was written, send it again`));
          return;
        }
        queue.push(pending);
        return;
      }
      if (!lanes) waiting.set(key, (lanes = new Map()));
      const fresh = [pending];
      lanes.set(slot, fresh);
      const own = lanes;
      // The lane's first group starts on the next turn of the event loop (writes of this tick join it);
      // while a group is written, later writes of its lane wait for the next one.
      setImmediate(() => {
        void (async () => {
          let batch: Pending[] = [];
          try {
            while (fresh.length) {
              batch = nextBatch(fresh);
              await writeGroup(batch, batch[0].guard);
            }
          } catch (error) {
            // writeGroup answers every write itself; should it ever throw, no write is left unanswered (a second answer is a no-op)
            for (const pending of [...batch, ...fresh.splice(0)]) pending.done({ error });
          } finally {
            own.delete(slot);
            if (!own.size && waiting.get(key) === own) waiting.delete(key);
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
      ({ write, auditId, outboxIds } = (await grouped(actor, body, writeOptions.guard, writeOptions.lane)) as Written<T>);
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
