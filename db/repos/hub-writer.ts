// One hub write = one transaction holding the change, its audit row and its outbox rows (the durable
// record that downstream tasks must hear of it); change events fire after commit.
import type { ChangeEvent } from '../../engine/model';
import type { Db } from '../client';
import { recordAudit, type AuditEntry } from './audit-log';
import { ConflictError, postgresErrorOf } from './errors';
import { recordHubChanges } from './hub-change-outbox';
import { lockHubWrites, type HubLockMode } from './sql';

/** Who made a hub write: the audit actor (an API principal, `sync:<taskId>` for a run). */
export interface ChangeOrigin {
  actor: string;
  /** the write's hub_change_outbox rows, one per event in order: the listener deletes them once delivered */
  outboxIds?: readonly number[];
}

export type ChangeListener = (events: ChangeEvent[], origin?: ChangeOrigin) => void | Promise<void>;

export interface HubWrite<T> {
  result: T;
  /** absent when the write changed nothing (e.g. offboarding a disabled user) */
  audit?: Omit<AuditEntry, 'actor'>;
  events?: Omit<ChangeEvent, 'eventId'>[];
}

/** `lock: 'shared'` only for writes whose checks no concurrent shared write can invalidate (sql.ts). */
export type HubWriter = <T>(actor: string, body: (tx: Db) => Promise<HubWrite<T>>, options?: { lock?: HubLockMode }) => Promise<T>;

export interface HubWriterOptions {
  onChange?: ChangeListener;
  /** a failing listener cannot undo a committed write, so its error is reported here instead */
  onChangeError?: (error: unknown, events: ChangeEvent[]) => void;
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
  return async function writeHub<T>(actor: string, body: (tx: Db) => Promise<HubWrite<T>>, writeOptions: { lock?: HubLockMode } = {}): Promise<T> {
    if (!actor.trim()) throw new Error('a hub write needs an actor for the audit log');
    let write: HubWrite<T>;
    let auditId: number | undefined;
    let outboxIds: number[];
    try {
      ({ write, auditId, outboxIds } = await db.transaction(async (tx) => {
        await lockHubWrites(tx, writeOptions.lock);
        const written = await body(tx);
        const id = written.audit ? await recordAudit(tx, { ...written.audit, actor }) : undefined;
        return { write: written, auditId: id, outboxIds: await recordHubChanges(tx, written.events ?? [], actor) };
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
