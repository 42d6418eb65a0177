// planSync: the ordered list of actions that makes the target equal the (mapped, scoped) source.
// Pure and linear in the size of both directories.
import { correlate } from './correlation';
import { createContext } from './plan-context';
import { planDepartmentLeaders, planDepartments } from './plan-departments';
import { planOffboarding } from './plan-offboarding';
import { plannableUsers, planManagers, planUsers } from './plan-users';
import type { EntityKind } from './model';
import type { ActionKind, Plan, PlanInput } from './plan-types';
import { applyScope } from './scope';

export { resolveAction } from './resolve';

/**
 * Order: departments top-down → users (updates and moves, then creates managers first) → the
 * manager pass → department leaders → disables → staged deletes (users, then departments
 * bottom-up). Throws only for a target that cannot be written at all.
 */
export function planSync(input: PlanInput): Plan {
  if (!input.capabilities.write) throw new Error('the target connector cannot write; nothing can be planned for it');
  const linkedUsers = new Set(input.links.filter((l) => l.entity === 'user').map((l) => l.sourceId));
  const source = applyScope(input.source, input.scope, linkedUsers);
  const correlation = correlate({
    source,
    target: input.target,
    links: input.links,
    matchRules: input.matchRules,
    targetRootId: input.targetRootId ?? null,
  });
  const ctx = createContext(input, source, correlation);
  for (const failure of input.sourceFailures ?? []) {
    ctx.failed.push({
      key: `user:${failure.sourceId}:Mapping`,
      entity: 'user',
      sourceId: failure.sourceId,
      targetId: ctx.liveLinks.user.get(failure.sourceId) ?? null,
      reason: `field mapping failed: ${failure.reason}`,
    });
  }
  planDepartments(ctx);
  const users = plannableUsers(ctx);
  planUsers(ctx, users);
  planManagers(ctx, users);
  planDepartmentLeaders(ctx);
  planOffboarding(ctx, users);
  return { actions: ctx.actions, failed: ctx.failed, deferred: ctx.deferred, newLinks: correlation.newLinks, targetRootId: ctx.root };
}

export interface PlanSummary {
  /** action count per kind, e.g. { CreateUser: 3 } */
  byAction: Partial<Record<ActionKind, number>>;
  byEntity: Record<EntityKind, number>;
  staged: number;
  failed: number;
  deferred: number;
  newLinks: number;
  total: number;
}

export function summarizePlan(plan: Plan): PlanSummary {
  const summary: PlanSummary = {
    byAction: {},
    byEntity: { department: 0, user: 0 },
    staged: 0,
    failed: plan.failed.length,
    deferred: plan.deferred.length,
    newLinks: plan.newLinks.length,
    total: plan.actions.length,
  };
  for (const action of plan.actions) {
    summary.byAction[action.kind] = (summary.byAction[action.kind] ?? 0) + 1;
    summary.byEntity[action.entity] += 1;
    if (action.staged) summary.staged += 1;
  }
  return summary;
}
