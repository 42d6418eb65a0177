// `npm run bench -- approvals [--items 100000] [--approve 20000] [--pglite]`: the approval path at
// scale, from an empty export. An upstream CSV task owns and links `--items` hub people in a few
// hundred departments (bench/upstream-fixture.ts); its export is then replaced by a header-only
// file and a real syncRunWorkflow runs on a dev server with the real activities: the snapshot reads
// the file and the hub, the plan freezes every person (and moves them out of their departments,
// which it stages for deletion), the mass-offboarding guard holds it all, and stageRunDeletions
// stages it in Postgres; the run starts the approval workflow with its run id only. An approver then
// executes `--approve` of the freezes and cancels everything else, in bulk, through the API's
// decision path (decideDeletions → Update, 10,000 ids per request like the REST body allows); the
// executions are real hub writes. Last HR fixes the export: a run staging the empty export again is
// followed by one reading the full file, whose plan wants none of the open items and supersedes them.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { sql } from 'drizzle-orm';
import { createActivities } from '../activities';
import type { SyncActivities } from '../activities/types';
import { decideDeletions } from '../api/deletion-decisions';
import { createTemporalControl } from '../api/temporal-control';
import { createRunQueries } from '../db/repos/run-queries';
import type { Db } from '../db/client';
import { createSecretBox } from '../db/secret-box';
import { openTestDatabase } from '../test/support/databases';
import { startLocalTemporal } from '../test/support/temporal';
import { approvalWorkflowId, type PendingDeletionApprovalResult, type SyncRunResult } from '../workflows/definitions';
import { bundleSyncWorkflows } from '../workflows/testing/workers';
import { describeMachine, machineInfo, positiveInt, table } from './report';
import { createUpstreamCsvTask, departmentCount, personNumber, seedUpstreamHub, useTemporaryImportDir, writeEmptyExport, writeFullExport } from './upstream-fixture';

const REQUEST_IDS = 10_000;
/** Temporal refuses payloads over 2 MB; every activity result must stay far below (counts, never id lists). */
const RESULT_BYTES_LIMIT = 64 * 1024;
const PAYLOAD_ERROR = /payload|size limit|larger than max|RESOURCE_EXHAUSTED|BlobSizeLimit/i;

function rssSampler(): { peakMB: () => number; stop: () => void } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return { peakMB: () => Math.round(Math.max(peak, process.memoryUsage().rss) / 1024 ** 2), stop: () => clearInterval(timer) };
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const n = (value: number) => value.toLocaleString('en');

/** The real activities, each call timed per run and its result's size checked. */
function timedActivities(inner: SyncActivities) {
  const timings = new Map<string, number>();
  let largestResult = 0;
  const wrapped = Object.fromEntries(
    Object.entries(inner).map(([name, fn]) => [
      name,
      async (input: { runId?: string }) => {
        const t = performance.now();
        const result: unknown = await (fn as (i: unknown) => Promise<unknown>)(input);
        const key = `${input?.runId ?? ''}:${name}`;
        timings.set(key, (timings.get(key) ?? 0) + performance.now() - t);
        const bytes = Buffer.byteLength(JSON.stringify(result ?? null));
        largestResult = Math.max(largestResult, bytes);
        if (bytes > RESULT_BYTES_LIMIT) throw new Error(`payload: ${name} returned ${bytes} bytes, more than ${RESULT_BYTES_LIMIT}`);
        return result;
      },
    ]),
  ) as unknown as SyncActivities;
  return { activities: wrapped, ms: (runId: string, name: string) => timings.get(`${runId}:${name}`) ?? 0, largestResult: () => largestResult };
}

const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];

export async function runApprovalsBenchmark(argv: readonly string[]): Promise<void> {
  const items = positiveInt(argv, 'items', 100_000);
  const approve = Math.min(items, positiveInt(argv, 'approve', 20_000));
  const kind = argv.includes('--pglite') ? 'pglite' : 'postgres';
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const rss = rssSampler();
  const imports = await useTemporaryImportDir();
  const [env, bundle, database] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase(kind)]);
  const secretBox = createSecretBox(Buffer.alloc(32, 7));
  const taskQueue = `bench-approvals-${process.pid}`;
  try {
    const db: Db = database.db;
    const taskId = `bench-task-${randomUUID()}`;
    const figures: (string | number)[][] = [];
    await createUpstreamCsvTask(db, secretBox, taskId);
    let t = performance.now();
    await seedUpstreamHub(db, taskId, items);
    figures.push([`seed: ${n(items)} owned, linked hub people in ${departmentCount(items)} departments (SQL, not measured below)`, seconds(performance.now() - t), '']);

    const timed = timedActivities(createActivities({ database, secretBox }));
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: timed.activities });
    const runSync = async (label: string) => {
      const runId = randomUUID();
      const started = performance.now();
      const result = (await env.client.workflow.execute('syncRunWorkflow', {
        taskQueue,
        workflowId: `bench-run-${runId}`,
        args: [{ taskId, runId, trigger: 'manual', requestedBy: ['token:bench-operator:1'] }],
      })) as SyncRunResult;
      const total = performance.now() - started;
      for (const step of ['snapshot', 'plan', 'stageRunDeletions'] as const) {
        figures.push([`${label}: ${step}`, seconds(timed.ms(runId, step)), '']);
      }
      figures.push([`${label}: whole run (workflow start to result)`, seconds(total), `${result.status}; plan ${result.plan.actions} actions, ${result.plan.heldDisables} held freezes/moves, ${result.plan.stagedDeletes} staged deletes; ${result.pendingDeletions} pending`]);
      return result;
    };

    await worker.runUntil(async () => {
      await writeEmptyExport(imports.dir);
      const run = await runSync('empty export');
      const runId = run.runId;
      // The guard must have held every freeze: none applied, each staged with the guard's reason.
      const [held] = rowsOf<{ freezes: number; guarded: number; applied: number }>(
        await db.execute(sql`select count(*) filter (where action = 'DisableUser')::int as freezes,
            count(*) filter (where action = 'DisableUser' and status = 'staged' and reason like 'mass offboarding guard%')::int as guarded,
            (select count(*)::int from hub_users where status <> 'active') as applied
          from run_items where run_id = ${runId}`),
      );
      if (held.freezes !== items || held.guarded !== items || held.applied !== 0) {
        throw new Error(`the guard did not hold every freeze: ${JSON.stringify(held)} for ${items} people`);
      }
      figures.push(['guard check', '', `${n(held.guarded)} of ${n(items)} freezes held by the mass-offboarding guard, 0 hub users frozen by the run`]);
      if (run.approvalWorkflowId !== approvalWorkflowId(runId)) throw new Error(`the run started no approval workflow (${run.approvalWorkflowId})`);

      const open = rowsOf<{ id: string; action: string }>(await db.execute(sql`select id, action from pending_deletions where run_id = ${runId} and status = 'PENDING' order by run_item_id`));
      const freezes = open.filter((r) => r.action === 'DisableUser').map((r) => r.id);
      const approved = new Set(freezes.slice(0, approve));
      const rest = open.map((r) => r.id).filter((id) => !approved.has(id));
      const temporal = createTemporalControl(env.client, { taskQueue });
      const runs = createRunQueries(db);
      const decide = async (action: 'execute' | 'cancel', list: readonly string[]) => {
        let accepted = 0;
        for (let i = 0; i < list.length; i += REQUEST_IDS) {
          const results = await decideDeletions(action, list.slice(i, i + REQUEST_IDS), 'token:bench-approver:1', { runs, temporal });
          accepted += results.filter((r) => r.result === 'accepted').length;
        }
        return accepted;
      };
      t = performance.now();
      const executed = await decide('execute', [...approved]);
      figures.push([`decide: execute ${n(approved.size)} freezes (API path, ${n(REQUEST_IDS)} ids per request)`, seconds(performance.now() - t), `${executed} accepted`]);
      t = performance.now();
      const canceled = await decide('cancel', rest);
      figures.push([`decide: cancel the other ${n(rest.length)} (freezes, moves, department deletes)`, seconds(performance.now() - t), `${canceled} accepted`]);
      t = performance.now();
      const result = (await env.client.workflow.getHandle(approvalWorkflowId(runId)).result()) as PendingDeletionApprovalResult;
      figures.push([`approval workflow ends (the ${n(approved.size)} hub freezes executed)`, seconds(performance.now() - t), `${result.succeeded} succeeded, ${result.canceled} canceled, ${result.failed} failed`]);
      const chain: { events: number; bytes: number }[] = [];
      for await (const execution of env.client.workflow.list({ query: `WorkflowId="${approvalWorkflowId(runId)}"` })) {
        chain.push({ events: execution.historyLength, bytes: Number(execution.historySize ?? 0) });
      }
      const largest = chain.reduce((a, b) => (b.bytes > a.bytes ? b : a), { events: 0, bytes: 0 });
      figures.push(['approval workflow history', '', `${chain.length} run(s) by continue-as-new; largest ${largest.events} events, ${(largest.bytes / 1024 ** 2).toFixed(2)} MB`]);

      // HR notices: the empty export runs once more (its items stay open), then the fixed file arrives.
      const again = await runSync('empty export again');
      const frozen = rowsOf<{ id: string }>(await db.execute(sql`select id from hub_users where status = 'disabled'`));
      await writeFullExport(imports.dir, items, new Set(frozen.map((r) => personNumber(r.id))));
      const fixed = await runSync('fixed export');
      const [closed] = rowsOf<{ superseded: number; open: number }>(
        await db.execute(sql`select count(*) filter (where status = 'SUPERSEDED')::int as superseded, count(*) filter (where status in ('PENDING', 'EXECUTING'))::int as open
          from pending_deletions where run_id = ${again.runId}`),
      );
      figures.push(['fixed export: items of the earlier run superseded', '', `${n(closed.superseded)} of ${n(again.pendingDeletions)} superseded, ${closed.open} still open; fixed run ${fixed.status}`]);
    });
    rss.stop();
    console.log(`## Approvals at scale from an empty export (${kind}) — ${describeMachine(machineInfo())}\n`);
    console.log(table(['step', 'seconds', 'outcome'], figures));
    console.log(`\nlargest activity result: ${timed.largestResult()} bytes (limit checked: ${RESULT_BYTES_LIMIT}); no payload or size error`);
    console.log(`peak RSS of the process (worker, activities, API path; the dev server and Postgres are other processes): ${rss.peakMB()} MB`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (PAYLOAD_ERROR.test(message)) throw new Error(`payload or size error: ${message}`);
    throw error;
  } finally {
    rss.stop();
    await database.close();
    await env.teardown();
    await imports.remove();
  }
}
