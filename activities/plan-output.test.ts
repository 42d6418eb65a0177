// The stored plan of fixed synthetic directories (bench/synthetic-directory.ts) must not change when
// the plan step's memory is reworked (issue 17): digests of planItems' output computed on main 9e919a1,
// except `initial`, re-pinned when managersFirst began ordering creates level by level (the same
// items, sorted, as on 9e919a1; only their order moved).
import { createHash } from 'node:crypto';
import { wecomCapabilities } from '../connectors/wecom';
import { planSync } from '../engine/plan';
import type { DirectorySnapshot } from '../engine/model';
import type { Link, OffboardingPolicy, Plan } from '../engine/plan-types';
import { generateDirectory, syncedCopy, withChurn } from '../bench/synthetic-directory';
import { planItems, planItemsOf, snapshotNames } from './plan';
import { decideHolds, managedAccountsInSnapshot, takenOutAccounts } from './protection';

/** JSON with object keys sorted: the stored columns are jsonb, whose key order is its own. */
const canonical = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(canonical) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : v;

interface Case {
  source: DirectorySnapshot;
  target: DirectorySnapshot;
  links: Link[];
  offboarding: OffboardingPolicy;
}

function cases(): Record<string, Case> {
  const hub = generateDirectory({ users: 2000, departments: 100 });
  const empty: DirectorySnapshot = { departments: [{ id: '1', name: 'Company', parentId: null, order: 0, leaderIds: [] }], users: [] };
  const { target, links } = syncedCopy(hub);
  return {
    initial: { source: hub, target: empty, links: [], offboarding: 'disable' },
    steady: { source: withChurn(hub, 0.05).source, target, links, offboarding: 'disable' },
    steadyDelete: { source: withChurn(hub, 0.05, 3).source, target, links, offboarding: 'delete' },
  };
}

function stored(c: Case): { plan: Plan; held: ReadonlyMap<number, string>; names: ReturnType<typeof snapshotNames> } {
  const plan = planSync({ ...c, matchRules: ['employeeNumber', 'email', 'mobile'], capabilities: wecomCapabilities, targetRootId: '1', sourceIsHub: true });
  const takenOut = takenOutAccounts(plan.actions);
  const managed = managedAccountsInSnapshot(c.target.users, new Set(c.links.filter((l) => l.entity === 'user').map((l) => l.targetId)), takenOut);
  const holds = decideHolds(plan.actions, {} as Parameters<typeof decideHolds>[1], { targetEntities: c.target.departments.length + c.target.users.length, managedAccounts: managed });
  return { plan, held: holds.held, names: snapshotNames(c.source, c.target) };
}

describe('the stored plan of synthetic directories is what main stored', () => {
  const expected: Record<string, [items: number, digest: string]> = {
    initial: [2200, 'c814d33d77a99fbc50b24a4b6624552d64fc00a9ca08cd969bbabc3484a3a7d7'],
    steady: [145, '079a05579ab7d48e6bb4bd1b887cc1ae1bb5bb8625e85bbf4cc3fcaf64696cf5'],
    steadyDelete: [122, '6d8e727f8269104f3cab0841aee16bedfc5d65d9b0161be4f7531e4ffc50677c'],
  };
  const all = cases();
  it.each(Object.keys(expected))('%s', (name) => {
    const { plan, held, names } = stored(all[name]);
    const { items, executable } = planItems(plan, held, names);
    const digest = createHash('sha256').update(JSON.stringify(canonical({ items, executable, newLinks: plan.newLinks }))).digest('hex');
    expect([items.length, digest]).toEqual(expected[name]);
    // What the activity streams (and lets go of as it goes) is the same.
    const streamed = [...planItemsOf(stored(all[name]).plan, held, names, { release: true })];
    expect(JSON.stringify(canonical(streamed))).toBe(JSON.stringify(canonical(items)));
  });
});

describe('planItemsOf', () => {
  it('builds items as they are taken and, with release, lets go of each action once its item is taken', () => {
    const { plan, held } = stored(cases().initial);
    const looked: string[] = [];
    const firstKey = plan.actions[0].key;
    const items = planItemsOf(plan, held, (_e, sourceId) => (looked.push(sourceId ?? ''), null), { release: true });
    expect(items.next().value?.key).toBe(firstKey);
    expect(looked.length).toBeLessThanOrEqual(1);
    expect(plan.actions[0]).toBeNull();
    expect(plan.actions[1]).not.toBeNull();
    let rest = 0;
    for (const _ of items) rest += 1;
    expect(rest + 1).toBe(plan.actions.length + plan.failed.length + plan.deferred.length);
    expect(plan.actions.every((a) => a === null)).toBe(true);
  });
});
