// Delivery of the hub-change outbox: rows the fast path (api/hub-fanout.ts) never acknowledged —
// the process died between commit and signal, or Temporal was away — are signalled to every
// enabled downstream real-time task by signal-with-start, and deleted only once all of them hold
// the change. A failed send backs off exponentially; rows are claimed with a lease, so any number
// of drainers (API and worker processes) can run at once.
import type { Database } from '../db/client';
import { claimDueHubChanges, deferHubChanges, deleteHubChanges, type OutboxRow } from '../db/repos/hub-change-outbox';
import type { RealtimeSignaller } from './webhooks/realtime-signal';
import { loadRealtimeDownstreamTasks } from './webhooks/tasks';

export interface HubOutboxDrainDeps {
  database: Database;
  signaller: RealtimeSignaller;
}

export interface HubOutboxDrainOptions {
  /** rows per claim (and at most this many ids per signal); default 500 */
  batchSize?: number;
  /** claims per drain, so one drain is bounded too; default 20 */
  maxBatches?: number;
  /** rows younger than this are left to the fast path; default 60 s (an activity holds its changes until it ends) */
  graceMs?: number;
  /** how long a claim hides its rows from other drainers; default 60 s */
  leaseMs?: number;
  /** back-off after a failed send; default 5 s doubling up to 5 min */
  backoff?: { initialMs: number; maxMs: number };
}

export interface HubOutboxDrainResult {
  /** rows every task now holds */
  signalled: number;
  /** rows kept for a later drain because a signal failed */
  failed: number;
}

/** Ids per actor, in first-seen order (the actor reaches the run as its requester). */
function idsByActor(rows: readonly OutboxRow[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const row of rows) groups.set(row.actor, [...(groups.get(row.actor) ?? []), row.hubId]);
  return groups;
}

/** One bounded drain; never throws for a failed signal. */
export async function drainHubOutbox(deps: HubOutboxDrainDeps, options: HubOutboxDrainOptions = {}): Promise<HubOutboxDrainResult> {
  const db = deps.database.db;
  const limit = options.batchSize ?? 500;
  const claim = { limit, graceMs: options.graceMs ?? 60_000, leaseMs: options.leaseMs ?? 60_000 };
  const backoff = options.backoff ?? { initialMs: 5_000, maxMs: 300_000 };
  const result: HubOutboxDrainResult = { signalled: 0, failed: 0 };
  for (let batch = 0; batch < (options.maxBatches ?? 20); batch++) {
    const rows = await claimDueHubChanges(db, claim);
    if (rows.length === 0) break;
    const ids = rows.map((r) => r.id);
    const tasks = await loadRealtimeDownstreamTasks(db);
    const groups = [...idsByActor(rows)];
    // They waited out the grace period already: no second debounce window downstream.
    const sends = await Promise.allSettled(tasks.flatMap((task) => groups.map(([actor, hubIds]) => deps.signaller.signal(task, hubIds, { coalesced: true, requestedBy: actor }))));
    const errors = sends.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error)?.message ?? String(s.reason)] : []));
    if (errors.length > 0) {
      // Tasks that did get the signal get it again next time: harmless, triggers union their ids.
      await deferHubChanges(db, ids, `signal failed for ${errors.length} of ${sends.length}: ${[...new Set(errors)].join('; ')}`, backoff);
      result.failed += rows.length;
      break; // Temporal is likely away: leave the rest for the next drain
    }
    await deleteHubChanges(db, ids);
    result.signalled += rows.length;
    if (rows.length < limit) break;
  }
  return result;
}

export interface HubOutboxDrainerOptions extends HubOutboxDrainDeps, HubOutboxDrainOptions {
  /** default 10 s */
  intervalMs?: number;
  onResult?: (result: HubOutboxDrainResult) => void;
  onError?: (error: unknown) => void;
}

/** Drains now and then every `intervalMs`; `stop()` waits for a drain in progress. */
export function startHubOutboxDrainer(options: HubOutboxDrainerOptions): { firstDrain: Promise<void>; stop(): Promise<void> } {
  let stopped = false;
  const once = async () => {
    try {
      // Drain first: `onResult?.(await drain())` would skip the drain itself when nobody listens.
      const result = await drainHubOutbox(options, options);
      options.onResult?.(result);
    } catch (error) {
      options.onError?.(error); // the database away: the next tick tries again
    }
  };
  let running = once();
  const firstDrain = running;
  const timer = setInterval(() => {
    if (!stopped) running = running.then(once);
  }, options.intervalMs ?? 10_000);
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
