// The task a scim token pushes as: a live, enabled upstream task of kind scim-push. Every write is
// that task's (audit actor `sync:<taskId>`, the people it creates belong to it) and goes through
// its field mapping.
//
// Writes use the task as this process last read it (no read per request): each write, once it holds
// the hub lock, checks that the task is still live, enabled and unchanged (`guard`) and keeps the
// task row share-locked until it commits, so a disable waits for writes already past the guard and
// every later write is refused. A write refused so (PushTaskChanged) wrote
// nothing: the route drops the cached task and runs again on a fresh read, which answers 403 if the
// task is disabled. Reads always read the task.
//
// The guard also checks the caller's token (still stored, not expired) and key-share-locks its row
// (a DELETE waits for the write; verify()'s last_used_at UPDATE does not), so
// a write authenticated from the route's short-lived token cache (auth.ts WriteTokenCache) writes
// nothing once the token is deleted: it is refused like a changed task, and the route reads the
// token again (401).
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { HubWriteOptions } from '../../db/repos/hub-directory';
import { taskWriteLockShared } from '../../db/repos/sql';
import { findLiveTask, type StoredTask } from '../../db/repos/task-rows';
import { compileFieldMapping, mapUsers, type CompiledFieldMapping } from '../../engine/field-mapping';
import type { User } from '../../engine/model';
import type { Actor } from '../auth';
import { PushTaskChanged, ScimError } from './errors';

export { PushTaskChanged };

export interface PushTask {
  task: StoredTask;
  /** the audit actor of its writes, as for its runs */
  actor: string;
  /** the task's mapping applied to a user about to be written */
  map(user: User): Promise<User>;
  /** for every hub write of the push: refused (PushTaskChanged) unless the task is as read */
  guard: NonNullable<HubWriteOptions['guard']>;
}

const compiledByConfig = new WeakMap<object, CompiledFieldMapping>();

function pushTask(task: StoredTask, tokenId: string): PushTask {
  const entries = task.config.fieldMapping ?? [];
  // updated_at in whole milliseconds, as the Date read holds it; every task write moves it on by at least one (sync-tasks.ts nextUpdatedAt)
  const readAt = task.updatedAt.getTime();
  return {
    task,
    actor: `sync:${task.id}`, // activities/task.ts runActor: the same actor as the task's runs
    async map(user) {
      if (entries.length === 0) return user;
      let compiled = compiledByConfig.get(task.config);
      if (!compiled) compiledByConfig.set(task.config, (compiled = compileFieldMapping(entries)));
      const { users, failures } = await mapUsers(compiled, [user]);
      if (failures[0] || !users[0]) throw new ScimError(400, `the task's field mapping failed: ${failures[0]?.reason ?? 'no user'}`, 'invalidValue');
      // The mapper builds attributes without a prototype; drizzle wants a plain object.
      return { ...users[0], attributes: { ...users[0].attributes } };
    },
    guard: {
      holds: sql`exists (select 1 from sync_tasks where id = ${task.id} and enabled and deleted_at is null and floor(extract(epoch from updated_at) * 1000) = ${readAt} for share) and exists (select 1 from api_tokens where id = ${tokenId} and task_id = ${task.id} and (expires_at is null or expires_at > now()) for key share)`,
      refuse: () => new PushTaskChanged(`sync task ${task.id} changed since it was read, or the token is gone`),
      // a disable, an edit or delete of the task, or a token delete waiting for the writes past their guard holds back every later one (sql.ts)
      locksFirst: taskWriteLockShared(task.id),
      // one group commit per task and token, however often the task is read again (hub-writer.ts)
      key: `${task.id}\u0000${tokenId}`,
      // concurrent first reads of one task version check the same thing: one group for all their writes
      version: `${task.id}\u0000${tokenId}\u0000${readAt}`,
    },
  };
}

function liveOrRefuse(task: StoredTask | undefined): StoredTask {
  if (!task || task.connectorKind !== 'scim-push') throw new ScimError(403, 'the token is bound to no live scim-push task');
  if (!task.enabled) throw new ScimError(403, `sync task ${task.id} is disabled: it accepts no push`);
  return task;
}

export async function pushTaskOf(db: Db, actor: Actor): Promise<PushTask> {
  return pushTask(liveOrRefuse(actor.taskId ? await findLiveTask(db, actor.taskId) : undefined), actor.id);
}

const keyOf = (actor: Actor) => (actor.taskId ? `${actor.taskId}\u0000${actor.id}` : undefined);

/** Push tasks by task and token as last read, for writes (their guard checks both); reads go to the database. */
export function pushTaskCache(db: Db) {
  const byKey = new Map<string, PushTask>();
  const remember = (actor: Actor, push: PushTask) => {
    if (byKey.size > 1000) byKey.clear(); // a handful of push tasks and tokens in practice; bounded all the same
    byKey.set(keyOf(actor)!, push);
  };
  return {
    async forWrite(actor: Actor): Promise<PushTask> {
      const key = keyOf(actor);
      const cached = key ? byKey.get(key) : undefined;
      if (cached) return cached;
      const push = await pushTaskOf(db, actor);
      remember(actor, push);
      return push;
    },
    async forRead(actor: Actor): Promise<PushTask> {
      const push = await pushTaskOf(db, actor);
      // The task as cached if it is unchanged: its guard (so its writes' group) stays the same.
      const cached = byKey.get(keyOf(actor)!);
      if (cached && cached.task.updatedAt.getTime() === push.task.updatedAt.getTime()) return cached;
      remember(actor, push);
      return push;
    },
    forget(actor: Actor): void {
      const key = keyOf(actor);
      if (key) byKey.delete(key);
    },
  };
}
