// Deletion protection and the mass-offboarding guard: which planned actions wait for an approver.
// Pure, so the rules are tested without a database.
import type { PlanAction } from '../engine/plan-types';
import type { PublicTaskConfig } from '../engine/task-config';

export interface HoldDecision {
  /** index in plan.actions → why it is held */
  held: Map<number, string>;
  stagedDeletes: number;
  /** held writes that are not deletes: freezes and moves to the top level */
  heldDisables: number;
}

/** What the rules measure against. */
export interface ProtectionBase {
  /** departments + users read from the target: the base of deletion protection's minPercent */
  targetEntities: number;
  /** active accounts this task manages, counting those the run takes out (see managedAccountsInSnapshot) */
  managedAccounts: number;
}

const isDelete = (a: PlanAction) => a.kind === 'DeleteUser' || a.kind === 'DeleteDepartment';

/** A move that leaves the person in no department: the top level, where the plan puts people whose departments vanished. */
export const isMoveToRoot = (a: PlanAction): boolean => a.kind === 'ChangeUserDepartment' && (a.after?.departmentIds ?? []).length === 0;

/** A write that takes a person out of the company's structure: freeze, delete, or move to the top level. */
const takesOut = (a: PlanAction): boolean => a.entity === 'user' && (a.kind === 'DisableUser' || a.kind === 'DeleteUser' || isMoveToRoot(a));

/** The target accounts a plan takes out of the company's structure, each once. */
export function takenOutAccounts(actions: readonly PlanAction[]): Set<string> {
  const accounts = new Set<string>();
  for (const a of actions) if (takesOut(a) && a.targetId !== null) accounts.add(a.targetId);
  return accounts;
}

/** Active accounts linked to the task, plus the accounts the run takes out (an unlinked or frozen one it deletes counts too). */
export function managedAccountsInSnapshot(
  users: readonly { id: string; status: string }[],
  linkedTargetIds: ReadonlySet<string>,
  takenOut: ReadonlySet<string>,
): number {
  let managed = 0;
  for (const u of users) if (takenOut.has(u.id) || (u.status === 'active' && linkedTargetIds.has(u.id))) managed++;
  return managed;
}

const percent = (part: number, whole: number) => (whole === 0 ? 100 : (part / whole) * 100);
const formatPercent = (value: number) => `${Math.round(value * 10) / 10}%`;

export function decideHolds(
  actions: readonly PlanAction[],
  config: Pick<PublicTaskConfig, 'deletionProtection' | 'massOffboardingGuard'>,
  base: ProtectionBase,
): HoldDecision {
  // Every rule that holds an item says so; the action's own reason (why it exists) comes last.
  const rules = new Map<number, string[]>();
  const withReason = (i: number, why: string) => rules.set(i, [...(rules.get(i) ?? []), why]);
  const protection = config.deletionProtection ?? { mode: 'always' as const };
  const deletes = actions.flatMap((a, i) => (isDelete(a) ? [i] : []));
  let stageDeletes = true;
  let why = 'deletion protection: every delete waits for approval';
  if (protection.mode === 'threshold') {
    const total = base.targetEntities;
    const share = percent(deletes.length, total);
    const byCount = protection.minCount !== undefined && deletes.length >= protection.minCount;
    const byPercent = protection.minPercent !== undefined && share >= protection.minPercent;
    stageDeletes = byCount || byPercent;
    why = `deletion protection: ${deletes.length} deletes (${formatPercent(share)} of ${total} target entities) reach the threshold`;
  }
  if (stageDeletes) for (const i of deletes) withReason(i, why);

  // The guard: freezes, deletes and moves to the top level together, per account, against the accounts the task manages.
  const maxPercent = config.massOffboardingGuard?.maxDisablePercent ?? 20;
  const accounts = takenOutAccounts(actions);
  const managed = Math.max(base.managedAccounts, accounts.size);
  const share = percent(accounts.size, managed);
  if (accounts.size > 0 && share > maxPercent) {
    const reason = `mass offboarding guard: this run would take ${accounts.size} of the ${managed} active accounts this task manages (${formatPercent(share)}) out of the company, more than ${maxPercent}%`;
    // Every write about those accounts waits (a frozen account leaving its departments too), and the department deletes they block.
    actions.forEach((a, i) => {
      const aboutTakenOut = a.entity === 'user' && a.targetId !== null && accounts.has(a.targetId) && (takesOut(a) || a.kind === 'ChangeUserDepartment');
      if (aboutTakenOut || a.kind === 'DeleteDepartment') withReason(i, reason);
    });
  }
  const held = new Map<number, string>();
  for (const [i, whys] of rules) held.set(i, [...whys, ...(actions[i].reason ? [actions[i].reason] : [])].join('; '));
  let stagedDeletes = 0;
  let heldDisables = 0;
  for (const i of held.keys()) {
    if (isDelete(actions[i])) stagedDeletes++;
    else heldDisables++;
  }
  return { held, stagedDeletes, heldDisables };
}
