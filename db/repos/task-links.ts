// Write side of task_links: the stored (source id ↔ target id) pairs per task, so a retried or
// repeated run never creates a second account. Read by plans (listTaskLinks) and by the apply step.
import { and, eq, ne, or } from 'drizzle-orm';
import type { Link } from '../../engine/plan-types';
import type { Db } from '../client';
import { taskLinks } from '../schema';

export async function listTaskLinks(db: Db, taskId: string): Promise<Link[]> {
  return db
    .select({ entity: taskLinks.entity, sourceId: taskLinks.sourceId, targetId: taskLinks.targetId })
    .from(taskLinks)
    .where(eq(taskLinks.taskId, taskId));
}

/**
 * Records links, replacing older ones of the same source or the same target (a target adopted again
 * or a source re-created). Pass a transaction to make it atomic with the write it belongs to.
 */
export async function upsertTaskLinks(db: Db, taskId: string, links: readonly Link[]): Promise<void> {
  for (const link of links) {
    // A target is linked to one source at most: a stale pair pointing at it from elsewhere goes.
    await db
      .delete(taskLinks)
      .where(
        and(
          eq(taskLinks.taskId, taskId),
          eq(taskLinks.entity, link.entity),
          or(
            and(eq(taskLinks.targetId, link.targetId), ne(taskLinks.sourceId, link.sourceId)),
            and(eq(taskLinks.sourceId, link.sourceId), ne(taskLinks.targetId, link.targetId)),
          ),
        ),
      );
    await db
      .insert(taskLinks)
      .values({ taskId, entity: link.entity, sourceId: link.sourceId, targetId: link.targetId })
      .onConflictDoNothing();
  }
}

/** Forgets the link of a deleted target entity. */
export async function deleteTaskLinkByTarget(db: Db, taskId: string, entity: Link['entity'], targetId: string): Promise<void> {
  await db.delete(taskLinks).where(and(eq(taskLinks.taskId, taskId), eq(taskLinks.entity, entity), eq(taskLinks.targetId, targetId)));
}
