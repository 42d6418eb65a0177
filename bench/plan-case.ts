// One plan-benchmark measurement, run in its own process so its peak memory is its own:
// generate → map users → plan, then print one JSON line with the timings and memory figures.
import { performance } from 'node:perf_hooks';
import { wecomCapabilities } from '../connectors/wecom';
import { compileFieldMapping, mapUsers, type FieldMappingEntry } from '../engine/field-mapping';
import type { DirectorySnapshot } from '../engine/model';
import { planSync, summarizePlan } from '../engine/plan';
import type { PlanInput } from '../engine/plan-types';
import { naivePlan } from './naive-planner';
import { generateDirectory, syncedCopy, withChurn } from './synthetic-directory';

export type Scenario = 'initial' | 'steady';
export type Planner = 'engine' | 'naive';
export type MappingKind = 'default' | 'jsonata';

export interface PlanCase {
  users: number;
  departments: number;
  scenario: Scenario;
  planner: Planner;
  mapping: MappingKind;
}

export interface PlanCaseResult extends PlanCase {
  mapMs: number;
  planMs: number;
  /** CPU time (user + system, GC threads included) of the plan step: less sensitive to a busy machine */
  planCpuMs: number;
  actions: number;
  byAction: Record<string, number>;
  /** heap used once the source and target exist, before mapping and planning */
  heapAfterDataMB: number;
  /** heap used with the mapped source and the plan still referenced */
  heapAfterPlanMB: number;
  /** process peak resident set, data generation included */
  maxRssMB: number;
}

/** The one JSONata entry of the "jsonata" mapping: what a task typically writes. */
export const jsonataMapping: FieldMappingEntry[] = [{ target: 'email', expression: '$lowercase(email)' }];

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

function inputFor(c: PlanCase): PlanInput {
  const hub = generateDirectory({ users: c.users, departments: c.departments });
  const base = { matchRules: ['employeeNumber', 'email', 'mobile'] as const, offboarding: 'disable' as const, capabilities: wecomCapabilities, targetRootId: '1' };
  if (c.scenario === 'initial') {
    const empty: DirectorySnapshot = { departments: [{ id: '1', name: 'Company', parentId: null, order: 0, leaderIds: [] }], users: [] };
    return { ...base, source: hub, target: empty, links: [] };
  }
  const { target, links } = syncedCopy(hub);
  return { ...base, source: withChurn(hub).source, target, links };
}

export async function runPlanCase(c: PlanCase): Promise<PlanCaseResult> {
  const input = inputFor(c);
  global.gc?.();
  const heapAfterData = process.memoryUsage().heapUsed;
  const compiled = compileFieldMapping(c.mapping === 'jsonata' ? jsonataMapping : []);
  const mapStarted = performance.now();
  const mapped = await mapUsers(compiled, input.source.users);
  const mapMs = performance.now() - mapStarted;
  if (mapped.failures.length > 0) throw new Error(`mapping failed for ${mapped.failures.length} users: ${mapped.failures[0].reason}`);
  const planInput: PlanInput = { ...input, source: { departments: input.source.departments, users: mapped.users } };
  const planStarted = performance.now();
  const cpuStarted = process.cpuUsage();
  let actions: number;
  let byAction: Record<string, number>;
  let keep: unknown;
  if (c.planner === 'engine') {
    const plan = planSync(planInput);
    keep = plan;
    actions = plan.actions.length;
    byAction = summarizePlan(plan).byAction as Record<string, number>;
  } else {
    const plan = naivePlan(planInput);
    keep = plan;
    actions = plan.length;
    byAction = {};
    for (const a of plan) byAction[a.kind] = (byAction[a.kind] ?? 0) + 1;
  }
  const planMs = performance.now() - planStarted;
  const cpu = process.cpuUsage(cpuStarted);
  const heapAfterPlan = process.memoryUsage().heapUsed;
  if (!keep) throw new Error('no plan'); // keeps the plan alive up to the heap reading
  return {
    ...c,
    mapMs: Math.round(mapMs),
    planMs: Math.round(planMs),
    planCpuMs: Math.round((cpu.user + cpu.system) / 1000),
    actions,
    byAction,
    heapAfterDataMB: mb(heapAfterData),
    heapAfterPlanMB: mb(heapAfterPlan),
    // maxRSS is in kilobytes
    maxRssMB: mb(process.resourceUsage().maxRSS * 1024),
  };
}

function parseCase(argv: readonly string[]): PlanCase {
  const arg = (name: string): string => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0 || argv[i + 1] === undefined) throw new Error(`plan-case: --${name} is required`);
    return argv[i + 1];
  };
  const count = (name: string): number => {
    const n = Number(arg(name));
    if (!Number.isInteger(n) || n < 1) throw new Error(`plan-case: --${name} must be a positive integer`);
    return n;
  };
  const oneOf = <T extends string>(name: string, values: readonly T[]): T => {
    const v = arg(name);
    if (!values.includes(v as T)) throw new Error(`plan-case: --${name} must be one of ${values.join(', ')}`);
    return v as T;
  };
  return {
    users: count('users'),
    departments: count('departments'),
    scenario: oneOf('scenario', ['initial', 'steady']),
    planner: oneOf('planner', ['engine', 'naive']),
    mapping: oneOf('mapping', ['default', 'jsonata']),
  };
}

if (require.main === module) {
  runPlanCase(parseCase(process.argv.slice(2))).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
