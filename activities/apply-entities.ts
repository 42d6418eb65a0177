// Which entities a planned action writes and which it only reads, as keys such as `user:h1`.
// The apply step runs items concurrently only when these sets say they cannot affect each other.
import type { EntityKind } from '../engine/model';
import type { PlanAction } from '../engine/plan-types';

export interface TouchedEntities {
  /** the entity the action changes, by source id (or by target id when it has none) */
  writes: string;
  /** entities whose target id the action needs (parent, departments, manager, leaders), by source id */
  reads: string[];
}

export const entityKey = (entity: EntityKind, sourceId: string): string => `${entity}:${sourceId}`;

/** Mirrors the lookups of engine/resolve.ts: every source id it may resolve is in `writes` or `reads`. */
export function touchedEntities(action: PlanAction): TouchedEntities {
  const writes = action.sourceId !== null ? entityKey(action.entity, action.sourceId) : `${action.entity}@${action.targetId ?? action.key}`;
  const reads: string[] = [];
  const after = action.after ?? {};
  if (action.entity === 'department') {
    const { parentId, leaderIds } = after as { parentId?: string | null; leaderIds?: string[] };
    if (parentId) reads.push(entityKey('department', parentId));
    for (const id of leaderIds ?? []) reads.push(entityKey('user', id));
  } else {
    const { departmentIds, mainDepartmentId, managerId } = after as { departmentIds?: string[]; mainDepartmentId?: string | null; managerId?: string | null };
    for (const id of departmentIds ?? []) reads.push(entityKey('department', id));
    if (mainDepartmentId) reads.push(entityKey('department', mainDepartmentId));
    if (managerId) reads.push(entityKey('user', managerId));
  }
  return { writes, reads };
}

/** Source ids per entity kind the given actions may look up through links (their own and their references). */
export function sourceIdsToResolve(actions: readonly PlanAction[]): Record<EntityKind, Set<string>> {
  const ids: Record<EntityKind, Set<string>> = { department: new Set(), user: new Set() };
  for (const action of actions) {
    const { writes, reads } = touchedEntities(action);
    for (const key of action.sourceId !== null ? [writes, ...reads] : reads) {
      const colon = key.indexOf(':');
      ids[key.slice(0, colon) as EntityKind].add(key.slice(colon + 1));
    }
  }
  return ids;
}

/**
 * In-flight bookkeeping: an item may start when nothing in flight writes what it reads or writes,
 * and nothing in flight reads what it writes (a rename must not overtake an earlier reader).
 */
export class EntityLocks {
  private readonly writing = new Set<string>();
  private readonly reading = new Map<string, number>();

  canStart({ writes, reads }: TouchedEntities): boolean {
    if (this.writing.has(writes) || this.reading.has(writes)) return false;
    return reads.every((key) => !this.writing.has(key));
  }

  take({ writes, reads }: TouchedEntities): void {
    this.writing.add(writes);
    for (const key of reads) this.reading.set(key, (this.reading.get(key) ?? 0) + 1);
  }

  release({ writes, reads }: TouchedEntities): void {
    this.writing.delete(writes);
    for (const key of reads) {
      const left = (this.reading.get(key) ?? 1) - 1;
      if (left === 0) this.reading.delete(key);
      else this.reading.set(key, left);
    }
  }
}
