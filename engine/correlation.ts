// Correlation: which target entity each source entity already is. Links first, then the task's
// match rules (users) or (matched parent, name) (departments). Ambiguity fails the item.
import type { Department, DirectorySnapshot, User } from './model';
import type { Link, MatchKey, PlanFailure } from './plan-types';

export interface CorrelationInput {
  /** the source in scope, already mapped */
  source: DirectorySnapshot;
  target: DirectorySnapshot;
  links: readonly Link[];
  matchRules: readonly MatchKey[];
  targetRootId: string | null;
}

export interface Correlation {
  /** source id → target id, for every source entity that exists in the target */
  departments: Map<string, string>;
  users: Map<string, string>;
  /** matches adopted by rules (or by parent and name) in this run */
  newLinks: Link[];
  failed: PlanFailure[];
  /** source ids whose item failed; nothing is planned for them */
  failedDepartments: Set<string>;
  failedUsers: Set<string>;
  /** target ids that were candidates of an ambiguous match: never offboarded by this plan */
  protectedDepartments: Set<string>;
  protectedUsers: Set<string>;
}

export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase();
}

/** Digits only, without an international prefix for China (+86 / 0086), the common case here. */
export function normalizeMobile(value: string): string {
  let digits = value.replace(/[^\d]/g, '');
  if (digits.startsWith('00')) digits = digits.slice(2);
  if (digits.startsWith('86') && digits.length === 13) digits = digits.slice(2);
  return digits;
}

/** The comparable form of a user's match key, or null when the user has no usable value. */
export function matchValue(user: User, key: MatchKey): string | null {
  const raw = user[key];
  if (raw === null || raw.trim() === '') return null;
  switch (key) {
    case 'email':
    case 'username':
      return normalizeEmail(raw);
    case 'mobile':
      return normalizeMobile(raw) || null;
    case 'employeeNumber':
      return raw.trim();
  }
}

/** Departments ordered parents first; a department whose parent is missing counts as top level. */
export function departmentsTopDown(departments: readonly Department[]): Department[] {
  const byId = new Map(departments.map((d) => [d.id, d]));
  const children = new Map<string | null, Department[]>();
  for (const d of departments) {
    const parent = d.parentId !== null && byId.has(d.parentId) && d.parentId !== d.id ? d.parentId : null;
    const list = children.get(parent);
    if (list) list.push(d);
    else children.set(parent, [d]);
  }
  const ordered: Department[] = [];
  const queue = [...(children.get(null) ?? [])];
  for (let i = 0; i < queue.length; i++) {
    ordered.push(queue[i]);
    for (const child of children.get(queue[i].id) ?? []) queue.push(child);
  }
  return ordered;
}

function liveLinks(links: readonly Link[], entity: Link['entity'], targetIds: ReadonlySet<string>): Map<string, string> {
  const map = new Map<string, string>();
  for (const link of links) {
    if (link.entity === entity && targetIds.has(link.targetId)) map.set(link.sourceId, link.targetId);
  }
  return map;
}

export function correlate(input: CorrelationInput): Correlation {
  const result: Correlation = {
    departments: new Map(),
    users: new Map(),
    newLinks: [],
    failed: [],
    failedDepartments: new Set(),
    failedUsers: new Set(),
    protectedDepartments: new Set(),
    protectedUsers: new Set(),
  };
  correlateDepartments(input, result);
  correlateUsers(input, result);
  return result;
}

function correlateDepartments(input: CorrelationInput, result: Correlation): void {
  const sourceIds = new Set(input.source.departments.map((d) => d.id));
  const targetIds = new Set(input.target.departments.map((d) => d.id));
  const linked = liveLinks(input.links, 'department', targetIds);
  // A target linked to a source entity still in scope is taken; others may be adopted again.
  const taken = new Set<string>();
  for (const [sourceId, targetId] of linked) if (sourceIds.has(sourceId)) taken.add(targetId);
  const parentKey = (parentId: string | null): string =>
    parentId === null || parentId === input.targetRootId ? '' : parentId;
  const byParentAndName = new Map<string, string[]>();
  for (const d of input.target.departments) {
    if (taken.has(d.id) || d.id === input.targetRootId) continue;
    const key = `${parentKey(d.parentId)}\u0000${d.name}`;
    const list = byParentAndName.get(key);
    if (list) list.push(d.id);
    else byParentAndName.set(key, [d.id]);
  }
  const ordered = departmentsTopDown(input.source.departments);
  if (ordered.length < input.source.departments.length) {
    // Departments never reached from the top sit in a parent cycle: bad source data, held as is.
    const reached = new Set(ordered.map((d) => d.id));
    for (const d of input.source.departments) {
      if (reached.has(d.id)) continue;
      failDepartment(result, d.id, 'its parent chain forms a cycle in the source');
      const targetId = linked.get(d.id);
      if (targetId !== undefined) result.protectedDepartments.add(targetId);
    }
  }
  for (const d of ordered) {
    const linkedTarget = linked.get(d.id);
    if (linkedTarget !== undefined) {
      result.departments.set(d.id, linkedTarget);
      continue;
    }
    const parentId = d.parentId !== null && sourceIds.has(d.parentId) ? d.parentId : null;
    if (parentId !== null && result.failedDepartments.has(parentId)) {
      failDepartment(result, d.id, `parent department ${parentId} failed`);
      continue;
    }
    const targetParent = parentId === null ? '' : result.departments.get(parentId);
    if (targetParent === undefined) continue; // the parent is created in this run, so this one is too
    const candidates = (byParentAndName.get(`${targetParent}\u0000${d.name}`) ?? []).filter((id) => !taken.has(id));
    if (candidates.length === 1) {
      taken.add(candidates[0]);
      result.departments.set(d.id, candidates[0]);
      result.newLinks.push({ entity: 'department', sourceId: d.id, targetId: candidates[0] });
    } else if (candidates.length > 1) {
      failDepartment(result, d.id, `ambiguous match: ${candidates.length} target departments named "${d.name}" under the same parent`, candidates);
      for (const id of candidates) result.protectedDepartments.add(id);
    }
  }
}

function failDepartment(result: Correlation, sourceId: string, reason: string, candidates?: string[]): void {
  result.failedDepartments.add(sourceId);
  result.failed.push({ key: `department:${sourceId}:Match`, entity: 'department', sourceId, targetId: null, reason, ...(candidates ? { candidates } : {}) });
}

function correlateUsers(input: CorrelationInput, result: Correlation): void {
  const sourceIds = new Set(input.source.users.map((u) => u.id));
  const targetIds = new Set(input.target.users.map((u) => u.id));
  const linked = liveLinks(input.links, 'user', targetIds);
  const taken = new Set<string>();
  for (const [sourceId, targetId] of linked) if (sourceIds.has(sourceId)) taken.add(targetId);
  const indexes = new Map<MatchKey, Map<string, string[]>>();
  for (const key of input.matchRules) {
    const index = new Map<string, string[]>();
    for (const u of input.target.users) {
      if (taken.has(u.id)) continue;
      const value = matchValue(u, key);
      if (value === null) continue;
      const list = index.get(value);
      if (list) list.push(u.id);
      else index.set(value, [u.id]);
    }
    indexes.set(key, index);
  }
  // Links first for everyone, so a rule match never steals a target linked to a later user.
  const unlinked: User[] = [];
  for (const u of input.source.users) {
    const targetId = linked.get(u.id);
    if (targetId !== undefined) result.users.set(u.id, targetId);
    else unlinked.push(u);
  }
  for (const u of unlinked) {
    for (const key of input.matchRules) {
      const value = matchValue(u, key);
      if (value === null) continue;
      const candidates = (indexes.get(key)?.get(value) ?? []).filter((id) => !taken.has(id));
      if (candidates.length === 1) {
        taken.add(candidates[0]);
        result.users.set(u.id, candidates[0]);
        result.newLinks.push({ entity: 'user', sourceId: u.id, targetId: candidates[0] });
        break;
      }
      if (candidates.length > 1) {
        result.failedUsers.add(u.id);
        result.failed.push({
          key: `user:${u.id}:Match`,
          entity: 'user',
          sourceId: u.id,
          targetId: null,
          reason: `ambiguous match: ${candidates.length} target users have the same ${key}`,
          candidates,
        });
        for (const id of candidates) result.protectedUsers.add(id);
        break;
      }
    }
  }
}
