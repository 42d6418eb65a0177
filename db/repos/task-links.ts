// Write side of task_links: the stored (source id ↔ target id) pairs per task, so a retried or
// repeated run never creates a second account. Read by plans (listTaskLinks) and by the apply step.
import { and, eq, inArray, ne } from 'drizzle-orm';
import type { EntityKind } from '../../engine/model';
import type { Link } from '../../engine/plan-types';
import type { Db } from '../client';
import { taskLinks } from '../schema';

export async function listTaskLinks(db: Db, taskId: string): Promise<Link[]> {
  return db
    .select({ entity: taskLinks.entity, sourceId: taskLinks.sourceId, targetId: taskLinks.targetId })
    .from(taskLinks)
    .where(eq(taskLinks.taskId, taskId));
}

/** rows per statement: keeps parameter lists well under Postgres' 65,535 */
const LINK_CHUNK = 1000;

/** The task's links of the given source ids only: what one apply batch can look up. */
export async function listTaskLinksFor(db: Db, taskId: string, sourceIds: Record<EntityKind, ReadonlySet<string> | readonly string[]>): Promise<Link[]> {
  const links: Link[] = [];
  for (const entity of ['department', 'user'] as const) {
    const ids = [...sourceIds[entity]];
    for (let i = 0; i < ids.length; i += LINK_CHUNK) {
      links.push(
        ...(await db
          .select({ entity: taskLinks.entity, sourceId: taskLinks.sourceId, targetId: taskLinks.targetId })
          .from(taskLinks)
          .where(and(eq(taskLinks.taskId, taskId), eq(taskLinks.entity, entity), inArray(taskLinks.sourceId, ids.slice(i, i + LINK_CHUNK))))),
      );
    }
  }
  return links;
}

/** The task's links of the given target ids of one entity: the reverse lookup of listTaskLinksFor. */
export async function listTaskLinksByTarget(db: Db, taskId: string, entity: EntityKind, targetIds: readonly string[]): Promise<Link[]> {
  const links: Link[] = [];
  for (let i = 0; i < targetIds.length; i += LINK_CHUNK) {
    links.push(
      ...(await db
        .select({ entity: taskLinks.entity, sourceId: taskLinks.sourceId, targetId: taskLinks.targetId })
        .from(taskLinks)
        .where(and(eq(taskLinks.taskId, taskId), eq(taskLinks.entity, entity), inArray(taskLinks.targetId, targetIds.slice(i, i + LINK_CHUNK))))),
    );
  }
  return links;
}

/** Two links of one call that displace each other must be written one after the other, in order. */
function displaceEachOther(links: readonly Link[]): boolean {
  const sources = new Map<string, string>();
  const targets = new Map<string, string>();
  for (const { entity, sourceId, targetId } of links) {
    const bySource = sources.get(`${entity}:${sourceId}`);
    const byTarget = targets.get(`${entity}:${targetId}`);
    if ((bySource !== undefined && bySource !== targetId) || (byTarget !== undefined && byTarget !== sourceId)) return true;
    sources.set(`${entity}:${sourceId}`, targetId);
    targets.set(`${entity}:${targetId}`, sourceId);
  }
  return false;
}

/**
 * Records links, replacing older ones of the same source or the same target (a target adopted again
 * or a source re-created). Pass a transaction to make it atomic with the write it belongs to.
 * New pairs go in with one insert per chunk; only a pair that hits an existing one is replaced row by row.
 */
export async function upsertTaskLinks(db: Db, taskId: string, links: readonly Link[]): Promise<void> {
  if (links.length === 0) return;
  if (displaceEachOther(links)) {
    for (const link of links) await replaceLink(db, taskId, link);
    return;
  }
  for (let i = 0; i < links.length; i += LINK_CHUNK) {
    const chunk = links.slice(i, i + LINK_CHUNK);
    // A pair that conflicts with nothing (no row of its source, none of its target) displaces nothing.
    const inserted = await db
      .insert(taskLinks)
      .values(chunk.map((link) => ({ taskId, entity: link.entity, sourceId: link.sourceId, targetId: link.targetId })))
      .onConflictDoNothing()
      .returning({ entity: taskLinks.entity, sourceId: taskLinks.sourceId });
    const done = new Set(inserted.map((row) => `${row.entity}:${row.sourceId}`));
    for (const link of chunk) if (!done.has(`${link.entity}:${link.sourceId}`)) await replaceLink(db, taskId, link);
  }
}

/**
 * One pair, replacing what it displaces. Two deletes with every key column given, because one
 * with an OR lets the planner scan all the task's links when the table has no statistics (PGlite).
 */
async function replaceLink(db: Db, taskId: string, link: Link): Promise<void> {
  const sameKind = and(eq(taskLinks.taskId, taskId), eq(taskLinks.entity, link.entity));
  // A target is linked to one source at most: a stale pair pointing at it from elsewhere goes.
  await db.delete(taskLinks).where(and(sameKind, eq(taskLinks.targetId, link.targetId), ne(taskLinks.sourceId, link.sourceId)));
  await db.delete(taskLinks).where(and(sameKind, eq(taskLinks.sourceId, link.sourceId), ne(taskLinks.targetId, link.targetId)));
  await db.insert(taskLinks).values({ taskId, entity: link.entity, sourceId: link.sourceId, targetId: link.targetId }).onConflictDoNothing();
}

/** Forgets the link of a deleted target entity. */
export async function deleteTaskLinkByTarget(db: Db, taskId: string, entity: Link['entity'], targetId: string): Promise<void> {
  await db.delete(taskLinks).where(and(eq(taskLinks.taskId, taskId), eq(taskLinks.entity, entity), eq(taskLinks.targetId, targetId)));
}
