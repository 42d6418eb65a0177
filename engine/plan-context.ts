// What every planning step shares: the correlated snapshots, id translation and the output lists.
import type { ConnectorCapabilities } from './connector';
import type { Correlation } from './correlation';
import type { Department, DirectorySnapshot, EntityKind, User } from './model';
import type { DeferredReference, Link, PlanAction, PlanFailure, PlanInput } from './plan-types';

export interface PlanContext {
  input: PlanInput;
  root: string | null;
  capabilities: ConnectorCapabilities;
  /** the source in scope */
  source: DirectorySnapshot;
  sourceDepartments: Map<string, Department>;
  sourceUsers: Map<string, User>;
  targetDepartments: Map<string, Department>;
  targetUsers: Map<string, User>;
  correlation: Correlation;
  /** links whose target still exists, for references to entities outside the scope */
  liveLinks: { department: Map<string, string>; user: Map<string, string> };
  /** source ids created by this plan */
  created: { department: Set<string>; user: Set<string> };
  actions: PlanAction[];
  failed: PlanFailure[];
  deferred: DeferredReference[];
}

export function createContext(input: PlanInput, source: DirectorySnapshot, correlation: Correlation): PlanContext {
  const targetDepartments = new Map(input.target.departments.map((d) => [d.id, d]));
  const targetUsers = new Map(input.target.users.map((u) => [u.id, u]));
  const live = (entity: EntityKind, targets: Map<string, unknown>): Map<string, string> => {
    const map = new Map<string, string>();
    for (const link of input.links as Link[]) {
      if (link.entity === entity && targets.has(link.targetId)) map.set(link.sourceId, link.targetId);
    }
    return map;
  };
  return {
    input,
    root: input.targetRootId ?? null,
    capabilities: input.capabilities,
    source,
    sourceDepartments: new Map(source.departments.map((d) => [d.id, d])),
    sourceUsers: new Map(source.users.map((u) => [u.id, u])),
    targetDepartments,
    targetUsers,
    correlation,
    liveLinks: { department: live('department', targetDepartments), user: live('user', targetUsers) },
    created: { department: new Set(), user: new Set() },
    actions: [],
    failed: [...correlation.failed],
    deferred: [],
  };
}

/** The target id of a source entity that exists in the target now (in scope or linked earlier). */
export function existingTarget(ctx: PlanContext, entity: EntityKind, sourceId: string): string | undefined {
  const correlated = entity === 'user' ? ctx.correlation.users : ctx.correlation.departments;
  return correlated.get(sourceId) ?? ctx.liveLinks[entity].get(sourceId);
}

/** A wished reference in target terms: an existing target id, 'created' (by this plan) or 'missing'. */
export function resolveReference(ctx: PlanContext, entity: EntityKind, sourceId: string): string | 'created' | 'missing' {
  const targetId = existingTarget(ctx, entity, sourceId);
  if (targetId !== undefined) return targetId;
  return ctx.created[entity].has(sourceId) ? 'created' : 'missing';
}

/** A target parent or department id as the source sees it: the target root reads as top level. */
export function withoutRoot(ctx: PlanContext, targetId: string | null): string | null {
  return targetId === ctx.root ? null : targetId;
}

export function actionKey(entity: EntityKind, sourceId: string | null, targetId: string | null, kind: string): string {
  return `${entity}:${sourceId ?? `target:${targetId}`}:${kind}`;
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  if (a.length <= 1) return a.length === 0 || a[0] === b[0];
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((x) => set.has(x));
}

/** Attribute values compare by JSON form; only keys the source sets are managed. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
