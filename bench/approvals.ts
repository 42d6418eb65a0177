// `npm run bench -- approvals [--items 100000] [--approve 20000] [--pglite]`: the approval path at
// scale. A run's plan holds `--items` freezes (what an empty export on a directory that size makes
// the mass-offboarding guard hold), stored as run items the way the plan step stores them; the real
// stageRunDeletions activity stages them and a real dev server runs the approval workflow; an
// approver then executes `--approve` of them and cancels the rest, in bulk, through the API's
// decision path (decideDeletions → Update, 10,000 ids per request like the REST body allows).
// Executions go to an in-process target that accepts every freeze (no vendor latency: this
// measures our path, not WeCom's). A later run that no longer wants them supersedes them all.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { sql } from 'drizzle-orm';
import { createActivities } from '../activities';
import { decideDeletions } from '../api/deletion-decisions';
import { createTemporalControl } from '../api/temporal-control';
import type { Connector } from '../connectors/types';
import { connectorCatalog } from '../connectors/definitions';
import { createConnector } from '../connectors/registry';
import { createRunQueries } from '../db/repos/run-queries';
import { syncRuns, syncTasks } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import { parseTaskConfig, splitSecrets } from '../engine/task-config';
import { openTestDatabase } from '../test/support/databases';
import { startLocalTemporal } from '../test/support/temporal';
import { approvalWorkflowId, type PendingDeletionApprovalResult } from '../workflows/definitions';
import { bundleSyncWorkflows } from '../workflows/testing/workers';
import { describeMachine, machineInfo, positiveInt, table } from './report';

const REQUEST_IDS = 10_000;

/** A target that has every account and accepts every freeze: the vendor is not what is measured. */
const acceptingTarget = (inner: Connector): Connector => ({
  ...inner,
  readByIds: async () => ({ departments: [], users: [], missing: { departmentIds: [], userIds: [] } }),
  apply: async () => ({}),
});

function rssSampler(): { peakMB: () => number; stop: () => void } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return { peakMB: () => Math.round(Math.max(peak, process.memoryUsage().rss) / 1024 ** 2), stop: () => clearInterval(timer) };
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

export async function runApprovalsBenchmark(argv: readonly string[]): Promise<void> {
  const items = positiveInt(argv, 'items', 100_000);
  const approve = Math.min(items, positiveInt(argv, 'approve', 20_000));
  const kind = argv.includes('--pglite') ? 'pglite' : 'postgres';
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const rss = rssSampler();
  const [env, bundle, database] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase(kind)]);
  const secretBox = createSecretBox(Buffer.alloc(32, 7));
  const taskQueue = `bench-approvals-${process.pid}`;
  try {
    const db = database.db;
    const taskId = `bench-task-${randomUUID()}`;
    const { publicConfig, secrets } = splitSecrets(
      parseTaskConfig({ name: 'Hub to WeCom (bench)', direction: 'downstream', connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:9/cgi-bin', corpId: 'ww-bench' }, secrets: { corpSecret: 'bench' } } }, { kinds: connectorCatalog }),
    );
    await db.insert(syncTasks).values({ id: taskId, name: publicConfig.name, direction: 'downstream', connectorKind: 'wecom', config: publicConfig as never, secretsSealed: secretBox.seal(secrets) });

    // The plan step's output for an empty export: one held DisableUser per account, in plan order.
    const planRun = async (held: number) => {
      const runId = randomUUID();
      await db.insert(syncRuns).values({ id: runId, taskId, trigger: 'manual', status: 'running' });
      if (held > 0) {
        await db.execute(sql`insert into run_items (run_id, seq, batch, key, action, entity, source_id, target_id, display_name, status, payload, reason)
          select ${runId}, n, 0, 'user:' || n, 'DisableUser', 'user', 'hub-' || n, 'acct-' || n, 'Person ' || n, 'staged', '{}'::jsonb,
            'held by the mass-offboarding guard'
          from generate_series(1, ${held}) as n`);
      }
      return runId;
    };
    const activities = createActivities({
      database,
      secretBox,
      connectorFactory: (k, settings, s, deps) => (k === 'hub' ? createConnector(k, settings, s, deps) : acceptingTarget(createConnector(k, settings, s, deps))),
    });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });

    const figures: (string | number)[][] = [];
    await worker.runUntil(async () => {
      const runId = await planRun(items);
      let t = performance.now();
      const staged = await activities.stageRunDeletions({ runId });
      const stageMs = performance.now() - t;
      figures.push([`stage ${items.toLocaleString('en')} held freezes (stageRunDeletions)`, seconds(stageMs), `${staged.staged} rows`]);

      // What the run does next: start the approval workflow with the run id only.
      t = performance.now();
      const approval = await env.client.workflow.start('pendingDeletionApprovalWorkflow', { taskQueue, workflowId: approvalWorkflowId(runId), args: [{ runId, taskId }] });
      const ids = (await db.execute(sql`select id from pending_deletions where run_id = ${runId} order by run_item_id`)) as unknown;
      const allIds = (Array.isArray(ids) ? ids : (ids as { rows: { id: string }[] }).rows).map((r: { id: string }) => r.id);
      const temporal = createTemporalControl(env.client, { taskQueue });
      const runs = createRunQueries(db);
      const decide = async (action: 'execute' | 'cancel', list: string[]) => {
        let accepted = 0;
        for (let i = 0; i < list.length; i += REQUEST_IDS) {
          const results = await decideDeletions(action, list.slice(i, i + REQUEST_IDS), 'token:bench-approver:1', { runs, temporal });
          accepted += results.filter((r) => r.result === 'accepted').length;
        }
        return accepted;
      };
      t = performance.now();
      const executed = await decide('execute', allIds.slice(0, approve));
      const approveMs = performance.now() - t;
      figures.push([`decide: execute ${approve.toLocaleString('en')} (API path, ${REQUEST_IDS.toLocaleString('en')} ids per request)`, seconds(approveMs), `${executed} accepted`]);
      t = performance.now();
      const canceled = await decide('cancel', allIds.slice(approve));
      figures.push([`decide: cancel ${(items - approve).toLocaleString('en')}`, seconds(performance.now() - t), `${canceled} accepted`]);
      t = performance.now();
      const result = (await approval.result()) as PendingDeletionApprovalResult;
      figures.push([`approval workflow ends (executions of the approved ${approve.toLocaleString('en')} included)`, seconds(performance.now() - t), `${result.succeeded} succeeded, ${result.canceled} canceled, ${result.failed} failed`]);
      // Every run of the chain (continue-as-new keeps each history small): their count and the largest.
      const chain: { events: number; bytes: number }[] = [];
      for await (const execution of env.client.workflow.list({ query: `WorkflowId="${approvalWorkflowId(runId)}"` })) {
        chain.push({ events: execution.historyLength, bytes: Number(execution.historySize ?? 0) });
      }
      const largest = chain.reduce((a, b) => (b.bytes > a.bytes ? b : a), { events: 0, bytes: 0 });
      figures.push(['approval workflow history', '', `${chain.length} run(s) by continue-as-new; largest ${largest.events} events, ${(largest.bytes / 1024 ** 2).toFixed(2)} MB`]);

      // A later run whose plan no longer wants any of them (the export was fixed): supersede all.
      const stale = await planRun(items);
      await activities.stageRunDeletions({ runId: stale });
      const fixed = await planRun(0);
      t = performance.now();
      const superseded = await activities.stageRunDeletions({ runId: fixed });
      figures.push([`re-validate: a run that wants none of ${items.toLocaleString('en')} open items`, seconds(performance.now() - t), `${superseded.superseded} superseded`]);
    });
    rss.stop();
    console.log(`## Approvals at scale (${kind}) — ${describeMachine(machineInfo())}\n`);
    console.log(table(['step', 'seconds', 'outcome'], figures));
    console.log(`\npeak RSS of the process (worker, API path, activities; the dev server is a separate process): ${rss.peakMB()} MB`);
  } finally {
    rss.stop();
    await database.close();
    await env.teardown();
  }
}
