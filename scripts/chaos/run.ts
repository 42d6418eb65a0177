// `npm run chaos`: the durability claims, tried. An HR export feeds the hub; the hub provisions the
// WeCom, Feishu and DingTalk fakes in real time. Every round the company changes and one fault hits
// mid-run: the worker kill -9ed in a chosen phase (snapshot, plan, apply, staging, approval
// execution, an upstream batch between its hub commit and its activity end), the database's
// connections cut, the Temporal dev server restarted, or a vendor fault storm. After each round,
// read from the targets themselves: every run converged, no duplicate account, nothing lost,
// no delete without an executed approval, no run left `running`.
//
//   npm run chaos -- [--rounds 20] [--people 60] [--seed 1] [--faults kill:apply,postgres-cut] [--json report.json]
//
// Round N takes the faults in turn (all nine unless --faults names some).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { definitionOf } from '../../connectors/definitions';
import { openDatabase, type Database } from '../../db/client';
import { createSyncApi, type SyncApi } from '../../cli/commands/sync-api';
import { approvedDeletes, checkTarget, readTarget, stuckRuns, type TargetTask, type Violation } from './checks';
import { Company, seededRandom } from './company';
import { ChaosStack, fakeKinds } from './stack';

const faults = [
  'kill:upstream-apply',
  'kill:snapshot',
  'kill:plan',
  'kill:apply',
  'kill:staging',
  'kill:approval',
  'postgres-cut',
  'temporal-restart',
  'vendor-storm',
] as const;
type Fault = (typeof faults)[number] | 'none';

const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface RoundReport {
  round: number;
  fault: Fault;
  /** the phase the run was in when the fault hit, or why it hit later */
  hit: string;
  changes: { joined: number; left: number; retitled: number; moved: number };
  approvalsExecuted: number;
  convergedMs: number | null;
  violations: Violation[];
}

class Chaos {
  private readonly tasks: TargetTask[] = [];
  private upstreamId = '';
  private readonly seen = new Map<string, Set<string>>();

  constructor(
    private readonly stack: ChaosStack,
    private readonly api: SyncApi,
    private readonly database: Database,
    private readonly company: Company,
    private readonly random: () => number,
  ) {}

  private writeExport(): void {
    const file = path.join(this.stack.importDir, 'hr.csv');
    fs.writeFileSync(`${file}.tmp`, this.company.csv());
    fs.renameSync(`${file}.tmp`, file);
  }

  async createTasks(): Promise<void> {
    this.writeExport();
    this.upstreamId = (await this.api.createTask({ name: 'chaos: HR export', direction: 'upstream', connector: { kind: 'csv', settings: { path: 'hr.csv' } } })).id;
    for (const kind of fakeKinds) {
      const connector = definitionOf(kind)!.fake!.taskConnector(this.stack.fakes[kind]);
      const task = await this.api.createTask({
        name: `chaos: hub to ${kind}`,
        direction: 'downstream',
        connector: { kind, ...connector },
        triggers: { manual: true, realtime: true },
      });
      // A leaver is disabled in the hub: frozen downstream, or, where the app cannot freeze (DingTalk), deleted once approved.
      const freezesLeavers = definitionOf(kind)!.capabilities.disableUser;
      this.tasks.push({ kind, taskId: task.id, settings: connector.settings, secrets: connector.secrets, freezesLeavers });
      this.seen.set(task.id, new Set());
    }
  }

  private allTaskIds(): string[] {
    return [this.upstreamId, ...this.tasks.map((t) => t.taskId)];
  }

  /** The phase of a running run of these tasks, if any is in one of `phases`. */
  private async runningPhase(taskIds: string[], phases: string[]): Promise<string | undefined> {
    for (const taskId of taskIds) {
      for (const run of await this.api.listRuns(taskId, 'running')) {
        const phase = (await this.api.getRun(run.id)).progress?.phase;
        if (phase && phases.includes(phase)) return phase;
      }
    }
    return undefined;
  }

  /** Kills the worker once a run reaches the phase (or after the window, saying so), restarts it. */
  private async killInPhase(taskIds: string[], phases: string[], windowMs: number): Promise<string> {
    const deadline = Date.now() + windowMs;
    let hit = `never saw ${phases.join('/')}; killed at the end of the window`;
    while (Date.now() < deadline) {
      const phase = await this.runningPhase(taskIds, phases).catch(() => undefined);
      if (phase) {
        hit = phase;
        // Somewhere inside the phase, not always at its first moment.
        await sleep(Math.floor(this.random() * 400));
        break;
      }
      await sleep(50);
    }
    await this.stack.killWorker();
    await sleep(200 + Math.floor(this.random() * 1500));
    this.stack.startWorker();
    return hit;
  }

  private async inject(fault: Fault): Promise<string> {
    const downstream = this.tasks.map((t) => t.taskId);
    switch (fault) {
      case 'kill:upstream-apply':
        return this.killInPhase([this.upstreamId], ['apply'], 30_000);
      case 'kill:snapshot':
        return this.killInPhase(downstream, ['snapshot'], 30_000);
      case 'kill:plan':
        return this.killInPhase(downstream, ['plan'], 30_000);
      case 'kill:apply':
        return this.killInPhase(downstream, ['apply'], 30_000);
      case 'kill:staging':
        return this.killInPhase(downstream, ['staging'], 30_000);
      case 'postgres-cut': {
        const phase = await this.untilAnyPhase(downstream, ['apply', 'snapshot', 'plan'], 30_000);
        return `${phase}; ${await this.stack.cutPostgres()} connections cut`;
      }
      case 'temporal-restart': {
        const phase = await this.untilAnyPhase(downstream, ['apply', 'snapshot', 'plan'], 30_000);
        await this.stack.restartTemporal(1000 + Math.floor(this.random() * 2000));
        return `${phase}; dev server restarted`;
      }
      case 'vendor-storm':
        await this.untilAnyPhase([this.upstreamId, ...downstream], ['apply', 'snapshot'], 30_000);
        await this.stack.vendorStorm();
        return '5xx and rate-limit bursts, tokens revoked';
      case 'kill:approval':
        return 'during approval execution';
      case 'none':
        return 'no fault';
    }
  }

  private async untilAnyPhase(taskIds: string[], phases: string[], windowMs: number): Promise<string> {
    const deadline = Date.now() + windowMs;
    while (Date.now() < deadline) {
      const phase = await this.runningPhase(taskIds, phases).catch(() => undefined);
      if (phase) return phase;
      await sleep(50);
    }
    return 'no run in progress';
  }

  /** No run pending or running, and none started, for `quietMs` in a row. */
  private async quiescent(timeoutMs: number, quietMs = 4000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let quietSince = Date.now();
    let lastCount = -1;
    while (Date.now() < deadline) {
      let busy = false;
      let count = 0;
      try {
        for (const taskId of this.allTaskIds()) {
          const runs = await this.api.listRuns(taskId);
          count += runs.length;
          if (runs.some((r) => r.status === 'pending' || r.status === 'running')) busy = true;
        }
      } catch {
        busy = true; // the API is waiting on Temporal or the database: not settled
      }
      // Hub changes whose fan-out is still owed (the outbox drains them after its grace period) are not settled either.
      const [{ owed }] = await this.stack.sql<{ owed: number }[]>`SELECT count(*)::int AS owed FROM hub_change_outbox`.catch(() => [{ owed: 1 }]);
      if (owed > 0) busy = true;
      if (busy || count !== lastCount) quietSince = Date.now();
      lastCount = count;
      if (Date.now() - quietSince >= quietMs) return true;
      await sleep(500);
    }
    return false;
  }

  private async executeApprovals(fault: Fault): Promise<number> {
    let executed = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const open = [];
      for (const task of this.tasks) open.push(...(await this.api.listPendingDeletions({ taskId: task.taskId })).filter((p) => p.status === 'PENDING' || p.status === 'FAILED'));
      if (open.length === 0) break;
      const killer = fault === 'kill:approval' && attempt === 0 ? this.killDuringExecution() : Promise.resolve();
      await this.api.decide('execute', open.map((p) => p.id));
      await killer;
      executed += open.length;
      // EXECUTING until the approval workflow has done them.
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const still = [];
        for (const task of this.tasks) still.push(...(await this.api.listPendingDeletions({ taskId: task.taskId, status: 'EXECUTING' })));
        if (still.length === 0) break;
        await sleep(500);
      }
    }
    return executed;
  }

  private async killDuringExecution(): Promise<void> {
    await sleep(Math.floor(this.random() * 300));
    await this.stack.killWorker();
    await sleep(500 + Math.floor(this.random() * 1000));
    this.stack.startWorker();
  }

  async check(): Promise<Violation[]> {
    const violations: Violation[] = [...(await stuckRuns(this.stack.sql))];
    for (const task of this.tasks) {
      const view = await readTarget(task, this.database);
      violations.push(...checkTarget(task, view, this.company, await approvedDeletes(this.stack.sql, task.taskId), this.seen.get(task.taskId)!));
      const open = (await this.api.listPendingDeletions({ taskId: task.taskId })).filter((p) => ['PENDING', 'EXECUTING', 'FAILED'].includes(p.status));
      for (const p of open) violations.push({ task: task.kind, rule: 'open-approval', detail: `${p.action} ${p.targetId} is ${p.status}${p.errorMessage ? `: ${p.errorMessage}` : ''}` });
    }
    return violations;
  }

  async round(round: number, fault: Fault): Promise<RoundReport> {
    const changes = this.company.change(round);
    this.writeExport();
    const started = Date.now();
    const injected = this.inject(fault);
    await this.api.requestRun(this.upstreamId, false);
    const hit = await injected;
    const settled = await this.quiescent(5 * 60_000);
    const approvalsExecuted = await this.executeApprovals(fault);
    const settledAgain = settled && (await this.quiescent(3 * 60_000));
    const convergedMs = settledAgain ? Date.now() - started : null;
    const violations = await this.check();
    if (!settledAgain) violations.push({ task: '*', rule: 'stuck-run', detail: 'runs did not settle within the round' });
    return {
      round,
      fault,
      hit,
      changes: { joined: changes.joined.length, left: changes.left.length, retitled: changes.retitled.length, moved: changes.moved.length },
      approvalsExecuted,
      convergedMs,
      violations,
    };
  }

  /** A full run of every downstream task after the last round must find nothing to do. */
  async finalFullRuns(): Promise<Violation[]> {
    const violations: Violation[] = [];
    for (const task of this.tasks) {
      const { runId } = await this.api.requestRun(task.taskId, false);
      const deadline = Date.now() + 180_000;
      for (;;) {
        const run = await this.api.getRun(runId).catch(() => undefined);
        if (run && !['pending', 'running'].includes(run.status)) break;
        if (Date.now() > deadline) break;
        await sleep(500);
      }
      const items = await this.api.listItems(runId, {});
      if (items.length) violations.push({ task: task.kind, rule: 'stale', detail: `the final full run still had ${items.length} changes to make (${items.slice(0, 5).map((i) => `${i.action} ${i.displayName}`).join(', ')})` });
    }
    return violations;
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '20' },
      people: { type: 'string', default: '60' },
      seed: { type: 'string', default: '1' },
      faults: { type: 'string' },
      json: { type: 'string' },
      postgres: { type: 'string', default: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    },
  });
  const rounds = Number(values.rounds);
  const people = Number(values.people);
  const seed = Number(values.seed);
  for (const [name, value] of Object.entries({ rounds, people, seed })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  }
  const chosen = values.faults === undefined ? [...faults] : values.faults.split(',').map((f) => f.trim());
  const unknown = chosen.filter((f) => !(faults as readonly string[]).includes(f));
  if (unknown.length || chosen.length === 0) throw new Error(`--faults: expected a comma-separated list of ${faults.join(', ')}; got ${JSON.stringify(values.faults)}`);
  process.env.SYNC_CENTER_ALLOW_ANY_HOST = '1';
  const random = seededRandom(seed);
  const company = new Company(random);
  company.seed(people);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-chaos-'));
  const stack = new ChaosStack({ dir, postgresUrl: values.postgres!, log });
  const reports: RoundReport[] = [];
  let final: Violation[] = [];
  let database: Database | undefined;
  const begun = Date.now();
  try {
    log(`[chaos] starting the stack in ${dir} (logs there)`);
    await stack.start();
    database = await openDatabase({ url: stack.databaseUrl });
    const api = createSyncApi({ baseUrl: stack.apiUrl, token: stack.adminToken });
    const chaos = new Chaos(stack, api, database, company, random);
    await chaos.createTasks();
    log(`[chaos] round 0: the first sync of ${people} people, no fault`);
    const first = await chaos.round(0, 'none');
    reports.push(first);
    log(`[chaos] round 0: ${first.violations.length} violations`);
    for (const v of first.violations.slice(0, 10)) log(`[chaos]   ${v.task} ${v.rule}: ${v.detail}`);
    for (let round = 1; round <= rounds; round++) {
      const fault = chosen[(round - 1) % chosen.length] as Fault;
      const report = await chaos.round(round, fault);
      reports.push(report);
      log(
        `[chaos] round ${round}: ${fault} (${report.hit}) — ${report.changes.joined} joined, ${report.changes.left} left; ` +
          `converged in ${report.convergedMs === null ? 'NEVER' : `${(report.convergedMs / 1000).toFixed(1)} s`}; ${report.violations.length} violations`,
      );
      for (const v of report.violations.slice(0, 10)) log(`[chaos]   ${v.task} ${v.rule}: ${v.detail}`);
    }
    final = await chaos.finalFullRuns();
    for (const v of final) log(`[chaos] final: ${v.task} ${v.rule}: ${v.detail}`);
  } finally {
    await database?.close();
    await stack.stop().catch((err) => log(`[chaos] teardown: ${(err as Error).message}`));
  }

  const violations = [...reports.flatMap((r) => r.violations), ...final];
  const kills = reports.filter((r) => r.fault.startsWith('kill:')).length;
  const converged = reports.filter((r) => r.convergedMs !== null).map((r) => r.convergedMs!);
  const summary = {
    seed,
    people,
    rounds: reports.length,
    workerKills: kills,
    postgresCuts: reports.filter((r) => r.fault === 'postgres-cut').length,
    temporalRestarts: reports.filter((r) => r.fault === 'temporal-restart').length,
    vendorStorms: reports.filter((r) => r.fault === 'vendor-storm').length,
    unexpectedWorkerExits: stack.unexpectedWorkerExits,
    approvalsExecuted: reports.reduce((sum, r) => sum + r.approvalsExecuted, 0),
    convergedRounds: converged.length,
    medianConvergenceS: converged.length ? Number((converged.sort((a, b) => a - b)[Math.floor(converged.length / 2)] / 1000).toFixed(1)) : null,
    maxConvergenceS: converged.length ? Number((Math.max(...converged) / 1000).toFixed(1)) : null,
    violations: Object.fromEntries(['duplicate', 'missing', 'stale', 'not-frozen', 'not-deleted', 'deleted-without-approval', 'stuck-run', 'open-approval'].map((rule) => [rule, violations.filter((v) => v.rule === rule).length])),
    wallS: Math.round((Date.now() - begun) / 1000),
  };
  if (values.json) fs.writeFileSync(values.json, JSON.stringify({ summary, reports, final }, null, 2));
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`[chaos] ${(err as Error).stack ?? err}`);
    process.exit(2);
  },
);
