// The real-time stack for end-to-end tests and the latency benchmark: a Temporal dev server, a
// database, WeCom (upstream, sending signed encrypted callbacks), Feishu and DingTalk (downstream)
// fakes, and the worker and API of sync-runtime.ts.
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { callbackKeys, insertTask, webhookSecrets } from '../../api/webhooks/testing';
import { startDingtalkFake, type RunningDingtalkFake } from '../../connectors/dingtalk/fake';
import { startFeishuFake, type RunningFeishuFake } from '../../connectors/feishu/fake';
import { startWecomFake, type RunningWecomFake } from '../../connectors/wecom/fake';
import { fakeControl, rawCall } from '../../connectors/wecom/fake/test-helpers';
import type { Database } from '../../db/client';
import { createSecretBox } from '../../db/secret-box';
import type { TriggerRequest } from '../../workflows/definitions';
import { SyncRuntime } from './sync-runtime';

export const wecomCredentials = { corpId: 'ww-realtime-corp', corpSecret: 'realtime-corp-secret' };
export const feishuCredentials = { appId: 'cli_realtime', appSecret: 'realtime-feishu-secret' };
export const dingtalkCredentials = { appKey: 'ding-realtime', appSecret: 'realtime-ding-secret' };

export interface RealtimeStackOptions {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  database: Database;
  /** realtimeDebounceMs of every task (default 300) */
  debounceMs?: number;
  /** see SyncRuntimeOptions.tracing */
  tracing?: boolean;
}

export class RealtimeStack {
  readonly secretBox = createSecretBox(randomBytes(32));
  readonly taskQueue = `realtime-${process.pid}-${randomBytes(3).toString('hex')}`;
  wecom!: RunningWecomFake;
  feishu!: RunningFeishuFake;
  dingtalk!: RunningDingtalkFake;
  runtime!: SyncRuntime;
  upstreamId = '';
  feishuTaskId = '';
  dingtalkTaskId = '';

  constructor(readonly options: RealtimeStackOptions) {}

  get database(): Database {
    return this.options.database;
  }

  /** realtimeDebounceMs of every task of the stack: the throttle's window between real-time run starts. */
  get debounceMs(): number {
    return this.options.debounceMs ?? 300;
  }

  webhookUrl(taskId = this.upstreamId): string {
    return this.runtime.webhookUrl(taskId);
  }

  async start(): Promise<this> {
    const { env, bundle, database } = this.options;
    const debounceMs = this.debounceMs;
    [this.wecom, this.feishu, this.dingtalk] = await Promise.all([
      startWecomFake({ ...wecomCredentials, callback: { token: callbackKeys.token, encodingAesKey: callbackKeys.aesKey } }),
      startFeishuFake(feishuCredentials),
      startDingtalkFake(dingtalkCredentials),
    ]);

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

    this.runtime = await new SyncRuntime({ env, bundle, database, secretBox: this.secretBox, taskQueue: this.taskQueue, tracing: this.options.tracing }).start();
    return this;
  }

  /** A trigger straight to a task's workflow (signal-with-start), as the API's run button would. */
  trigger(taskId: string, request: TriggerRequest): Promise<void> {
    return this.runtime.trigger(taskId, request);
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

  runsOf(taskId: string, trigger?: 'realtime' | 'manual'): Promise<number> {
    return this.runtime.runsOf(taskId, trigger);
  }

  inboxRows(taskId = this.upstreamId): Promise<number> {
    return this.runtime.inboxRows(taskId);
  }

  async close(): Promise<void> {
    await this.runtime?.close();
    await Promise.all([this.wecom?.close(), this.feishu?.close(), this.dingtalk?.close()]);
  }
}
