// What the downstream benchmarks share (bench/downstream.ts into the WeCom fake, bench/scim-downstream.ts
// into scim2-server): a synthetic hub seeded into a fresh database, one downstream task, the Temporal
// dev server with the real workflows and activities in this process, one full initial sync timed
// from its start, and cleanup in reverse order whatever happens.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { connectorCatalog } from '../connectors/definitions';
import type { Database } from '../db/client';
import { createSyncTasks } from '../db/repos/sync-tasks';
import { createSecretBox } from '../db/secret-box';
import type { TaskConfigInput } from '../engine/task-config';
import { openTestDatabase } from '../test/support/databases';
import { startLocalTemporal } from '../test/support/temporal';
import { progressQuery, type RunPhase } from '../workflows/definitions';
import type { syncRunWorkflow } from '../workflows/sync-run';
import { bundleSyncWorkflows } from '../workflows/testing/workers';
import { seedHub } from './seed-hub';
import { generateDirectory } from './synthetic-directory';

export const seconds = (ms: number | undefined): string => (ms === undefined ? 'n/a' : (ms / 1000).toFixed(1));

export interface PhaseClock {
  /** ms since the run started at which each phase was first seen */
  seen: Partial<Record<RunPhase, number>>;
  stop(): void;
}

/** Polls the run's progress query (queries add no history events) to time the apply phase. */
export function watchPhases(query: () => Promise<{ phase: RunPhase }>, started: number): PhaseClock {
  const seen: PhaseClock['seen'] = {};
  let stopped = false;
  const tick = async (): Promise<void> => {
    while (!stopped) {
      try {
        const { phase } = await query();
        seen[phase] ??= performance.now() - started;
      } catch {
        // the workflow may not have its first task done yet, or has just closed
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  void tick();
  return { seen, stop: () => (stopped = true) };
}

type SyncResult = Awaited<ReturnType<typeof syncRunWorkflow>>;

export interface InitialSync {
  database: Database;
  result: SyncResult;
  /** the run's wall time, from the workflow's start to its result */
  runMs: number;
  phases: PhaseClock['seen'];
  /** the run's history events */
  historyEvents(): Promise<number>;
}

export interface InitialSyncOptions {
  /** names the task and the task queue */
  name: string;
  users: number;
  departments: number;
  database: 'pglite' | 'postgres';
  timeoutS: number;
  /** the peer the task writes to (started first, stopped last) and the task's connector for it */
  peer: () => Promise<{ connector: TaskConnectorInput; stop: () => Promise<unknown> }>;
  /** just before the workflow starts (e.g. start counting the peer's calls); its return runs at cleanup */
  beforeStart?: () => (() => void) | void;
}

type TaskConnectorInput = TaskConfigInput['connector'];

/** Runs one full initial sync as `options` say and hands it to `report` before anything is torn down. */
export async function runInitialSync(options: InitialSyncOptions, report: (sync: InitialSync) => Promise<void>): Promise<void> {
  // The SDK logs every worker state change at INFO; only problems belong in benchmark output.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const secretBox = createSecretBox(randomBytes(32));
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const peer = await options.peer();
    cleanups.push(() => peer.stop());
    // 'postgres': a fresh database on the Postgres server, dropped afterwards.
    const database = await openTestDatabase(options.database);
    cleanups.push(() => database.close());
    let t = performance.now();
    await seedHub(database.db, generateDirectory({ users: options.users, departments: options.departments }));
    console.log(`hub seeded in ${seconds(performance.now() - t)} s (${database.kind})`);
    const task = await createSyncTasks(database.db, { secretBox, kinds: connectorCatalog }).create(
      { name: `Benchmark: ${options.name}`, direction: 'downstream', connector: peer.connector, triggers: { manual: true }, enabled: true },
      'bench',
      // The benchmark owns its database and keeps the default protection.
      { authorizeProtectionChange: () => undefined },
    );
    t = performance.now();
    const env: TestWorkflowEnvironment = await startLocalTemporal();
    cleanups.push(() => env.teardown());
    const workflowBundle = await bundleSyncWorkflows();
    console.log(`Temporal dev server up and workflows bundled in ${seconds(performance.now() - t)} s`);
    const queue = `bench-${options.name.replace(/\W+/g, '-')}-${process.pid}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: queue, workflowBundle, activities: createActivities({ database, secretBox }) });
    const undo = options.beforeStart?.();
    if (undo) cleanups.push(async () => undo());
    const started = performance.now();
    const handle = await env.client.workflow.start<typeof syncRunWorkflow>('syncRunWorkflow', { taskQueue: queue, workflowId: `${queue}-${Date.now()}`, args: [{ taskId: task.id }] });
    const phases = watchPhases(() => handle.query(progressQuery), started);
    cleanups.push(async () => phases.stop());
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the run did not finish in ${options.timeoutS} s`)), options.timeoutS * 1000).unref());
    const result = await worker.runUntil(Promise.race([handle.result(), timeout]));
    const runMs = performance.now() - started;
    phases.stop();
    await report({ database, result, runMs, phases: phases.seen, historyEvents: async () => (await handle.fetchHistory()).events?.length ?? 0 });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(`cleanup failed: ${String(error)}`));
  }
}
