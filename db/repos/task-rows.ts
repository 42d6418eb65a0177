// The one reader of sync_tasks rows: live-row queries and the mapper to a stored task. The sync-task
// repository, the run activities and the webhook routes all read tasks through here.
import { and, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { PublicTaskConfig } from '../../engine/task-config';
import type { Db } from '../client';
import { syncTasks } from '../schema';
import { preparedPerHandle } from './prepared';

export type TaskRow = typeof syncTasks.$inferSelect;

/** A live task as stored: its public configuration (typed jsonb) and its sealed secrets, never opened here. */
export interface StoredTask {
  id: string;
  name: string;
  direction: 'upstream' | 'downstream';
  connectorKind: string;
  enabled: boolean;
  config: PublicTaskConfig;
  secretsSealed: string;
  createdAt: Date;
  updatedAt: Date;
}

export function toStoredTask(row: TaskRow): StoredTask {
  const { deletedAt: _deletedAt, ...task } = row;
  return task;
}

/** Not deleted, and `where` if given: the one definition of a live task row. */
const live = (where?: SQL) => (where ? and(isNull(syncTasks.deletedAt), where) : isNull(syncTasks.deletedAt));

/** Live tasks (not deleted) matching `where`, as rows. */
export async function liveTaskRows(db: Db, where?: SQL, options: { lock?: boolean } = {}): Promise<TaskRow[]> {
  const query = db.select().from(syncTasks).where(live(where));
  return options.lock ? query.for('update') : query;
}

/** The live task with this id, or undefined (unknown or deleted). */
const liveTaskById = preparedPerHandle((db) =>
  db
    .select()
    .from(syncTasks)
    .where(live(eq(syncTasks.id, sql.placeholder('id'))))
    .prepare('live_task_by_id'),
);

export async function findLiveTask(db: Db, id: string): Promise<StoredTask | undefined> {
  const [row] = await liveTaskById(db).execute({ id });
  return row && toStoredTask(row);
}
