// Real-time triggers for a task's workflow: signal-with-start of `sync-task:<id>` with
// {trigger:'realtime', changedIds}. Only ids travel, never a payload or a secret. Signals to one
// task are coalesced while one is in flight, so a burst of events costs a few signals, not one each.
import type { Client } from '@temporalio/client';
import {
  ConnectorKindKey,
  SyncDirectionKey,
  SyncTaskIdKey,
  taskWorkflowId,
  triggerSignal,
  type SyncTaskInput,
  type TriggerRequest,
} from '../../workflows/definitions';
import { MAX_CHANGED_IDS } from '../../workflows/pending-runs';
import type { syncTaskWorkflow } from '../../workflows/sync-task';
import { createCoalescer, type Coalescer } from './coalescer';

/** What a signal-with-start needs to know about a task: its id and its search-attribute labels. */
export interface RealtimeTask {
  id: string;
  direction: string;
  connectorKind: string;
}

export interface RealtimeSignalOptions {
  /** The ids were already coalesced (hub writes of a run): the task starts without a debounce window. */
  coalesced?: boolean;
  /** Who made the change (a hub write's actor); absent for vendor webhooks, whose runs say 'realtime'. */
  requestedBy?: string;
}

export interface RealtimeSignaller {
  /** Resolves once the task's workflow holds a real-time trigger covering these source ids. */
  signal(task: RealtimeTask, changedIds: readonly string[], options?: RealtimeSignalOptions): Promise<void>;
  /** Resolves when every signal asked for so far has been sent or has failed. */
  flush(): Promise<void>;
}

/** The trigger for a set of ids; too many for one history event becomes a full run (no ids). */
export function realtimeTrigger(changedIds: readonly string[], options: RealtimeSignalOptions = {}): TriggerRequest {
  const unique = [...new Set(changedIds)];
  return {
    trigger: 'realtime',
    changedIds: unique.length > MAX_CHANGED_IDS ? [] : unique,
    ...(options.coalesced ? { coalesced: true } : {}),
    ...(options.requestedBy ? { requestedBy: options.requestedBy } : {}),
  };
}

/**
 * Signals to one task start at most this often per process. Each signal (up to MAX_CHANGED_IDS ids,
 * ~13 kB) is a history event of the task's workflow, which the server accepts whether or not a
 * worker keeps up: unthrottled, a webhook storm grew one history by tens of MB before the workflow
 * could continue-as-new. At this rate a storm adds at most ~65 kB a second per API process.
 */
export const SIGNAL_MIN_INTERVAL_MS = 200;

/** Coalesces per task (and per kind of trigger) around any `send`; tests pass a recording one. */
export function createCoalescingSignaller(
  send: (task: RealtimeTask, trigger: TriggerRequest) => Promise<void>,
  options: { minIntervalMs?: number } = {},
): RealtimeSignaller {
  const minIntervalMs = options.minIntervalMs ?? SIGNAL_MIN_INTERVAL_MS;
  interface Entry {
    task: RealtimeTask;
    coalescer: Coalescer<string>;
  }
  // Coalesced and plain ids never share a signal: a plain one must keep its debounce window. Nor do
  // ids of different requesters: each must reach the run's requesters (api/second-approver.ts).
  const perTask = new Map<string, Entry>();
  const entryFor = (task: RealtimeTask, options: RealtimeSignalOptions): Entry => {
    const key = JSON.stringify([options.coalesced === true, task.id, options.requestedBy ?? null]);
    const existing = perTask.get(key);
    if (existing) {
      existing.task = task; // the latest labels win
      return existing;
    }
    const trigger = { coalesced: options.coalesced === true, requestedBy: options.requestedBy };
    const entry: Entry = { task, coalescer: createCoalescer<string>((ids) => send(entry.task, realtimeTrigger(ids, trigger)), { minIntervalMs }) };
    perTask.set(key, entry);
    return entry;
  };
  return {
    signal(task, changedIds, options = {}) {
      return entryFor(task, options).coalescer.push(changedIds);
    },
    async flush() {
      await Promise.all([...perTask.values()].map((entry) => entry.coalescer.flush()));
    },
  };
}

/** The Temporal side: signal-with-start, so a task whose workflow is not running yet gets one. */
export function createRealtimeSignaller(client: Client, options: { taskQueue: string; minIntervalMs?: number }): RealtimeSignaller {
  return createCoalescingSignaller(async (task, trigger) => {
    await client.workflow.signalWithStart<typeof syncTaskWorkflow, [TriggerRequest]>('syncTaskWorkflow', {
      workflowId: taskWorkflowId(task.id),
      taskQueue: options.taskQueue,
      args: [{ taskId: task.id } satisfies SyncTaskInput],
      typedSearchAttributes: [
        { key: SyncTaskIdKey, value: task.id },
        { key: SyncDirectionKey, value: task.direction },
        { key: ConnectorKindKey, value: task.connectorKind },
      ],
      signal: triggerSignal,
      signalArgs: [trigger],
    });
  }, options);
}
