import fc from 'fast-check';
import { compileFieldMapping, mapUsers } from './field-mapping';
import { planSync } from './plan';
import type { OffboardingPolicy, PlanInput } from './plan-types';
import { simulatePlan } from './simulate';
import { allCapabilities, buildWorld, differences, matchRulePermutations, type World } from './testing/directory-world';

const worldArb = fc.record({
  seed: fc.integer(),
  departments: fc.integer({ min: 0, max: 8 }),
  users: fc.integer({ min: 0, max: 14 }),
  targetOnlyDepartments: fc.integer({ min: 0, max: 3 }),
  targetOnlyUsers: fc.integer({ min: 0, max: 4 }),
  withRoot: fc.boolean(),
});
const settingsArb = fc.record({
  offboarding: fc.constantFrom<OffboardingPolicy>('disable', 'delete'),
  matchRules: fc.constantFrom(...matchRulePermutations),
});

// A mapping with an expression and a plain copy, so equality is checked "under the mapping".
const mapping = compileFieldMapping([
  { target: 'title', expression: 'title ? $uppercase(title) : null' },
  { target: 'attributes.role', source: 'title' },
]);

async function mappedInput(world: World, settings: { offboarding: OffboardingPolicy; matchRules: PlanInput['matchRules'] }): Promise<PlanInput> {
  const mapped = await mapUsers(mapping, world.source.users);
  expect(mapped.failures).toEqual([]);
  return {
    source: { departments: world.source.departments, users: mapped.users },
    target: world.target,
    links: world.links,
    matchRules: settings.matchRules,
    offboarding: settings.offboarding,
    capabilities: allCapabilities,
    targetRootId: world.root,
  };
}

const runs = { numRuns: 150 };

describe('planSync properties', () => {
  it('applying the plan makes the target equal the mapped source, referencing only existing entities, and a second plan is empty', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, settingsArb, async (params, settings) => {
        const world = buildWorld(params);
        const input = await mappedInput(world, settings);
        const plan = planSync(input);
        expect(plan.failed).toEqual([]); // the generator makes no ambiguous matches
        // (c) the simulator throws on any reference to an entity that does not exist at that point
        const applied = simulatePlan(plan, world.target, world.links);
        expect(applied.unresolved).toEqual([]);
        // (a) equal through links
        expect(differences(input.source, applied.target, applied.links, world.root, settings.offboarding)).toEqual([]);
        // (b) nothing left to do
        const second = planSync({ ...input, target: applied.target, links: applied.links });
        expect(second.actions).toEqual([]);
        expect(second.newLinks).toEqual([]);
        expect(second.failed).toEqual([]);
        // deferred references are only people who have no account (disabled, never created)
        for (const deferred of second.deferred) {
          for (const id of deferred.missingSourceIds) {
            expect(input.source.users.find((u) => u.id === id)?.status ?? 'absent').not.toBe('active');
          }
        }
      }),
      runs,
    );
  });

  it('re-enables a rehired person (same employee number, disabled, unlinked) instead of creating a second account', async () => {
    await fc.assert(
      fc.asyncProperty(worldArb, fc.constantFrom<OffboardingPolicy>('disable', 'delete'), async (params, offboarding) => {
        const world = buildWorld({ ...params, users: Math.max(params.users, 1) });
        const returning = world.source.users[0];
        returning.status = 'active';
        returning.employeeNumber = 'E-rehire';
        world.links = world.links.filter((l) => !(l.entity === 'user' && l.sourceId === returning.id));
        world.target.users = world.target.users.filter((u) => u.employeeNumber !== returning.employeeNumber && u.id !== 'former');
        world.target.users.push({ ...returning, id: 'former', name: 'Former Name', status: 'disabled', departmentIds: world.root ? [world.root] : [], mainDepartmentId: world.root, managerId: null });
        const input = await mappedInput(world, { offboarding, matchRules: ['employeeNumber', 'email'] });
        const plan = planSync(input);
        const forReturning = plan.actions.filter((a) => a.sourceId === returning.id);
        expect(forReturning.some((a) => a.kind === 'CreateUser')).toBe(false);
        expect(forReturning.find((a) => a.kind === 'EnableUser')?.targetId).toBe('former');
        expect(plan.newLinks).toContainEqual({ entity: 'user', sourceId: returning.id, targetId: 'former' });
        const applied = simulatePlan(plan, world.target, world.links);
        const accounts = applied.target.users.filter((u) => u.employeeNumber === 'E-rehire');
        expect(accounts).toHaveLength(1);
        expect(accounts[0]).toMatchObject({ id: 'former', status: 'active', name: returning.name });
      }),
      { numRuns: 60 },
    );
  });
});
