// The end-to-end stack for tests: a real Temporal dev server, a real Postgres database, vendor
// fakes (WeCom, Feishu, DingTalk), and workers running the real workflows with createActivities.
// Tasks are inserted as rows the way the API stores them (public config + sealed secrets).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerInterceptors, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { createActivities } from '../../activities';
import type { RunTrigger } from '../../activities/types';
import { createConnector } from '../../connectors/registry';
import type { Connector, ConnectorOperation } from '../../connectors/types';
import { startDingtalkFake, type RunningDingtalkFake } from '../../connectors/dingtalk/fake';
import { startFeishuFake, type RunningFeishuFake } from '../../connectors/feishu/fake';
import { startWecomFake, type RunningWecomFake } from '../../connectors/wecom/fake';
import { fakeState } from '../../connectors/wecom/fake/test-helpers';
import type { Database } from '../../db/client';
import type { HubDirectory } from '../../db/repos/hub-directory';
import { pendingDeletions, runItems, syncRuns, syncTasks } from '../../db/schema';
import { createSecretBox, type SecretBox } from '../../db/secret-box';
import { parseTaskConfig, splitSecrets, type TaskConfigInput } from '../../engine/task-config';
import { connectorCatalog } from '../../connectors/definitions';
import { decideDeletions, type DecisionResult } from '../../api/deletion-decisions';
import { createTemporalControl } from '../../api/temporal-control';
import { createRunQueries } from '../../db/repos/run-queries';
import { runWorkflowId, type PendingDeletionApprovalResult, type SyncRunResult } from '../../workflows/definitions';
import { syncRunWorkflow } from '../../workflows/sync-run';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { captureTemporalLogs } from './secret-scan';

export const corpId = 'ww-e2e-corp';
export const corpSecret = 'e2e-corp-secret';
export const feishuCredentials = { appId: 'cli_e2e0000000001', appSecret: 'e2e-feishu-app-secret' };
export const dingtalkCredentials = { appKey: 'dinge2eappkey0001', appSecret: 'e2e-dingtalk-app-secret' };

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
  /** before each read by ids (a partial run's read): throw to fail it */
  beforeReadByIds?: () => void;
  /** builds a vendor connector instead of the registry (undefined: the registry's), e.g. an HR source on a test clock */
  createVendor?: (kind: string, settings: Record<string, unknown>, secrets: Record<string, string>) => Connector | undefined;
}

/** Worker state changes and expected activity failures (retried faults) would drown the test output: only errors are printed, all is kept for the secret scan. */
export function quietTemporalLogs(): void {
  captureTemporalLogs();
}

export class E2eStack {
  readonly secretBox: SecretBox;
  readonly hooks: VendorHooks = {};
  /** vendor calls in flight per apply batch for workers started from now on (undefined: the default) */
  applyConcurrency?: number;
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'sc-e2e-'));
  private sequence = 0;

  constructor(
    readonly env: TestWorkflowEnvironment,
    readonly bundle: WorkflowBundleWithSourceMap,
    readonly database: Database,
    /** the key worker processes of the test are given (SYNC_CENTER_SECRET_KEY) */
    secretKey: Buffer = randomBytes(32),
  ) {
    this.secretBox = createSecretBox(secretKey);
  }

  /** Wraps vendor connectors with the test's hooks. */
  private readonly connectorFactory: typeof createConnector = (kind, settings, secrets, deps) => {
    if (kind === 'hub') return createConnector(kind, settings, secrets, deps);
    const inner = this.hooks.createVendor?.(kind, settings as Record<string, unknown>, secrets as Record<string, string>) ?? createConnector(kind, settings, secrets, deps);
    const wrapped: Connector = {
      ...inner,
      readByIds: async (ids) => {
        this.hooks.beforeReadByIds?.();
        return inner.readByIds(ids);
      },
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
    const { publicConfig, secrets } = splitSecrets(parseTaskConfig(body, { kinds: connectorCatalog }));
    await this.database.db.insert(syncTasks).values({
      id,
      name: publicConfig.name,
      direction: publicConfig.direction,
      connectorKind: publicConfig.connector.kind,
      config: publicConfig,
      secretsSealed: this.secretBox.seal(secrets),
      enabled: publicConfig.enabled,
    });
    return id;
  }

  /** A downstream task from the hub to any vendor connector; deletes staged, the default guard. */
  downstreamTask(label: string, connector: TaskConfigInput['connector'], overrides: Partial<TaskConfigInput> = {}): TaskConfigInput {
    return {
      name: `Hub to ${label} ${++this.sequence}`,
      direction: 'downstream',
      connector,
      offboarding: 'delete',
      ...overrides,
    };
  }

  wecomTask(fake: RunningWecomFake, overrides: Partial<TaskConfigInput> = {}): TaskConfigInput {
    // A short wait after a rate-limit refusal keeps the fault test fast; WeCom itself blocks a minute.
    return this.downstreamTask('WeCom', { kind: 'wecom', settings: { baseUrl: fake.baseUrl, corpId, rateLimitBackoffMs: 200 }, secrets: { corpSecret } }, overrides);
  }

  feishuTask(fake: RunningFeishuFake, overrides: Partial<TaskConfigInput> = {}): TaskConfigInput {
    const { appId, appSecret } = feishuCredentials;
    return this.downstreamTask('Feishu', { kind: 'feishu', settings: { baseUrl: fake.baseUrl, appId }, secrets: { appSecret } }, overrides);
  }

  dingtalkTask(fake: RunningDingtalkFake, overrides: Partial<TaskConfigInput> = {}): TaskConfigInput {
    const { appKey, appSecret } = dingtalkCredentials;
    const settings = { oapiBaseUrl: fake.oapiBaseUrl, apiBaseUrl: fake.apiBaseUrl, appKey, rateLimitBackoffMs: 200 };
    return this.downstreamTask('DingTalk', { kind: 'dingtalk', settings, secrets: { appSecret } }, overrides);
  }

  startWorker(taskQueue: string, options: { shutdownGraceTimeMs?: number; interceptors?: WorkerInterceptors } = {}): Promise<Worker> {
    return Worker.create({
      interceptors: options.interceptors,
      connection: this.env.nativeConnection,
      taskQueue,
      workflowBundle: this.bundle,
      activities: createActivities({ database: this.database, secretBox: this.secretBox, connectorFactory: this.connectorFactory, applyConcurrency: this.applyConcurrency }),
      shutdownGraceTime: options.shutdownGraceTimeMs ?? 1000,
    });
  }

  newTaskQueue(): string {
    return `e2e-${process.pid}-${++this.sequence}`;
  }

  /** One run of a task with a worker of its own, start to finish. */
  async run(taskId: string, input: { dryRun?: boolean; trigger?: RunTrigger } = {}, taskQueue = this.newTaskQueue()): Promise<SyncRunResult> {
    const worker = await this.startWorker(taskQueue);
    const runId = randomUUID();
    return worker.runUntil(
      this.env.client.workflow.execute(syncRunWorkflow, { taskQueue, workflowId: runWorkflowId(taskId, runId), args: [{ taskId, runId, ...input }] }),
    );
  }

  /** The API's approval path: each decision is the Update of the run's approval workflow, answered per id. */
  decide(taskQueue: string, action: 'execute' | 'cancel', ids: string[], actor = 'approver-1'): Promise<DecisionResult[]> {
    const temporal = createTemporalControl(this.env.client, { taskQueue });
    return decideDeletions(action, ids, actor, { runs: createRunQueries(this.database.db), temporal });
  }

  /**
   * What the API does for approvers, with a worker on the run's task queue (the approval workflow
   * runs there), waiting until every item of the run is decided and done.
   */
  async decideDeletions(
    taskQueue: string,
    approvalWorkflowId: string,
    decision: { execute?: string[]; cancel?: string[]; actor?: string },
  ): Promise<PendingDeletionApprovalResult> {
    const worker = await this.startWorker(taskQueue);
    const actor = decision.actor ?? 'approver-1';
    return worker.runUntil(async () => {
      if (decision.cancel?.length) await this.decide(taskQueue, 'cancel', decision.cancel, actor);
      if (decision.execute?.length) await this.decide(taskQueue, 'execute', decision.execute, actor);
      return (await this.env.client.workflow.getHandle(approvalWorkflowId).result()) as PendingDeletionApprovalResult;
    });
  }

  async items(runId: string) {
    return this.database.db.select().from(runItems).where(eq(runItems.runId, runId)).orderBy(runItems.seq);
  }

  /** Idempotence: running again right after plans nothing and stores no items. */
  async expectNoOpRun(taskId: string): Promise<void> {
    const run = await this.run(taskId);
    expect(run).toMatchObject({ status: 'succeeded', plan: { actions: 0 } });
    expect(await this.items(run.runId)).toEqual([]);
  }

  /** The stored run row of a clean first sync: every department and user created. */
  async expectAllCreated(runId: string, counts: { users: number; departments: number }): Promise<void> {
    expect(await this.runRow(runId)).toMatchObject({
      status: 'succeeded',
      counters: expect.objectContaining({ usersSucceeded: counts.users, usersTotal: counts.users, departmentsSucceeded: counts.departments, departmentsTotal: counts.departments }),
    });
  }

  /** The run's staged deletions, in the order the run staged them. */
  async pendingDeletionsOf(runId: string) {
    return this.database.db.select().from(pendingDeletions).where(eq(pendingDeletions.runId, runId)).orderBy(pendingDeletions.runItemId);
  }

  async runRow(runId: string) {
    const [row] = await this.database.db.select().from(syncRuns).where(eq(syncRuns.id, runId));
    return row;
  }

  static async startWecom(): Promise<RunningWecomFake> {
    return startWecomFake({ corpId, corpSecret });
  }

  static async startFeishu(): Promise<RunningFeishuFake> {
    return startFeishuFake(feishuCredentials);
  }

  static async startDingtalk(): Promise<RunningDingtalkFake> {
    return startDingtalkFake(dingtalkCredentials);
  }
}

/** Resolves when the running activity is cancelled (e.g. its worker shuts down); never otherwise. */
export function untilActivityCancelled(): Promise<never> {
  return Context.current().cancelled;
}

export const header = ['username', 'name', 'email', 'employee_number', 'title', 'department', 'manager', 'status'];

/** One person of the seeded company: the manager is a username seeded earlier in the list. */
export interface HubPerson {
  username: string;
  name: string;
  employeeNumber: string;
  title: string;
  department: 'Engineering' | 'Sales';
  manager: string | null;
}

export const hubCompany: HubPerson[] = [
  { username: 'alice', name: 'Alice Wang', employeeNumber: 'E1', title: 'CTO', department: 'Engineering', manager: null },
  { username: 'bob', name: 'Bob Li', employeeNumber: 'E2', title: 'Engineer', department: 'Engineering', manager: 'alice' },
  { username: 'carol', name: 'Carol Zhang', employeeNumber: 'E3', title: 'Sales lead', department: 'Sales', manager: 'alice' },
  { username: 'dave', name: 'Dave Chen', employeeNumber: 'E4', title: 'Sales', department: 'Sales', manager: 'carol' },
  { username: 'erin', name: 'Erin Zhou', employeeNumber: 'E5', title: 'Sales', department: 'Sales', manager: 'carol' },
];

/** The n-th person's (1-based) mobile in the seeded hub; vendors that need a mobile (Feishu, DingTalk) get one. */
export const hubMobile = (n: number): string => `1380000000${n}`;

/**
 * Seeds the hub directly (no upstream task): Acme > Engineering (led by alice) and Acme > Sales, then
 * hubCompany with email, mobile and manager. Returns hub ids by username and by department name.
 */
export async function seedHubCompany(hub: HubDirectory): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  // Acme and Sales keep the hub's default order (0, no preference) as the API creates them: Feishu
  // then picks its own (last + 1000), and a second run must still be a no-op (issue 12).
  // Engineering's explicit order stays clear of what Feishu picks, which it refuses twice (43005).
  const acme = await hub.createDepartment({ name: 'Acme' }, 'test');
  for (const [name, order] of [['Engineering', 1], ['Sales', 0]] as const) {
    ids.set(name, (await hub.createDepartment({ name, parentId: acme.id, order }, 'test')).id);
  }
  ids.set('Acme', acme.id);
  for (const [i, p] of hubCompany.entries()) {
    const department = ids.get(p.department)!;
    const user = await hub.createUser(
      {
        username: p.username,
        name: p.name,
        email: `${p.username}@acme.test`,
        mobile: hubMobile(i + 1),
        employeeNumber: p.employeeNumber,
        title: p.title,
        departmentIds: [department],
        mainDepartmentId: department,
        managerId: p.manager ? ids.get(p.manager) : null,
      },
      'test',
    );
    ids.set(p.username, user.id);
  }
  await hub.updateDepartment(ids.get('Engineering')!, { leaderIds: [ids.get('alice')!] }, 'test');
  return ids;
}

/** A suite's whole stack around one vendor fake; `close` stops all of it (call it in afterAll). */
export interface E2eSuite<Fake> {
  env: TestWorkflowEnvironment;
  database: Database;
  fake: Fake;
  stack: E2eStack;
  close(): Promise<void>;
}

export async function startE2eSuite<Fake extends { close(): Promise<void> }>(
  databaseKind: 'pglite' | 'postgres',
  startFake: () => Promise<Fake>,
): Promise<E2eSuite<Fake>> {
  quietTemporalLogs();
  const [env, bundle, database, fake] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase(databaseKind), startFake()]);
  return {
    env,
    database,
    fake,
    stack: new E2eStack(env, bundle, database),
    async close() {
      await fake.close();
      await database.close();
      await env.teardown();
    },
  };
}
