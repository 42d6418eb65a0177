// Hub changes fan out: every change to the hub (an API write, or an upstream run writing through
// the hub connector) becomes a real-time trigger of each enabled downstream task with real time on,
// for the touched hub ids. Pass the result as ApiDeps.onHubChange and ActivityDeps.onHubChange.
//
// It never holds up the write that reported the change: ids are queued and sent in the background,
// coalesced while a send is in flight. A change lost to a crash before its signal is caught by the
// task's scheduled full run, the safety net of every real-time path.
//
// Changes made inside `holdDuring` (the worker wraps every activity in it, see
// hubFanoutActivityInterceptor) are held until that activity ends and then sent at once as one
// `coalesced` trigger per task: they come from a run, so they were debounced upstream already, and
// the downstream task starts without a second window. API writes keep the task's debounce.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { Database } from '../db/client';
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
  (events: ChangeEvent[]): Promise<void>;
  /** Resolves when every change reported so far has been signalled (or has failed); for shutdown and tests. */
  flush(): Promise<void>;
  /**
   * Runs `work`, holding back the hub changes reported inside it; when it settles (failed too: its
   * committed writes are real), they go out together as coalesced triggers, without waiting for them.
   */
  holdDuring<T>(work: () => Promise<T>): Promise<T>;
}

export function createHubFanout(deps: HubFanoutDeps): HubFanout {
  const sendTo = (coalesced: boolean) => async (ids: string[]) => {
    const tasks = await loadRealtimeDownstreamTasks(deps.database.db);
    const results = await Promise.allSettled(tasks.map((task) => deps.signaller.signal(task, ids, { coalesced })));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${tasks[i].id}: ${(r.reason as Error)?.message ?? String(r.reason)}`] : []));
    if (failed.length > 0) throw new Error(`hub change fan-out failed for ${failed.length} task(s): ${failed.join('; ')}`);
  };
  const plain = createCoalescer<string>(sendTo(false));
  const coalesced = createCoalescer<string>(sendTo(true));
  const held = new AsyncLocalStorage<{ ids: Set<string>; open: boolean }>();
  const report = (ids: readonly string[], coalescedIds: boolean) => {
    (coalescedIds ? coalesced : plain).push(ids).catch((error: unknown) => deps.onError?.(error));
  };

  const fanout = (events: ChangeEvent[]): Promise<void> => {
    if (events.length === 0) return Promise.resolve();
    const holding = held.getStore();
    // A change reported after its activity ended (work it left behind) goes out the plain way, never lost.
    if (holding?.open) for (const event of events) holding.ids.add(event.id);
    else report(events.map((e) => e.id), false);
    return Promise.resolve();
  };
  return Object.assign(fanout, {
    flush: async () => {
      await Promise.all([plain.flush(), coalesced.flush()]);
    },
    async holdDuring<T>(work: () => Promise<T>): Promise<T> {
      const holding = { ids: new Set<string>(), open: true };
      try {
        return await held.run(holding, work);
      } finally {
        holding.open = false;
        if (holding.ids.size > 0) report([...holding.ids], true);
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
