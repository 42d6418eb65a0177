// The notifyRun activity: after a run finishes, announce what it raised (failed, partially failed,
// deletions or guard-held changes waiting, credentials failing) on every channel of the task and
// every global channel. Each (run, event, channel) is sent once: deliveries are recorded, and a
// retry (Temporal's, after a channel's transient failure) sends only what is still missing.
import { ApplicationFailure } from '@temporalio/common';
import { and, count, desc, eq, inArray } from 'drizzle-orm';
import { createNotificationChannels, recordDelivery, wasDelivered } from '../db/repos/notification-channels';
import { pendingDeletions, syncRuns, syncTasks } from '../db/schema';
import { composeMessage, runEvents, type NotificationEvent, type RunFacts } from '../engine/notifications';
import type { ActivityDeps } from './deps';
import { activityLog } from '../telemetry/log';
import { NotificationSendError, sendNotification } from './notifications/senders';

const deleteActions = ['DeleteUser', 'DeleteDepartment'];
/** The longest streak counted; a threshold above it never fires (the settings schema caps it at 100). */
const streakWindow = 100;

export interface NotifyRunResult {
  sent: number;
  alreadySent: number;
}

export function createNotifyRunActivity(deps: ActivityDeps) {
  const db = () => deps.database.db;

  async function runFacts(runId: string): Promise<RunFacts | undefined> {
    const [run] = await db()
      .select({ id: syncRuns.id, taskId: syncRuns.taskId, trigger: syncRuns.trigger, status: syncRuns.status, error: syncRuns.error, failureClass: syncRuns.failureClass, counters: syncRuns.counters, dryRun: syncRuns.dryRun, taskName: syncTasks.name })
      .from(syncRuns)
      .innerJoin(syncTasks, eq(syncTasks.id, syncRuns.taskId))
      .where(eq(syncRuns.id, runId));
    if (!run) return undefined;
    const staged = await db()
      .select({ action: pendingDeletions.action, n: count() })
      .from(pendingDeletions)
      .where(and(eq(pendingDeletions.runId, runId), eq(pendingDeletions.status, 'PENDING')))
      .groupBy(pendingDeletions.action);
    const pendingDeletes = staged.filter((s) => deleteActions.includes(s.action)).reduce((n, s) => n + s.n, 0);
    const guardHeld = staged.filter((s) => !deleteActions.includes(s.action)).reduce((n, s) => n + s.n, 0);
    // Runs in a row, newest first, that failed to authenticate (their recorded failure class, from the
    // connector's typed error, never the error's text): a step refused, or the writes refused (a
    // partially failed run whose failed items were auth and that wrote nothing: one account the app
    // refuses with a 403 while the rest are written is not failing credentials); dry runs
    // authenticate too. Runs recorded before the class existed have none: they end a streak like any
    // other failure.
    const authFailed = (r: { status: string; failureClass: string | null; counters: Record<string, number> }) =>
      r.failureClass === 'auth' && (r.status === 'failed' || (r.status === 'partially_failed' && !(r.counters.succeeded > 0)));
    let credentialFailures = 0;
    if (authFailed(run)) {
      const recent = await db()
        .select({ id: syncRuns.id, status: syncRuns.status, failureClass: syncRuns.failureClass, counters: syncRuns.counters })
        .from(syncRuns)
        .where(and(eq(syncRuns.taskId, run.taskId), inArray(syncRuns.status, ['succeeded', 'partially_failed', 'failed'])))
        .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
        .limit(streakWindow);
      for (const r of recent) {
        if (authFailed(r)) credentialFailures++;
        else if (r.id !== run.id) break;
      }
    }
    return { taskId: run.taskId, taskName: run.taskName, runId, trigger: run.trigger, status: run.status, error: run.error, counters: run.counters, pendingDeletes, guardHeld, credentialFailures, publicUrl: deps.publicUrl };
  }

  return async function notifyRun({ runId }: { runId: string }): Promise<NotifyRunResult> {
    const log = activityLog();
    const result: NotifyRunResult = { sent: 0, alreadySent: 0 };
    if (!deps.secretBox) return result;
    const facts = await runFacts(runId);
    if (!facts) return result;
    const events = runEvents(facts);
    if (events.length === 0) return result;
    const channels = await createNotificationChannels(db(), { secretBox: deps.secretBox }).forTask(facts.taskId);
    const failures: NotificationSendError[] = [];
    for (const channel of channels) {
      for (const event of events) {
        if (!channel.events.includes(event)) continue;
        if (event === 'credentials_failing' && facts.credentialFailures % channel.settings.credentialFailureThreshold !== 0) continue;
        const delivery = { runId, event: event as NotificationEvent, channelId: channel.id };
        if (await wasDelivered(db(), delivery)) {
          result.alreadySent++;
          continue;
        }
        try {
          await sendNotification(channel, composeMessage(event, facts));
          await recordDelivery(db(), delivery);
          result.sent++;
          log.info({ event, channelId: channel.id, channelKind: channel.kind }, 'notification sent');
        } catch (err) {
          if (!(err instanceof NotificationSendError)) throw err;
          log.warn({ event, channelId: channel.id, channelKind: channel.kind, error: err.message }, 'notification failed');
          failures.push(err);
        }
      }
    }
    if (failures.length > 0) {
      // Retried unless every failure is a refusal (bad key, bad signature): those need the channel fixed.
      throw ApplicationFailure.create({ type: 'NotificationFailed', message: failures.map((f) => f.message).join('; '), nonRetryable: failures.every((f) => !f.transient) });
    }
    return result;
  };
}
