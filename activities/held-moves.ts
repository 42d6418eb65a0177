// Held moves: a `ChangeUserDepartment` the mass-offboarding guard staged (people sent to the top
// level because their departments vanished, or leavers taken out of departments staged for
// deletion). Executing one re-checks fresh source state, then sends the planned move the way the
// apply step would (the run item's PlanAction, resolved through the task's links to the target's ids).
import type { TaskEndpoints } from '../connectors/registry';
import type { ConnectorOperation } from '../connectors/types';
import type { PendingDeletionRow } from '../db/repos/pending-deletions';
import { createHubDirectory } from '../db/repos/hub-directory';
import { getRunItem } from '../db/repos/sync-runs';
import { listTaskLinksByTarget, listTaskLinksFor } from '../db/repos/task-links';
import type { Department } from '../engine/model';
import type { PlanAction } from '../engine/plan-types';
import { resolveAction } from '../engine/resolve';
import { applyScope, isScoped } from '../engine/scope';
import type { ActivityDeps } from './deps';
import type { TaskRecord } from './task';

export const HELD_MOVE = 'ChangeUserDepartment';

/**
 * Why fresh source state no longer wants the move, or undefined. An active person's move (their
 * departments vanished) is wanted while they are still in no department (of the task's scope, when
 * scoped). A leaver's move (out of departments staged for deletion) is wanted while those departments
 * are still gone from the source (or out of scope), whatever the person's status there.
 */
export async function staleMove(deps: ActivityDeps, endpoints: TaskEndpoints, task: TaskRecord, row: PendingDeletionRow): Promise<string | undefined> {
  if (row.sourceId === null) return undefined;
  const read = await endpoints.source.readByIds({ departmentIds: [], userIds: [row.sourceId] });
  const user = read.users.find((u) => u.id === row.sourceId);
  const scoped = task.direction === 'downstream' && isScoped(task.config.scope);
  const hubDepartments = scoped ? await createHubDirectory(deps.database.db).listAllDepartments() : null;
  if (!user || user.status !== 'active') return staleLeaverMove(deps, endpoints, task, row, hubDepartments);
  let departmentIds = user.departmentIds;
  if (hubDepartments) departmentIds = applyScope({ departments: hubDepartments, users: [user] }, task.config.scope, new Set([user.id])).users[0]?.departmentIds ?? [];
  return departmentIds.length > 0 ? 'the person is in a department in the source again' : undefined;
}

/** A leaver's move is stale once a department it takes them out of exists (in scope) in the source again. */
async function staleLeaverMove(deps: ActivityDeps, endpoints: TaskEndpoints, task: TaskRecord, row: PendingDeletionRow, hubDepartments: Department[] | null): Promise<string | undefined> {
  const { before, after } = await movePayload(deps, row);
  const kept = new Set(after.departmentIds ?? []);
  const links = await listTaskLinksByTarget(deps.database.db, task.id, 'department', before.departmentIds ?? []);
  // Source ids of the departments the move leaves; one without a link has no source to come back from.
  const left = links.map((link) => link.sourceId).filter((id) => !kept.has(id));
  if (left.length === 0) return undefined;
  const read = await endpoints.source.readByIds({ departmentIds: left, userIds: [] });
  let back = read.departments;
  if (hubDepartments) {
    const inScope = new Set(applyScope({ departments: hubDepartments, users: [] }, task.config.scope, new Set()).departments.map((d) => d.id));
    back = back.filter((d) => inScope.has(d.id));
  }
  return back.length > 0 ? 'a department the move leaves exists in the source again' : undefined;
}

type MoveFields = { departmentIds?: string[]; mainDepartmentId?: string | null };

async function movePayload(deps: ActivityDeps, row: PendingDeletionRow): Promise<{ before: MoveFields; after: MoveFields }> {
  const item = await getRunItem(deps.database.db, row.runItemId);
  const payload = item?.payload as unknown as PlanAction | undefined;
  return { before: (payload?.before ?? {}) as MoveFields, after: (payload?.after ?? {}) as MoveFields };
}

/** The target operation of the held move, or why it cannot be resolved (a department without a link). */
export async function resolveHeldMove(deps: ActivityDeps, endpoints: TaskEndpoints, task: TaskRecord, row: PendingDeletionRow): Promise<ConnectorOperation | { unresolved: string }> {
  const item = await getRunItem(deps.database.db, row.runItemId);
  if (!item) return { unresolved: `run item ${row.runItemId} of the held move is gone` };
  const payload = item.payload as unknown as PlanAction;
  const after = (payload.after ?? {}) as MoveFields;
  const departments = [...(after.departmentIds ?? []), ...(after.mainDepartmentId ? [after.mainDepartmentId] : [])];
  const links = await listTaskLinksFor(deps.database.db, task.id, { department: departments, user: [] });
  const byDepartment = new Map(links.map((link) => [link.sourceId, link.targetId]));
  // The row's target id is the account the approver saw, whatever the payload says.
  return resolveAction({ ...payload, targetId: row.targetId }, (entity, sourceId) => (entity === 'department' ? byDepartment.get(sourceId) : undefined), endpoints.targetRootId);
}
