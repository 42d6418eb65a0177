// Hub changes fan out: every change to the hub (an API write, or an upstream run writing through
// the hub connector) becomes a real-time trigger of each enabled downstream task with real time on,
// for the touched hub ids. Pass the result as ApiDeps.onHubChange and ActivityDeps.onHubChange.
//
// It never holds up the write that reported the change: ids are queued and sent in the background,
// coalesced while a send is in flight. This is the fast path: every hub write also left rows in the
// hub_change_outbox in its own transaction, deleted here once every task holds the change. A change
// lost to a crash or a failed send stays in the outbox for the drainer (api/hub-outbox-drain.ts).
//
// Changes made inside `holdDuring` (the worker wraps every activity in it, see
// hubFanoutActivityInterceptor) are held until that activity ends and then sent at once as one
// `coalesced` trigger per task: they come from a run, so they were debounced upstream already, and
// the downstream task starts without a second window. API writes keep the task's debounce.
//
// Each change keeps the actor of its write, and reaches the downstream run as its requester: a
// principal who edits the hub cannot then approve the deletes their edit staged downstream.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Database } from '../db/client';
import type { ChangeOrigin } from '../db/repos/hub-directory';
import { deleteHubChanges } from '../db/repos/hub-change-outbox';
import type { ChangeEvent } from '../engine/model';
import { createCoalescer } from './webhooks/coalescer';
import type { RealtimeSignaller } from './webhooks/realtime-signal';
import { loadRealtimeDownstreamTasks } from './webhooks/tasks';

export interface HubFanoutDeps {
  database: Database;
  signaller: RealtimeSignaller;
  /** a failed lookup or signal; the message carries task ids, never a secret */
  onError?: (error: unknown) => void;
}

export interface HubFanout {
  (events: ChangeEvent[], origin?: ChangeOrigin): Promise<void>;
  /** Resolves when every change reported so far has been signalled (or has failed); for shutdown and tests. */
  flush(): Promise<void>;
  /**
   * Runs `work`, holding back the hub changes reported inside it; when it settles (failed too: its
   * committed writes are real), they go out together as coalesced triggers, without waiting for them.
   */
  holdDuring<T>(work: () => Promise<T>): Promise<T>;
}

/** A changed hub id and who changed it (absent when the reporter did not say). */
interface Change {
  id: string;
  actor?: string;
  /** its hub_change_outbox row, when the write came through the hub writer */
  outboxId?: number;
}

/** Ids per actor, in first-seen order. */
function byActor(changes: readonly Change[]): Map<string | undefined, string[]> {
  const groups = new Map<string | undefined, string[]>();
  for (const { id, actor } of changes) {
    const ids = groups.get(actor);
    if (ids) ids.push(id);
    else groups.set(actor, [id]);
  }
  return groups;
}

export function createHubFanout(deps: HubFanoutDeps): HubFanout {
  const sendTo = (coalesced: boolean) => async (changes: Change[]) => {
    const tasks = await loadRealtimeDownstreamTasks(deps.database.db);
    const groups = [...byActor(changes)];
    const results = await Promise.allSettled(
      tasks.map((task) => Promise.all(groups.map(([actor, ids]) => deps.signaller.signal(task, ids, { coalesced, ...(actor ? { requestedBy: actor } : {}) })))),
    );
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${tasks[i].id}: ${(r.reason as Error)?.message ?? String(r.reason)}`] : []));
    if (failed.length > 0) throw new Error(`hub change fan-out failed for ${failed.length} task(s): ${failed.join('; ')}`);
    // Every task holds the change: its outbox rows are done. A crash before this delete only means a
    // second, harmless signal from the drainer (triggers union their ids).
    await deleteHubChanges(deps.database.db, changes.flatMap((c) => (c.outboxId === undefined ? [] : [c.outboxId])));
  };
  const plain = createCoalescer<Change>(sendTo(false));
  const coalesced = createCoalescer<Change>(sendTo(true));
  const held = new AsyncLocalStorage<{ changes: Change[]; open: boolean }>();
  const report = (changes: readonly Change[], coalescedIds: boolean) => {
    (coalescedIds ? coalesced : plain).push(changes).catch((error: unknown) => deps.onError?.(error));
  };

  const fanout = (events: ChangeEvent[], origin?: ChangeOrigin): Promise<void> => {
    if (events.length === 0) return Promise.resolve();
    const changes = events.map(
      (e, i): Change => ({ id: e.id, ...(origin?.actor ? { actor: origin.actor } : {}), ...(origin?.outboxIds?.[i] !== undefined ? { outboxId: origin.outboxIds[i] } : {}) }),
    );
    const holding = held.getStore();
    // A change reported after its activity ended (work it left behind) goes out the plain way, never lost.
    if (holding?.open) holding.changes.push(...changes);
    else report(changes, false);
    return Promise.resolve();
  };
  return Object.assign(fanout, {
    flush: async () => {
      await Promise.all([plain.flush(), coalesced.flush()]);
    },
    async holdDuring<T>(work: () => Promise<T>): Promise<T> {
      const holding = { changes: [] as Change[], open: true };
      try {
        return await held.run(holding, work);
      } finally {
        holding.open = false;
        // The signaller de-duplicates ids (realtimeTrigger).
        if (holding.changes.length > 0) report(holding.changes, true);
      }
    },
  });
}

/**
 * Worker interceptor: each activity's hub changes (an upstream run's applyBatch, an approved
 * deletion) reach downstream tasks in one coalesced signal when the activity ends.
 */
export function hubFanoutActivityInterceptor(fanout: Pick<HubFanout, 'holdDuring'>): ActivityInterceptorsFactory {
  return () => ({ inbound: { execute: (input, next) => fanout.holdDuring(() => next(input)) } });
}
