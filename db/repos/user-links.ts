// A hub person's link in every app (the console's person view, GET /users/:id/links): per task, the
// remote id task_links holds, the last item about them (what the last write did, and its vendor
// error), when a write about them last reached the app, an open staged deletion, and the task's last
// run. Every downstream task is listed (a person not linked there shows as such); an upstream task
// only when it is the person's source. Dry runs apply nothing and are left out.
import { and, asc, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../client';
import { hubUsers, pendingDeletions, runItems, syncRuns, syncTasks, taskLinks } from '../schema';
import type { ItemStatus, RunStatus } from '../../engine/statuses';
import { NotFoundError } from './errors';

export type UserLinkStatus = 'linked' | 'not_linked' | 'failed' | 'pending_deletion';

export interface UserLinkView {
  taskId: string;
  taskName: string;
  direction: 'upstream' | 'downstream';
  connectorKind: string;
  enabled: boolean;
  /** the person's id in the app (downstream) or in the source (upstream); null when not linked */
  remoteId: string | null;
  linkedAt: Date | null;
  /** pending_deletion: a staged delete waits for an approver; failed: the last write about them failed */
  status: UserLinkStatus;
  /** when a write about the person last succeeded in this task */
  lastSyncedAt: Date | null;
  lastItem: { runId: string; action: string; status: ItemStatus; errorCode: string | null; errorMessage: string | null; finishedAt: Date | null } | null;
  lastRun: { id: string; trigger: 'manual' | 'schedule' | 'realtime'; status: RunStatus; startedAt: Date; finishedAt: Date | null } | null;
}

/** ids per statement: keeps IN lists well under Postgres' parameter limit */
const CHUNK = 1000;

async function chunked<T>(ids: readonly string[], query: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const rows: T[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) rows.push(...(await query(ids.slice(i, i + CHUNK))));
  return rows;
}

/** A page of the person's links (one row per task, so a hub with 1,000 tasks pages them); NotFoundError when the hub holds no such person. */
export async function listUserLinks(db: Db, userId: string, page: { limit: number; offset: number }): Promise<{ items: UserLinkView[]; total: number; limit: number; offset: number }> {
  const [person] = await db.select({ sourceTaskId: hubUsers.sourceTaskId }).from(hubUsers).where(eq(hubUsers.id, userId));
  if (!person) throw new NotFoundError('user', userId);
  const { sourceTaskId } = person;
  const tasks = await db
    .select({ id: syncTasks.id, name: syncTasks.name, direction: syncTasks.direction, connectorKind: syncTasks.connectorKind, enabled: syncTasks.enabled })
    .from(syncTasks)
    .where(isNull(syncTasks.deletedAt))
    .orderBy(asc(syncTasks.name), asc(syncTasks.id));
  const downIds = tasks.filter((t) => t.direction === 'downstream').map((t) => t.id);
  const upIds = tasks.filter((t) => t.direction === 'upstream').map((t) => t.id);
  // Downstream: hub id → app id (the primary key); upstream: source id → hub id (the target index).
  const downLinks = await chunked(downIds, (ids) =>
    db.select({ taskId: taskLinks.taskId, remoteId: taskLinks.targetId, createdAt: taskLinks.createdAt }).from(taskLinks).where(and(inArray(taskLinks.taskId, ids), eq(taskLinks.entity, 'user'), eq(taskLinks.sourceId, userId))),
  );
  const upLinks = await chunked(upIds, (ids) =>
    db.select({ taskId: taskLinks.taskId, remoteId: taskLinks.sourceId, createdAt: taskLinks.createdAt }).from(taskLinks).where(and(inArray(taskLinks.taskId, ids), eq(taskLinks.entity, 'user'), eq(taskLinks.targetId, userId))),
  );
  const links = new Map([...downLinks, ...upLinks].map((l) => [l.taskId, l]));
  const listed = tasks.filter((t) => t.direction === 'downstream' || links.has(t.id) || t.id === sourceTaskId);
  // Downstream first (the apps), then the sources; by name within each.
  listed.sort((a, b) => (a.direction === b.direction ? 0 : a.direction === 'downstream' ? -1 : 1));
  const total = listed.length;
  const shown = listed.slice(page.offset, page.offset + page.limit);
  const listedIds = shown.map((t) => t.id);
  if (listedIds.length === 0) return { items: [], total, limit: page.limit, offset: page.offset };

  // An item is about the person when its source id is theirs in that task: the hub id downstream, the source's id upstream.
  const sourceIdIn = new Map(shown.map((t) => [t.id, t.direction === 'downstream' ? userId : links.get(t.id)?.remoteId]));
  const sourceIds = [...new Set([...sourceIdIn.values()].filter((id): id is string => id !== undefined))];
  const itemColumns = {
    taskId: syncRuns.taskId,
    sourceId: runItems.sourceId,
    runId: runItems.runId,
    action: runItems.action,
    status: runItems.status,
    errorCode: runItems.errorCode,
    errorMessage: runItems.errorMessage,
    finishedAt: runItems.finishedAt,
  };
  const itemsOf = (onlySucceeded: boolean) =>
    chunked(sourceIds, (ids) =>
      db
        .selectDistinctOn([syncRuns.taskId, runItems.sourceId], itemColumns)
        .from(runItems)
        .innerJoin(syncRuns, eq(syncRuns.id, runItems.runId))
        .where(and(eq(runItems.entity, 'user'), inArray(runItems.sourceId, ids), inArray(syncRuns.taskId, listedIds), eq(syncRuns.dryRun, false), ...(onlySucceeded ? [eq(runItems.status, 'succeeded')] : [])))
        .orderBy(syncRuns.taskId, runItems.sourceId, desc(syncRuns.startedAt), desc(runItems.seq)),
    );
  const aboutThem = <T extends { taskId: string; sourceId: string | null }>(rows: T[]) => new Map(rows.filter((r) => sourceIdIn.get(r.taskId) === r.sourceId).map((r) => [r.taskId, r]));
  const lastItems = aboutThem(await itemsOf(false));
  const lastSucceeded = aboutThem(await itemsOf(true));

  const lastRuns = new Map(
    (
      await chunked(listedIds, (ids) =>
        db
          .selectDistinctOn([syncRuns.taskId], { taskId: syncRuns.taskId, id: syncRuns.id, trigger: syncRuns.trigger, status: syncRuns.status, startedAt: syncRuns.startedAt, finishedAt: syncRuns.finishedAt })
          .from(syncRuns)
          .where(and(inArray(syncRuns.taskId, ids), eq(syncRuns.dryRun, false)))
          .orderBy(syncRuns.taskId, desc(syncRuns.startedAt), desc(syncRuns.id)),
      )
    ).map((r) => [r.taskId, r]),
  );

  const staged = new Set(
    (
      await chunked(shown.filter((t) => t.direction === 'downstream').map((t) => t.id), (ids) =>
        db
          .select({ taskId: pendingDeletions.taskId, sourceId: pendingDeletions.sourceId, targetId: pendingDeletions.targetId })
          .from(pendingDeletions)
          .where(and(inArray(pendingDeletions.taskId, ids), eq(pendingDeletions.entity, 'user'), eq(pendingDeletions.status, 'PENDING'))),
      )
    )
      .filter((p) => p.sourceId === userId || (links.has(p.taskId) && links.get(p.taskId)?.remoteId === p.targetId))
      .map((p) => p.taskId),
  );

  const items = shown.map((task): UserLinkView => {
    const link = links.get(task.id);
    const item = lastItems.get(task.id);
    const run = lastRuns.get(task.id);
    const status: UserLinkStatus = staged.has(task.id) ? 'pending_deletion' : item?.status === 'failed' ? 'failed' : link ? 'linked' : 'not_linked';
    return {
      taskId: task.id,
      taskName: task.name,
      direction: task.direction,
      connectorKind: task.connectorKind,
      enabled: task.enabled,
      remoteId: link?.remoteId ?? null,
      linkedAt: link?.createdAt ?? null,
      status,
      lastSyncedAt: lastSucceeded.get(task.id)?.finishedAt ?? null,
      lastItem: item ? { runId: item.runId, action: item.action, status: item.status, errorCode: item.errorCode, errorMessage: item.errorMessage, finishedAt: item.finishedAt } : null,
      lastRun: run ? { id: run.id, trigger: run.trigger, status: run.status, startedAt: run.startedAt, finishedAt: run.finishedAt } : null,
    };
  });
  return { items, total, limit: page.limit, offset: page.offset };
}
