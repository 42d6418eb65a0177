// Hub changes fan out: every change to the hub (an API write, or an upstream run writing through
// the hub connector) becomes a real-time trigger of each enabled downstream task with real time on,
// for the touched hub ids. Pass the result as ApiDeps.onHubChange and ActivityDeps.onHubChange.
//
// It never holds up the write that reported the change: ids are queued and sent in the background,
// coalesced while a send is in flight. A change lost to a crash before its signal is caught by the
// task's scheduled full run, the safety net of every real-time path.
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
}

export function createHubFanout(deps: HubFanoutDeps): HubFanout {
  const coalescer = createCoalescer<string>(async (ids) => {
    const tasks = await loadRealtimeDownstreamTasks(deps.database.db);
    const results = await Promise.allSettled(tasks.map((task) => deps.signaller.signal(task, ids)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${tasks[i].id}: ${(r.reason as Error)?.message ?? String(r.reason)}`] : []));
    if (failed.length > 0) throw new Error(`hub change fan-out failed for ${failed.length} task(s): ${failed.join('; ')}`);
  });
  const fanout = (events: ChangeEvent[]): Promise<void> => {
    if (events.length > 0) coalescer.push(events.map((e) => e.id)).catch((error: unknown) => deps.onError?.(error));
    return Promise.resolve();
  };
  return Object.assign(fanout, { flush: () => coalescer.flush() });
}
