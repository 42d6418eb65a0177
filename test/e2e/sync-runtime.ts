// What `start` runs, for end-to-end tests: a worker with the real workflows and activities, the
// real API listening on a free port (driving task workflows, Schedules and runs), webhooks signalling
// task workflows and hub changes fanned out to downstream tasks, wired the way cli/worker.ts and
// cli/api-server.ts wire them.
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { and, count, desc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { createActivities } from '../../activities';
import { createHubFanout, hubFanoutActivityInterceptor, type HubFanout } from '../../api/hub-fanout';
import { buildApi } from '../../api/server';
import { createTemporalControl } from '../../api/temporal-control';
import { drainWebhookInbox } from '../../api/webhooks/inbox-drain';
import { createRealtimeSignaller, type RealtimeSignaller } from '../../api/webhooks/realtime-signal';
import type { Database } from '../../db/client';
import { runItems, syncRuns, webhookInbox } from '../../db/schema';
import type { SecretBox } from '../../db/secret-box';
import { stateQuery, taskWorkflowId, triggerSignal, type SyncTaskInput, type TriggerRequest } from '../../workflows/definitions';
import { activeRunStatuses } from '../../engine/statuses';
import { tracingClientInterceptors, tracingWorkerOptions } from '../../telemetry/otel';
import { eventually } from '../../workflows/testing/in-memory-activities';

export interface SyncRuntimeOptions {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  database: Database;
  secretBox: SecretBox;
  taskQueue: string;
  /** accepted as an admin token by the API (SYNC_CENTER_ADMIN_TOKEN) */
  adminToken?: string;
  /** traced as cli/worker.ts and cli/api-server.ts trace with OTEL_* set (telemetry/otel.ts started first; the bundle has tracingWorkflowModules()) */
  tracing?: boolean;
}

export class SyncRuntime {
  api!: FastifyInstance;
  apiUrl = '';
  signaller!: RealtimeSignaller;
  fanout!: HubFanout;
  private worker?: Worker;
  private workerDone?: Promise<void>;

  constructor(readonly options: SyncRuntimeOptions) {}

  /** Starts the worker and the API; tasks must be stored before (the inbox drain looks them up). */
  async start(): Promise<this> {
    const { env, bundle, database, secretBox, taskQueue } = this.options;
    const tracing = this.options.tracing ? tracingWorkerOptions() : undefined;
    if (this.options.tracing && !tracing) throw new Error('SyncRuntime tracing: call startTracing() first');
    const client = tracing ? new Client({ connection: env.connection, namespace: env.namespace, interceptors: tracingClientInterceptors() }) : env.client;
    this.signaller = createRealtimeSignaller(client, { taskQueue });
    this.fanout = createHubFanout({ database, signaller: this.signaller, onError: (error) => console.error('hub fan-out failed', error) });
    this.worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities: createActivities({ database, secretBox, onHubChange: this.fanout }),
      interceptors: { activity: [hubFanoutActivityInterceptor(this.fanout), ...(tracing?.activity ?? [])] }, // as cli/worker.ts wires it
      ...(tracing ? { sinks: tracing.sinks } : {}),
      shutdownGraceTime: 1000,
    });
    this.workerDone = this.worker.run();
    this.api = await buildApi({
      database,
      secretBox,
      adminToken: this.options.adminToken,
      checkTemporal: async () => undefined,
      temporal: createTemporalControl(client, { taskQueue }),
      realtime: this.signaller,
      onHubChange: this.fanout,
    });
    await this.api.listen({ host: '127.0.0.1', port: 0 });
    this.apiUrl = `http://127.0.0.1:${(this.api.server.address() as AddressInfo).port}`;
    await drainWebhookInbox({ database, signaller: this.signaller });
    return this;
  }

  webhookUrl(taskId: string): string {
    return `${this.apiUrl}/api/v1/webhooks/${taskId}`;
  }

  /** A trigger straight to a task's workflow (signal-with-start), as the API's run button would. */
  async trigger(taskId: string, request: TriggerRequest): Promise<void> {
    await this.options.env.client.workflow.signalWithStart('syncTaskWorkflow', {
      workflowId: taskWorkflowId(taskId),
      taskQueue: this.options.taskQueue,
      args: [{ taskId } satisfies SyncTaskInput],
      signal: triggerSignal,
      signalArgs: [request],
    });
  }

  /** Resolves once the task's workflow runs nothing and has nothing pending. */
  async idle(taskId: string, timeoutMs = 60_000): Promise<void> {
    await eventually(
      async () => {
        const state = await this.options.env.client.workflow.getHandle(taskWorkflowId(taskId)).query(stateQuery);
        return !state.running && !state.pending.real;
      },
      `task ${taskId} to go idle`,
      timeoutMs,
    );
  }

  /** A manual run through the task's workflow, waited for; returns its stored row and items. */
  async manualRun(taskId: string) {
    const before = await this.runsOf(taskId, 'manual');
    await this.trigger(taskId, { trigger: 'manual' });
    const { db } = this.options.database;
    const run = await eventually(async () => {
      if ((await this.runsOf(taskId, 'manual')) <= before) return undefined;
      const [latest] = await db.select().from(syncRuns).where(and(eq(syncRuns.taskId, taskId), eq(syncRuns.trigger, 'manual'))).orderBy(desc(syncRuns.startedAt)).limit(1);
      return latest && !(activeRunStatuses as readonly string[]).includes(latest.status) ? latest : undefined;
    }, `a finished manual run of ${taskId}`, 60_000);
    return { run: run!, items: await db.select().from(runItems).where(eq(runItems.runId, run!.id)) };
  }

  async runsOf(taskId: string, trigger?: 'realtime' | 'manual'): Promise<number> {
    const where = trigger ? and(eq(syncRuns.taskId, taskId), eq(syncRuns.trigger, trigger)) : eq(syncRuns.taskId, taskId);
    const [row] = await this.options.database.db.select({ n: count() }).from(syncRuns).where(where);
    return Number(row.n);
  }

  async inboxRows(taskId: string): Promise<number> {
    const [row] = await this.options.database.db.select({ n: count() }).from(webhookInbox).where(eq(webhookInbox.taskId, taskId));
    return Number(row.n);
  }

  async close(): Promise<void> {
    await this.api?.close();
    await this.fanout?.flush();
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.workerDone?.catch(() => undefined);
  }
}
