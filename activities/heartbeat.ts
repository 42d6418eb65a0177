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

/**
 * Heartbeats every `everyMs` while `work` runs, for CPU-and-database steps with no natural progress
 * points (planning): a worker killed mid-step is then noticed within the heartbeat timeout, not
 * only when the step's whole start-to-close timeout runs out. `details` (a resume cursor) goes with each beat.
 */
export async function withHeartbeats<T>(work: () => Promise<T>, everyMs = 5_000, details?: () => unknown): Promise<T> {
  heartbeat(details?.());
  const ticker = setInterval(() => heartbeat(details?.()), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(ticker);
  }
}

/** The details of the last attempt's heartbeat, for a retried attempt to resume from. */
export function lastHeartbeat<T>(): T | undefined {
  return context()?.info.heartbeatDetails as T | undefined;
}

/** Aborted when Temporal cancels the activity (worker shutting down, heartbeat timed out); undefined outside an activity. */
export function cancellationSignal(): AbortSignal | undefined {
  return context()?.cancellationSignal;
}

let lastLocalToken = 0;

/**
 * Which attempt this is, for the apply fence: when Temporal scheduled this attempt, then its number
 * (a retry, or a new activity for the same batch, is always scheduled later). Outside an activity
 * (unit tests calling it directly) each call counts as a newer attempt than the last.
 */
export function attemptIdentity(): { scheduledAtMs: number; attempt: number } {
  const info = context()?.info;
  if (info) return { scheduledAtMs: info.currentAttemptScheduledTimestampMs ?? 0, attempt: info.attempt };
  lastLocalToken = Math.max(Date.now(), lastLocalToken + 1);
  return { scheduledAtMs: lastLocalToken, attempt: 0 };
}
