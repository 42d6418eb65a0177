// The Temporal worker on the sync-center task queue: workflows from workflows/, activities from
// createActivities(deps). The one place where ActivityDeps are assembled, for `start` and `worker`.
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { ensureApprovalReconciler } from '../api/approval-reconciler';
import { ensureSnapshotRetention } from '../api/snapshot-retention';
import { createHubFanout, hubFanoutActivityInterceptor } from '../api/hub-fanout';
import { startHubOutboxDrainer } from '../api/hub-outbox-drain';
import { createRealtimeSignaller } from '../api/webhooks/realtime-signal';
import type { Database } from '../db/client';
import { createRateBudgetStore } from '../db/repos/rate-budgets';
import { createSecretBox } from '../db/secret-box';
import { createActivities } from '../activities';
import { fullGarbageCollector } from '../activities/memory';
import { startTracing, tracingClientInterceptors, tracingWorkerOptions, tracingWorkflowModules } from '../telemetry/otel';
import { workerDeploymentOptions, workerVersioningEnabled } from './worker-versioning';

export interface SyncWorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  database: Database;
  /** SYNC_CENTER_SECRET_KEY: activities open sealed connector credentials with it */
  secretKey: Buffer;
  /** SYNC_CENTER_SNAPSHOT_RETENTION_DAYS (default 7) */
  snapshotRetentionDays?: number;
  /** SYNC_CENTER_VENDOR_RATE_LIMITS (default shared): vendor budgets in Postgres, shared by every worker */
  vendorRateLimits?: 'shared' | 'process';
}

export interface RunningSyncWorker {
  /** settles when the worker stops; rejects if it dies on its own */
  done: Promise<void>;
  /** stops polling, waits for in-flight tasks, closes the connection */
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * The SDK logs every state change at INFO; warnings are what an operator needs on the console.
 * SYNC_CENTER_TEMPORAL_METRICS_ADDRESS (host:port) makes the SDK's core serve its own runtime metrics
 * (task slots, poll and schedule-to-start latencies, sticky cache) for Prometheus there.
 */
export function installWorkerRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const bindAddress = process.env.SYNC_CENTER_TEMPORAL_METRICS_ADDRESS?.trim();
  Runtime.install({ logger: new DefaultLogger('WARN'), ...(bindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress, countersTotalSuffix: true } } } } : {}) });
}

export async function startSyncWorker(options: SyncWorkerOptions): Promise<RunningSyncWorker> {
  installWorkerRuntime();
  const connection = await NativeConnection.connect({ address: options.address });
  // Hub writes of upstream runs and approvals signal downstream real-time tasks (api/hub-fanout.ts).
  startTracing();
  const client = new Client({ connection, namespace: options.namespace, interceptors: tracingClientInterceptors() });
  const tracing = tracingWorkerOptions();
  const signaller = createRealtimeSignaller(client, { taskQueue: options.taskQueue });
  const onHubChange = createHubFanout({ database: options.database, signaller, onError: (err) => console.warn(`hub change fan-out failed: ${(err as Error).message}`) });
  // One budget per vendor tenant for every worker on the database; `process`: each worker its own.
  const rateBudgets = options.vendorRateLimits === 'process' ? undefined : createRateBudgetStore(options.database.db);
  let worker: Worker;
  try {
    const workflowsPath = require.resolve('../workflows');
    // Versioned without SYNC_CENTER_BUILD_ID: the build id hashes the bundle, so bundle here (the worker would anyway).
    const workflowBundle = workerVersioningEnabled() && !process.env.SYNC_CENTER_BUILD_ID?.trim() ? await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: tracingWorkflowModules() }) : undefined;
    const deployment = workerDeploymentOptions(process.env, () => workflowBundle!.code);
    worker = await Worker.create({
      connection,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
      ...(deployment ? { workerDeploymentOptions: deployment } : {}),
      // Let in-flight activities finish on Ctrl-C; an apply batch cut short resumes from its heartbeat anyway.
      shutdownGraceTime: '10s',
      // An activity's hub writes reach downstream tasks in one signal, without a second debounce window.
      // Traced (OTEL_* set): workflow and activity spans, continuing the trace of whoever started or signalled the workflow.
      interceptors: { activity: [hubFanoutActivityInterceptor(onHubChange), ...(tracing?.activity ?? [])], workflowModules: workflowBundle ? [] : tracingWorkflowModules() },
      ...(tracing ? { sinks: tracing.sinks } : {}),
      activities: createActivities({ database: options.database, secretBox: createSecretBox(options.secretKey), onHubChange, collectGarbage: fullGarbageCollector(), snapshotRetentionDays: options.snapshotRetentionDays, rateBudgets, publicUrl: process.env.SYNC_CENTER_PUBLIC_URL || undefined }),
    });
  } catch (err) {
    await connection.close();
    throw err;
  }
  // Pending deletions left without a workflow (crash, termination, cancelled run) are adopted now and every 10 minutes.
  await ensureApprovalReconciler(client, { taskQueue: options.taskQueue }).catch((err: unknown) =>
    console.warn(`approval reconciler schedule: ${(err as Error).message}`),
  );
  // Hub writes whose fan-out was lost (a kill after commit, Temporal away) wait in the outbox; any
  // number of drainers may run (rows are leased), so the API process drains it too.
  const outboxDrainer = startHubOutboxDrainer({ database: options.database, signaller, onError: (err) => console.warn(`hub change outbox drain failed: ${(err as Error).message}`) });
  // Run snapshots (whole directories of personal data) older than the retention are deleted now and every hour.
  await ensureSnapshotRetention(client, { taskQueue: options.taskQueue }).catch((err: unknown) => console.warn(`snapshot retention schedule: ${(err as Error).message}`));
  const done = worker
    .run()
    .then(() => onHubChange.flush())
    .finally(() => outboxDrainer.stop())
    .finally(() => connection.close());
  done.catch(() => undefined); // the caller observes `done`; this only prevents an unhandled rejection
  return {
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
