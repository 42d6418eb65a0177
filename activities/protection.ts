// Deletion protection and the mass-offboarding guard: which planned actions wait for an approver.
// Pure, so the rules are tested without a database.
import type { PlanAction } from '../engine/plan-types';
import type { PublicTaskConfig } from '../engine/task-config';

export interface HoldDecision {
  /** index in plan.actions → why it is held */
  held: Map<number, string>;
  stagedDeletes: number;
  heldDisables: number;
}

const isDelete = (a: PlanAction) => a.kind === 'DeleteUser' || a.kind === 'DeleteDepartment';
const percent = (part: number, whole: number) => (whole === 0 ? 100 : (part / whole) * 100);
const formatPercent = (value: number) => `${Math.round(value * 10) / 10}%`;

export function decideHolds(
  actions: readonly PlanAction[],
  config: Pick<PublicTaskConfig, 'deletionProtection' | 'massOffboardingGuard'>,
  target: { departments: number; users: number },
): HoldDecision {
  const held = new Map<number, string>();
  const protection = config.deletionProtection ?? { mode: 'always' as const };
  const deletes = actions.flatMap((a, i) => (isDelete(a) ? [i] : []));
  let stageDeletes = true;
  let why = 'deletion protection: every delete waits for approval';
  if (protection.mode === 'threshold') {
    const total = target.departments + target.users;
    const share = percent(deletes.length, total);
    const byCount = protection.minCount !== undefined && deletes.length >= protection.minCount;
    const byPercent = protection.minPercent !== undefined && share >= protection.minPercent;
    stageDeletes = byCount || byPercent;
    why = `deletion protection: ${deletes.length} deletes (${formatPercent(share)} of ${total} target entities) reach the threshold`;
  }
  if (stageDeletes) for (const i of deletes) held.set(i, actions[i].reason ? `${why}; ${actions[i].reason}` : why);

  const maxPercent = config.massOffboardingGuard?.maxDisablePercent ?? 20;
  const disables = actions.flatMap((a, i) => (a.kind === 'DisableUser' ? [i] : []));
  const share = percent(disables.length, target.users);
  if (disables.length > 0 && share > maxPercent) {
    const reason = `mass offboarding guard: ${disables.length} of ${target.users} accounts (${formatPercent(share)}) would be disabled, more than ${maxPercent}%`;
    for (const i of disables) held.set(i, reason);
  }
  return {
    held,
    stagedDeletes: stageDeletes ? deletes.length : 0,
    heldDisables: disables.filter((i) => held.has(i)).length,
  };
}
