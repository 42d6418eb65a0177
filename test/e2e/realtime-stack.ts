// The real-time stack for end-to-end tests and the latency benchmark: a Temporal dev server, a
// database, WeCom (upstream, sending signed encrypted callbacks), Feishu and DingTalk (downstream)
// fakes, a worker with the real workflows and activities, and the real API listening on a free
// port with webhooks and hub fan-out wired the way `start` wires them.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { and, count, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { createActivities } from '../../activities';
import { createHubFanout, hubFanoutActivityInterceptor, type HubFanout } from '../../api/hub-fanout';
import { buildApi } from '../../api/server';
import { drainWebhookInbox } from '../../api/webhooks/inbox-drain';
import { createRealtimeSignaller, type RealtimeSignaller } from '../../api/webhooks/realtime-signal';
import { callbackKeys, insertTask, webhookSecrets } from '../../api/webhooks/testing';
import { startDingtalkFake, type RunningDingtalkFake } from '../../connectors/dingtalk/fake';
import { startFeishuFake, type RunningFeishuFake } from '../../connectors/feishu/fake';
import { startWecomFake, type RunningWecomFake } from '../../connectors/wecom/fake';
import { fakeControl, rawCall } from '../../connectors/wecom/fake/test-helpers';
import type { Database } from '../../db/client';
import { syncRuns, webhookInbox } from '../../db/schema';
import { createSecretBox } from '../../db/secret-box';
import { taskWorkflowId, triggerSignal, type SyncTaskInput, type TriggerRequest } from '../../workflows/definitions';

export const wecomCredentials = { corpId: 'ww-realtime-corp', corpSecret: 'realtime-corp-secret' };
export const feishuCredentials = { appId: 'cli_realtime', appSecret: 'realtime-feishu-secret' };
export const dingtalkCredentials = { appKey: 'ding-realtime', appSecret: 'realtime-ding-secret' };

export interface RealtimeStackOptions {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  database: Database;
  /** realtimeDebounceMs of every task (default 300) */
  debounceMs?: number;
}

export class RealtimeStack {
  readonly secretBox = createSecretBox(randomBytes(32));
  readonly taskQueue = `realtime-${process.pid}-${randomBytes(3).toString('hex')}`;
  wecom!: RunningWecomFake;
  feishu!: RunningFeishuFake;
  dingtalk!: RunningDingtalkFake;
  api!: FastifyInstance;
  apiUrl = '';
  signaller!: RealtimeSignaller;
  fanout!: HubFanout;
  upstreamId = '';
  feishuTaskId = '';
  dingtalkTaskId = '';
  private worker?: Worker;
  private workerDone?: Promise<void>;

  constructor(readonly options: RealtimeStackOptions) {}

  get database(): Database {
    return this.options.database;
  }

  webhookUrl(taskId = this.upstreamId): string {
    return `${this.apiUrl}/api/v1/webhooks/${taskId}`;
  }

  async start(): Promise<this> {
    const { env, bundle, database } = this.options;
    const debounceMs = this.options.debounceMs ?? 300;
    [this.wecom, this.feishu, this.dingtalk] = await Promise.all([
      startWecomFake({ ...wecomCredentials, callback: { token: callbackKeys.token, encodingAesKey: callbackKeys.aesKey } }),
      startFeishuFake(feishuCredentials),
      startDingtalkFake(dingtalkCredentials),
    ]);
    this.signaller = createRealtimeSignaller(env.client, { taskQueue: this.taskQueue });
    this.fanout = createHubFanout({ database, signaller: this.signaller, onError: (error) => console.error('hub fan-out failed', error) });

    const realtime = { manual: true as const, realtime: true };
    this.upstreamId = await insertTask(database, this.secretBox, {
      name: 'WeCom to hub (real time)',
      direction: 'upstream',
      connector: { kind: 'wecom', settings: { baseUrl: this.wecom.baseUrl, corpId: wecomCredentials.corpId }, secrets: { corpSecret: wecomCredentials.corpSecret, ...webhookSecrets.wecom } },
      triggers: realtime,
      realtimeDebounceMs: debounceMs,
    });
    this.feishuTaskId = await insertTask(database, this.secretBox, {
      name: 'Hub to Feishu (real time)',
      direction: 'downstream',
      connector: { kind: 'feishu', settings: { baseUrl: this.feishu.baseUrl, appId: feishuCredentials.appId }, secrets: { appSecret: feishuCredentials.appSecret } },
      triggers: realtime,
      realtimeDebounceMs: debounceMs,
      offboarding: 'disable',
    });
    this.dingtalkTaskId = await insertTask(database, this.secretBox, {
      name: 'Hub to DingTalk (real time)',
      direction: 'downstream',
      connector: { kind: 'dingtalk', settings: { oapiBaseUrl: this.dingtalk.oapiBaseUrl, apiBaseUrl: this.dingtalk.apiBaseUrl, appKey: dingtalkCredentials.appKey }, secrets: { appSecret: dingtalkCredentials.appSecret } },
      triggers: realtime,
      realtimeDebounceMs: debounceMs,
    });

    this.worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: this.taskQueue,
      workflowBundle: bundle,
      activities: createActivities({ database, secretBox: this.secretBox, onHubChange: this.fanout }),
      interceptors: { activity: [hubFanoutActivityInterceptor(this.fanout)] }, // as cli/worker.ts wires it
      shutdownGraceTime: 1000,
    });
    this.workerDone = this.worker.run();

    this.api = await buildApi({ database, secretBox: this.secretBox, checkTemporal: async () => undefined, realtime: this.signaller, onHubChange: this.fanout });
    await this.api.listen({ host: '127.0.0.1', port: 0 });
    this.apiUrl = `http://127.0.0.1:${(this.api.server.address() as AddressInfo).port}`;
    await drainWebhookInbox({ database, signaller: this.signaller });
    return this;
  }

  /** A trigger straight to a task's workflow (signal-with-start), as the API's run button would. */
  async trigger(taskId: string, request: TriggerRequest): Promise<void> {
    await this.options.env.client.workflow.signalWithStart('syncTaskWorkflow', {
      workflowId: taskWorkflowId(taskId),
      taskQueue: this.taskQueue,
      args: [{ taskId } satisfies SyncTaskInput],
      signal: triggerSignal,
      signalArgs: [request],
    });
  }

  /** Changes the WeCom directory through WeCom's own API (as a person in the WeCom admin would). */
  async wecomApi(path: string, body: Record<string, unknown>, method: 'GET' | 'POST' = 'POST'): Promise<void> {
    const answer = await rawCall(this.wecom, wecomCredentials, method, path, body);
    if (answer.errcode !== 0) throw new Error(`WeCom ${path}: ${answer.errcode} ${answer.errmsg}`);
  }

  /** WeCom sends its signed, encrypted change_contact callback to our webhook; returns our answer. */
  async emitWecom(event: Record<string, string | number>): Promise<{ status: number; body: string }> {
    const res = await fakeControl(this.wecom, 'emit', { url: this.webhookUrl(), event });
    if (res.status !== 200) throw new Error(`WeCom fake refused to emit: ${JSON.stringify(res.body)}`);
    return (res.body as { response: { status: number; body: string } }).response;
  }

  async runsOf(taskId: string, trigger?: 'realtime' | 'manual'): Promise<number> {
    const where = trigger ? and(eq(syncRuns.taskId, taskId), eq(syncRuns.trigger, trigger)) : eq(syncRuns.taskId, taskId);
    const [row] = await this.database.db.select({ n: count() }).from(syncRuns).where(where);
    return Number(row.n);
  }

  async inboxRows(taskId = this.upstreamId): Promise<number> {
    const [row] = await this.database.db.select({ n: count() }).from(webhookInbox).where(eq(webhookInbox.taskId, taskId));
    return Number(row.n);
  }

  async close(): Promise<void> {
    await this.api?.close();
    await this.fanout?.flush();
    if (this.worker && this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.workerDone?.catch(() => undefined);
    await Promise.all([this.wecom?.close(), this.feishu?.close(), this.dingtalk?.close()]);
  }
}
