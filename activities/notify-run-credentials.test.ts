// credentials_failing counts the runs in a row whose recorded failure class is auth (sync_runs.
// failure_class, from the connector's typed error), never what the error's text says: on PGlite and
// Postgres, with the notifyRun activity sending to a signed webhook receiver.
import { randomUUID } from 'node:crypto';
import { createActivities } from '.';
import { createNotificationChannels } from '../db/repos/notification-channels';
import { syncRuns, syncTasks } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import type { RunFailureClass } from '../engine/failure-class';
import { describeOnBothDatabases } from '../test/support/databases';
import { startNotificationReceivers, type RobotCredentials, type RunningReceivers } from '../test/support/notification-receivers';

const creds: RobotCredentials = { wecomKey: 'wk', feishuToken: 'ft', feishuSecret: 'fs', dingtalkToken: 'dt', dingtalkSecret: 'SECdt', webhookSecret: `whs-${randomUUID()}` };
const secretBox = createSecretBox(Buffer.alloc(32, 7));
let receivers: RunningReceivers;

beforeAll(async () => {
  receivers = await startNotificationReceivers(creds);
});
afterAll(async () => {
  await receivers?.close();
});

describeOnBothDatabases('credentials_failing from the failure class', (ctx) => {
  let taskId: string;
  let clock = Date.UTC(2026, 0, 1);

  beforeAll(async () => {
    taskId = `task-${randomUUID()}`;
    await ctx.database.db.insert(syncTasks).values({ id: taskId, name: 'HR to WeCom', direction: 'downstream', connectorKind: 'wecom', config: {} as never, secretsSealed: secretBox.seal({}) });
    // Threshold 1: every run in an auth streak is announced, with its streak length.
    await createNotificationChannels(ctx.database.db, { secretBox }).create(
      { name: 'SIEM', taskId, kind: 'webhook', events: ['credentials_failing'], settings: { credentialFailureThreshold: 1 }, secrets: { url: receivers.urls.webhook, signingSecret: creds.webhookSecret } },
      'token:admin:test',
    );
  });

  /** A finished run of the task, one minute after the previous one, then notifyRun for it. */
  async function run(status: 'failed' | 'partially_failed' | 'succeeded', error: string | null, failureClass: RunFailureClass | null, counters: Record<string, number> = {}): Promise<{ runId: string; streak: number | undefined }> {
    const runId = randomUUID();
    clock += 60_000;
    await ctx.database.db.insert(syncRuns).values({ id: runId, taskId, trigger: 'schedule', status, error, failureClass, counters, startedAt: new Date(clock), finishedAt: new Date(clock + 1000) });
    await createActivities({ database: ctx.database, secretBox }).notifyRun({ runId });
    const message = receivers.received.find((m) => m.kind === 'webhook' && (m.body as { runId?: string }).runId === runId);
    return { runId, streak: (message?.body as { details?: { consecutiveFailures?: number } } | undefined)?.details?.consecutiveFailures };
  }

  test('an auth failure whose message names no credential counts; a non-auth failure talking of tokens does not; old runs without a class do not break it', async () => {
    // A run recorded before the column existed (failure_class null), with the very text the old matcher knew.
    expect((await run('failed', 'WeCom /gettoken failed: 40001 invalid credential', null)).streak).toBeUndefined();
    // An auth refusal whose message has no keyword at all.
    expect((await run('failed', 'Acme /session failed: E1234 computer says no', 'auth')).streak).toBe(1);
    expect((await run('failed', 'Acme /session failed: E1234 computer says no', 'auth')).streak).toBe(2);
    // A vendor refusal whose text mentions token and credential: no message, and it ends the streak.
    expect((await run('failed', 'WeCom /user/get failed: 60111 invalid credential? token not the problem', 'vendor')).streak).toBeUndefined();
    expect((await run('failed', 'HTTP 401 bad credentials', 'network')).streak).toBeUndefined();
    expect((await run('failed', 'E1234', 'auth')).streak).toBe(1);
    // A success ends it too; the null-class run before it never counted.
    await run('succeeded', null, null);
    expect((await run('failed', 'E1234', 'auth')).streak).toBe(1);
  });

  test('a partially failed run whose failed writes were refused for the credentials counts; one failed otherwise ends the streak', async () => {
    await run('succeeded', null, null);
    expect((await run('partially_failed', null, 'auth')).streak).toBe(1);
    expect((await run('failed', 'E1234', 'auth')).streak).toBe(2);
    expect((await run('partially_failed', null, 'auth')).streak).toBe(3);
    expect((await run('partially_failed', null, 'vendor')).streak).toBeUndefined();
    expect((await run('partially_failed', null, 'auth')).streak).toBe(1);
  });

  test('a partially failed run that wrote something is not a credentials failure, whatever its failed items were refused for', async () => {
    // One account the app refuses to touch (a 403 on the owner, every run) while the rest are written.
    await run('succeeded', null, null);
    expect((await run('partially_failed', null, 'auth', { succeeded: 40, failed: 1, skipped: 0 })).streak).toBeUndefined();
    expect((await run('partially_failed', null, 'auth', { succeeded: 40, failed: 1, skipped: 0 })).streak).toBeUndefined();
    expect((await run('partially_failed', null, 'auth', { succeeded: 40, failed: 1, skipped: 0 })).streak).toBeUndefined();
    // Nothing written: the department refused, its members skipped.
    expect((await run('partially_failed', null, 'auth', { succeeded: 0, failed: 1, skipped: 5 })).streak).toBe(1);
  });
});
