// Plan benchmark: planSync (with mapUsers) at 10k/1k and 100k/5k, initial and steady state, side
// by side with the naive O(n·m) baseline. Every measurement runs in a fresh process (cold JIT, its
// own peak RSS), several times, because the machine is shared: we report median and min.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { MappingKind, PlanCase, PlanCaseResult, Planner, Scenario } from './plan-case';
import { describeMachine, machineInfo, median, min, option, positiveInt, table } from './report';

interface Sized {
  users: number;
  departments: number;
}

const sizes: Sized[] = [
  { users: 10_000, departments: 1_000 },
  { users: 100_000, departments: 5_000 },
];

type Outcome = { ok: true; result: PlanCaseResult; load1: number } | { ok: false; reason: string; load1: number };

const caseScript = path.join(__dirname, 'plan-case.ts');

function runInChild(c: PlanCase, timeoutMs: number): Promise<Outcome> {
  const load1 = Math.round(os.loadavg()[0] * 100) / 100;
  const args = ['--expose-gc', '--import', 'tsx', caseScript];
  for (const [key, value] of Object.entries(c)) args.push(`--${key}`, String(value));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) resolve({ ok: false, reason: `did not finish in ${Math.round(timeoutMs / 1000)} s`, load1 });
      else if (code !== 0) resolve({ ok: false, reason: `exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`, load1 });
      else resolve({ ok: true, result: JSON.parse(stdout.trim().split('\n').pop() as string) as PlanCaseResult, load1 });
    });
  });
}

interface CaseSummary {
  c: PlanCase;
  outcomes: Outcome[];
}

function label(c: PlanCase): string {
  return `${c.planner === 'naive' ? 'naive baseline' : 'planSync'} · ${c.users / 1000}k/${c.departments / 1000}k · ${c.scenario} · ${c.mapping}`;
}

function summaryRow(s: CaseSummary): (string | number)[] {
  const done = s.outcomes.flatMap((o) => (o.ok ? [o.result] : []));
  const failed = s.outcomes.flatMap((o) => (o.ok ? [] : [o.reason]));
  if (done.length === 0) return [label(s.c), s.outcomes.length, failed[0] ?? 'no run', '', '', '', '', '', ''];
  const plan = done.map((r) => r.planMs);
  const cpu = done.map((r) => r.planCpuMs);
  const map = done.map((r) => r.mapMs);
  const rss = done.map((r) => r.maxRssMB);
  const heap = done.map((r) => r.heapAfterPlanMB);
  return [
    label(s.c),
    `${done.length}${failed.length ? ` (+${failed.length} failed)` : ''}`,
    `${median(plan)} / ${min(plan)}`,
    `${median(cpu)} / ${min(cpu)}`,
    `${median(map)} / ${min(map)}`,
    `${median(plan.map((p, i) => p + map[i]))} / ${min(plan.map((p, i) => p + map[i]))}`,
    `${median(rss)} / ${Math.max(...rss)}`,
    `${median(heap)}`,
    done[0].actions,
  ];
}

function rawLine(s: CaseSummary): string {
  const runs = s.outcomes.map((o) =>
    o.ok ? `plan ${o.result.planMs} ms (CPU ${o.result.planCpuMs} ms), map ${o.result.mapMs} ms, maxRSS ${o.result.maxRssMB} MB (load ${o.load1})` : `${o.reason} (load ${o.load1})`,
  );
  const actions = s.outcomes.find((o): o is Extract<Outcome, { ok: true }> => o.ok)?.result.byAction;
  return `- ${label(s.c)}: ${runs.join('; ')}${actions ? ` — actions ${JSON.stringify(actions)}` : ''}`;
}

export async function runPlanBenchmark(argv: readonly string[]): Promise<void> {
  const runs = positiveInt(argv, 'runs', 3);
  const naiveTimeoutS = positiveInt(argv, 'naive-timeout', 60);
  const only = option(argv, 'size'); // e.g. --size 10000 to skip the 100k cases
  const chosen = only === undefined ? sizes : sizes.filter((s) => String(s.users) === only);
  if (chosen.length === 0) throw new Error(`--size must be one of ${sizes.map((s) => s.users).join(', ')}`);

  const before = machineInfo();
  console.log(`# plan benchmark\n${describeMachine(before)}\nruns per case: ${runs}; naive baseline at 100k: 1 run, capped at ${naiveTimeoutS} s\n`);
  const summaries: CaseSummary[] = [];
  for (const size of chosen) {
    const big = size.users >= 100_000;
    const cases: PlanCase[] = [];
    for (const scenario of ['initial', 'steady'] as Scenario[]) {
      for (const mapping of ['default', 'jsonata'] as MappingKind[]) cases.push({ ...size, scenario, mapping, planner: 'engine' as Planner });
      cases.push({ ...size, scenario, mapping: 'default', planner: 'naive' });
    }
    for (const c of cases) {
      const naive = c.planner === 'naive';
      const times = naive && big ? 1 : runs;
      const timeoutMs = naive ? naiveTimeoutS * 1000 : 10 * 60 * 1000;
      const summary: CaseSummary = { c, outcomes: [] };
      for (let i = 0; i < times; i++) summary.outcomes.push(await runInChild(c, timeoutMs));
      summaries.push(summary);
      console.log(rawLine(summary));
    }
  }
  const after = machineInfo();
  console.log(`\nload average at the end: ${after.loadAverage.join(' / ')}\n`);
  console.log(
    table(
      ['case (planner · users/departments · scenario · mapping)', 'runs', 'plan ms median / min', 'plan CPU ms median / min', 'mapUsers ms median / min', 'map+plan ms median / min', 'peak RSS MB median / max', 'heap after plan MB (median)', 'actions'],
      summaries.map(summaryRow),
    ),
  );
}
