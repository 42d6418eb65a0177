// Crash recovery of the webhook inbox: rows stored but never signalled (the process died, or
// Temporal was away) are signalled again. Run on API start and then periodically.
import type { Database } from '../../db/client';
import { deleteInboxRows, listUnsignalledInbox, markInboxSignalled, pruneSignalledInbox, type InboxRow } from '../../db/repos/webhook-inbox';
import type { RealtimeSignaller } from './realtime-signal';
import { loadLiveTasks } from './tasks';

export interface InboxDrainDeps {
  database: Database;
  signaller: RealtimeSignaller;
}

export interface InboxDrainResult {
  /** rows whose task's workflow now holds their trigger */
  signalled: number;
  /** rows of deleted tasks, removed */
  dropped: number;
  /** rows left for the next drain because their signal failed */
  failed: number;
}

/** Signals every unsignalled inbox row, one signal per task per page; never throws for a failed signal. */
export async function drainWebhookInbox(deps: InboxDrainDeps, options: { pageSize?: number } = {}): Promise<InboxDrainResult> {
  const db = deps.database.db;
  const pageSize = options.pageSize ?? 500;
  const result: InboxDrainResult = { signalled: 0, dropped: 0, failed: 0 };
  for (let afterId = 0; ; ) {
    const rows = await listUnsignalledInbox(db, pageSize, afterId);
    if (rows.length === 0) return result;
    afterId = rows[rows.length - 1].id;
    const byTask = new Map<string, InboxRow[]>();
    for (const row of rows) byTask.set(row.taskId, [...(byTask.get(row.taskId) ?? []), row]);
    const tasks = new Map((await loadLiveTasks(db, [...byTask.keys()])).map((t) => [t.id, t]));
    await Promise.all(
      [...byTask].map(async ([taskId, taskRows]) => {
        const ids = taskRows.map((r) => r.id);
        const task = tasks.get(taskId);
        if (!task) {
          await deleteInboxRows(db, ids);
          result.dropped += ids.length;
          return;
        }
        try {
          await deps.signaller.signal(task, taskRows.flatMap((r) => r.changes.map((c) => c.id)));
          await markInboxSignalled(db, ids);
          result.signalled += ids.length;
        } catch {
          result.failed += ids.length;
        }
      }),
    );
    if (rows.length < pageSize) return result;
  }
}

export interface InboxDrainerOptions extends InboxDrainDeps {
  /** default 30 s */
  intervalMs?: number;
  /** signalled rows older than this are forgotten; default 7 days (Feishu retries for 6 h) */
  retentionMs?: number;
  onResult?: (result: InboxDrainResult) => void;
  onError?: (error: unknown) => void;
}

/** Drains now and then every `intervalMs`; `stop()` waits for a drain in progress. */
export function startWebhookInboxDrainer(options: InboxDrainerOptions): { firstDrain: Promise<void>; stop(): Promise<void> } {
  const intervalMs = options.intervalMs ?? 30_000;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const once = async () => {
    try {
      const result = await drainWebhookInbox(options);
      options.onResult?.(result);
      await pruneSignalledInbox(options.database.db, new Date(Date.now() - retentionMs));
    } catch (error) {
      options.onError?.(error);
    }
  };
  running = once();
  const firstDrain = running;
  const timer = setInterval(() => {
    if (!stopped) running = running.then(once);
  }, intervalMs);
  timer.unref();
  return {
    firstDrain,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
