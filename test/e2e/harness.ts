// The end-to-end stack for tests: a real Temporal dev server, a real Postgres database, WeCom
// fakes, and workers running the real workflows with createActivities. Tasks are inserted as rows
// the way the API stores them (public config + sealed secrets).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { createActivities } from '../../activities';
import { createConnector } from '../../connectors/registry';
import type { Connector, ConnectorOperation } from '../../connectors/types';
import { startWecomFake, type RunningWecomFake } from '../../connectors/wecom/fake';
import { fakeState } from '../../connectors/wecom/fake/test-helpers';
import type { Database } from '../../db/client';
import { runItems, syncRuns, syncTasks } from '../../db/schema';
import { createSecretBox, type SecretBox } from '../../db/secret-box';
import { parseTaskConfig, splitSecrets, type TaskConfigInput } from '../../engine/task-config';
import { runWorkflowId, type SyncRunResult } from '../../workflows/definitions';
import { syncRunWorkflow } from '../../workflows/sync-run';

export const corpId = 'ww-e2e-corp';
export const corpSecret = 'e2e-corp-secret';

export interface WecomUserState {
  userid: string;
  name: string;
  department: number[];
  direct_leader?: string[];
  enable?: number;
  email?: string;
}
export interface WecomDepartmentState {
  id: number;
  name: string;
  parentid: number;
}

export async function wecomDirectory(fake: RunningWecomFake): Promise<{ department: WecomDepartmentState[]; userlist: WecomUserState[] }> {
  return fakeState(fake) as unknown as Promise<{ department: WecomDepartmentState[]; userlist: WecomUserState[] }>;
}

/** Hooks a test sets to slow down, count or break the vendor side of connectors (never the hub). */
export interface VendorHooks {
  afterApply?: (op: ConnectorOperation) => Promise<void>;
  onError?: (error: unknown) => void;
}

/** Worker state changes and expected activity failures (retried faults) would drown the test output. */
export function quietTemporalLogs(): void {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

export class E2eStack {
  readonly secretBox: SecretBox = createSecretBox(randomBytes(32));
  readonly hooks: VendorHooks = {};
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'sc-e2e-'));
  private sequence = 0;

  constructor(
    readonly env: TestWorkflowEnvironment,
    readonly bundle: WorkflowBundleWithSourceMap,
    readonly database: Database,
  ) {}

  /** Wraps vendor connectors with the test's hooks. */
  private readonly connectorFactory: typeof createConnector = (kind, settings, secrets, deps) => {
    const inner = createConnector(kind, settings, secrets, deps);
    if (kind === 'hub') return inner;
    const wrapped: Connector = {
      ...inner,
      apply: async (op) => {
        try {
          const result = await inner.apply(op);
          await this.hooks.afterApply?.(op);
          return result;
        } catch (error) {
          this.hooks.onError?.(error);
          throw error;
        }
      },
    };
    return wrapped;
  };

  writeCsv(name: string, rows: string[][]): string {
    const file = path.join(this.dir, name);
    writeFileSync(file, rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n') + '\n');
    return file;
  }

  async insertTask(body: TaskConfigInput): Promise<string> {
    const id = `task-${randomUUID()}`;
    const { publicConfig, secrets } = splitSecrets(parseTaskConfig(body));
    await this.database.db.insert(syncTasks).values({
      id,
      name: publicConfig.name,
      direction: publicConfig.direction,
      connectorKind: publicConfig.connector.kind,
      config: publicConfig as unknown as Record<string, unknown>,
      secretsSealed: this.secretBox.seal(secrets),
      enabled: publicConfig.enabled,
    });
    return id;
  }

  wecomTask(fake: RunningWecomFake, overrides: Partial<TaskConfigInput> = {}): TaskConfigInput {
    return {
      name: `Hub to WeCom ${++this.sequence}`,
      direction: 'downstream',
      // A short wait after a rate-limit refusal keeps the fault test fast; WeCom itself blocks a minute.
      connector: { kind: 'wecom', settings: { baseUrl: fake.baseUrl, corpId, rateLimitBackoffMs: 200 }, secrets: { corpSecret } },
      offboarding: 'delete',
      massOffboardingGuard: { maxDisablePercent: 60 },
      ...overrides,
    };
  }

  startWorker(taskQueue: string, options: { shutdownGraceTimeMs?: number } = {}): Promise<Worker> {
    return Worker.create({
      connection: this.env.nativeConnection,
      taskQueue,
      workflowBundle: this.bundle,
      activities: createActivities({ database: this.database, secretBox: this.secretBox, connectorFactory: this.connectorFactory }),
      shutdownGraceTime: options.shutdownGraceTimeMs ?? 1000,
    });
  }

  newTaskQueue(): string {
    return `e2e-${process.pid}-${++this.sequence}`;
  }

  /** One run of a task with a worker of its own, start to finish. */
  async run(taskId: string, input: { dryRun?: boolean } = {}, taskQueue = this.newTaskQueue()): Promise<SyncRunResult> {
    const worker = await this.startWorker(taskQueue);
    const runId = randomUUID();
    return worker.runUntil(
      this.env.client.workflow.execute(syncRunWorkflow, { taskQueue, workflowId: runWorkflowId(taskId, runId), args: [{ taskId, runId, ...input }] }),
    );
  }

  async items(runId: string) {
    return this.database.db.select().from(runItems).where(eq(runItems.runId, runId)).orderBy(runItems.seq);
  }

  async runRow(runId: string) {
    const [row] = await this.database.db.select().from(syncRuns).where(eq(syncRuns.id, runId));
    return row;
  }

  static async startWecom(): Promise<RunningWecomFake> {
    return startWecomFake({ corpId, corpSecret });
  }
}

/** Resolves when the running activity is cancelled (e.g. its worker shuts down); never otherwise. */
export function untilActivityCancelled(): Promise<never> {
  return Context.current().cancelled;
}

export const header = ['username', 'name', 'email', 'employee_number', 'title', 'department', 'manager', 'status'];
