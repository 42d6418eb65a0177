// Which entities a planned action writes and which it only reads, as keys such as `user:h1`.
// The apply step runs items concurrently only when these sets say they cannot affect each other.
// Values the target keeps unique (email, mobile, username, a department's name) count as written
// too, old and new: an email handed from one person to another must leave before it arrives.
import type { EntityKind } from '../engine/model';
import type { PlanAction } from '../engine/plan-types';

export interface TouchedEntities {
  /** the entity the action changes, by source id (or by target id when it has none), then the unique values it frees or takes */
  writes: string[];
  /** entities whose target id the action needs (parent, departments, manager, leaders), by source id */
  reads: string[];
}

export const entityKey = (entity: EntityKind, sourceId: string): string => `${entity}:${sourceId}`;

const uniqueUserFields = ['username', 'email', 'mobile'] as const;

/** Mirrors the lookups of engine/resolve.ts: every source id it may resolve is in `writes` or `reads`. */
export function touchedEntities(action: PlanAction): TouchedEntities {
  const self = action.sourceId !== null ? entityKey(action.entity, action.sourceId) : `${action.entity}@${action.targetId ?? action.key}`;
  const writes = [self];
  const reads: string[] = [];
  const after = action.after ?? {};
  const before = action.before ?? {};
  if (action.entity === 'department') {
    const { parentId, leaderIds } = after as { parentId?: string | null; leaderIds?: string[] };
    if (parentId) reads.push(entityKey('department', parentId));
    for (const id of leaderIds ?? []) reads.push(entityKey('user', id));
    for (const name of [(after as { name?: string }).name, (before as { name?: string }).name]) if (name) writes.push(`department-name=${name.trim().toLowerCase()}`);
  } else {
    const { departmentIds, mainDepartmentId, managerId } = after as { departmentIds?: string[]; mainDepartmentId?: string | null; managerId?: string | null };
    for (const id of departmentIds ?? []) reads.push(entityKey('department', id));
    if (mainDepartmentId) reads.push(entityKey('department', mainDepartmentId));
    if (managerId) reads.push(entityKey('user', managerId));
    for (const field of uniqueUserFields) {
      for (const value of [(after as Record<string, unknown>)[field], (before as Record<string, unknown>)[field]]) {
        if (typeof value === 'string' && value.trim() !== '') writes.push(`user-${field}=${value.trim().toLowerCase()}`);
      }
    }
  }
  return { writes, reads };
}

/** Source ids per entity kind the given actions may look up through links (their own and their references). */
export function sourceIdsToResolve(actions: readonly PlanAction[]): Record<EntityKind, Set<string>> {
  const ids: Record<EntityKind, Set<string>> = { department: new Set(), user: new Set() };
  for (const action of actions) {
    const { writes, reads } = touchedEntities(action);
    for (const key of action.sourceId !== null ? [writes[0], ...reads] : reads) {
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
    if (writes.some((key) => this.writing.has(key) || this.reading.has(key))) return false;
    return reads.every((key) => !this.writing.has(key));
  }

  take({ writes, reads }: TouchedEntities): void {
    for (const key of writes) this.writing.add(key);
    for (const key of reads) this.reading.set(key, (this.reading.get(key) ?? 0) + 1);
  }

  release({ writes, reads }: TouchedEntities): void {
    for (const key of writes) this.writing.delete(key);
    for (const key of reads) {
      const left = (this.reading.get(key) ?? 1) - 1;
      if (left === 0) this.reading.delete(key);
      else this.reading.set(key, left);
    }
  }
}
