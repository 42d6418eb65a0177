// Heartbeats that also work when an activity function is called outside a worker (unit tests).
import { Context } from '@temporalio/activity';

function context(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Records progress (the SDK throttles the calls); a no-op outside an activity. */
export function heartbeat(details?: unknown): void {
  context()?.heartbeat(details);
}

/** The details of the last attempt's heartbeat, for a retried attempt to resume from. */
export function lastHeartbeat<T>(): T | undefined {
  return context()?.info.heartbeatDetails as T | undefined;
}

/** Aborted when Temporal cancels the activity (worker shutting down, heartbeat timed out); undefined outside an activity. */
export function cancellationSignal(): AbortSignal | undefined {
  return context()?.cancellationSignal;
}
