// Held moves: a `ChangeUserDepartment` the mass-offboarding guard staged (people sent to the top
// level because their departments vanished). Executing one re-checks the person in the source, then
// sends the planned move the way the apply step would (the run item's PlanAction, resolved through
// the task's links to the target's ids).
import type { TaskEndpoints } from '../connectors/registry';
import type { ConnectorOperation } from '../connectors/types';
import type { PendingDeletionRow } from '../db/repos/pending-deletions';
import { createHubDirectory } from '../db/repos/hub-directory';
import { getRunItem } from '../db/repos/sync-runs';
import { listTaskLinksFor } from '../db/repos/task-links';
import type { PlanAction } from '../engine/plan-types';
import { resolveAction } from '../engine/resolve';
import { applyScope, isScoped } from '../engine/scope';
import type { ActivityDeps } from './deps';
import type { TaskRecord } from './task';

export const HELD_MOVE = 'ChangeUserDepartment';

/**
 * Why fresh source state no longer wants the move, or undefined: it is wanted only while the person
 * is still active in the source and still in no department (of the task's scope, when scoped).
 */
export async function staleMove(deps: ActivityDeps, endpoints: TaskEndpoints, task: TaskRecord, row: PendingDeletionRow): Promise<string | undefined> {
  if (row.sourceId === null) return undefined;
  const read = await endpoints.source.readByIds({ departmentIds: [], userIds: [row.sourceId] });
  const user = read.users.find((u) => u.id === row.sourceId);
  if (!user || user.status !== 'active') return 'the person is no longer active in the source';
  let departmentIds = user.departmentIds;
  if (task.direction === 'downstream' && isScoped(task.config.scope)) {
    const departments = await createHubDirectory(deps.database.db).listAllDepartments();
    departmentIds = applyScope({ departments, users: [user] }, task.config.scope, new Set([user.id])).users[0]?.departmentIds ?? [];
  }
  return departmentIds.length > 0 ? 'the person is in a department in the source again' : undefined;
}

/** The target operation of the held move, or why it cannot be resolved (a department without a link). */
export async function resolveHeldMove(deps: ActivityDeps, endpoints: TaskEndpoints, task: TaskRecord, row: PendingDeletionRow): Promise<ConnectorOperation | { unresolved: string }> {
  const item = await getRunItem(deps.database.db, row.runItemId);
  if (!item) return { unresolved: `run item ${row.runItemId} of the held move is gone` };
  const payload = item.payload as unknown as PlanAction;
  const after = (payload.after ?? {}) as { departmentIds?: string[]; mainDepartmentId?: string | null };
  const departments = [...(after.departmentIds ?? []), ...(after.mainDepartmentId ? [after.mainDepartmentId] : [])];
  const links = await listTaskLinksFor(deps.database.db, task.id, { department: departments, user: [] });
  const byDepartment = new Map(links.map((link) => [link.sourceId, link.targetId]));
  // The row's target id is the account the approver saw, whatever the payload says.
  return resolveAction({ ...payload, targetId: row.targetId }, (entity, sourceId) => (entity === 'department' ? byDepartment.get(sourceId) : undefined), endpoints.targetRootId);
}
