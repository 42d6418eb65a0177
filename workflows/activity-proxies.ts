/**
 * Activity stubs with their timeouts and retry policies. Transient errors retry (a vendor outage
 * delays a run, it does not fail it); activities mark permanent errors non-retryable, and a
 * retryable failure's `nextRetryDelay` (the vendor's wait hint) replaces the back-off for that
 * attempt. Every step is bounded (attempts and schedule-to-close): an attempt that dies the same
 * way each time (a bug, a worker starved by what it reads) must fail the run, whose row then says
 * why, not move from worker to worker forever. Every workflow takes its activities from here.
 */
import { ActivityCancellationType, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ActivityOptions, LocalActivityOptions, RetryPolicy } from '@temporalio/workflow';
import type { SyncActivities } from '../activities/types';

/**
 * Programming errors, which no retry cures: JavaScript's own (a bug), a zod schema refusing our own
 * stored data, a connector kind or task configuration the code does not know. Vendor failures
 * (VendorTransient, 5xx, rate limits, network) are not listed and keep retrying within the bound.
 */
export const programmingErrorTypes = ['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError', 'ZodError', 'ConnectorSettingsError', 'TaskConfigError'];

/** About 15 minutes of back-off (1 s doubling to 1 m), enough to ride out a vendor or database outage. */
const boundedRetry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20, nonRetryableErrorTypes: programmingErrorTypes };

/** Vendor writes resume from their heartbeated cursor, so they get longer: about 25 minutes of back-off. */
const writeRetry: RetryPolicy = { ...boundedRetry, maximumAttempts: 30 };

export const activityOptions: Record<'bookkeeping' | 'reading' | 'planning' | 'singleWrite' | 'writing' | 'notifying', ActivityOptions> = {
  /** Database-only steps: quick, so a hung attempt is abandoned soon; they heartbeat on a ticker, so a dead worker is noticed within 30 s. */
  bookkeeping: { startToCloseTimeout: '2m', heartbeatTimeout: '30s', scheduleToCloseTimeout: '1h', retry: boundedRetry },
  /** Reading whole directories from vendors; the activity heartbeats while it pages. */
  reading: { startToCloseTimeout: '30m', heartbeatTimeout: '1m', scheduleToCloseTimeout: '12h', retry: boundedRetry },
  /** Planning is CPU and database work (100k users plan in seconds); a ticker heartbeats, so a dead worker is noticed within a minute. */
  planning: { startToCloseTimeout: '10m', heartbeatTimeout: '1m', scheduleToCloseTimeout: '4h', retry: boundedRetry },
  /** One vendor call for one item (an approved deletion); heartbeats on a ticker like bookkeeping. */
  singleWrite: { startToCloseTimeout: '5m', heartbeatTimeout: '30s', scheduleToCloseTimeout: '2h', retry: boundedRetry },
  /** Steps that write to vendors: heartbeats detect a dead worker within 30 s, and the retry resumes from the cursor. */
  writing: { startToCloseTimeout: '1h', heartbeatTimeout: '30s', scheduleToCloseTimeout: '24h', retry: writeRetry },
  /** Run notifications: a robot's rate limit (20/min) or a mail server's 4xx passes within the half hour. */
  notifying: { startToCloseTimeout: '2m', scheduleToCloseTimeout: '30m', retry: { ...boundedRetry, initialInterval: '2s', maximumAttempts: 12 } },
};

export const bookkeeping = proxyActivities<SyncActivities>(activityOptions.bookkeeping);
export const reading = proxyActivities<SyncActivities>(activityOptions.reading);
export const planning = proxyActivities<SyncActivities>(activityOptions.planning);
export const singleWrite = proxyActivities<SyncActivities>(activityOptions.singleWrite);
export const writing = proxyActivities<SyncActivities>(activityOptions.writing);
export const notifying = proxyActivities<SyncActivities>(activityOptions.notifying);
/**
 * Vendor writes whose cancellation the workflow waits out: a cancelled batch settles only once its
 * attempt has stopped (the activity sees the cancel at its next heartbeat and lets its calls in
 * flight finish). Used by concurrent apply batches (workflows/sync-run.ts), so a cancelled or failed
 * run records its outcome with no batch still writing. Histories from before it keep `writing`.
 */
export const writingWaitingOnCancel = proxyActivities<SyncActivities>({
  ...activityOptions.writing,
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  // Eager dispatch hands every batch back to the worker that ran the workflow task: with several
  // worker processes, the batches in flight should go to whichever polls.
  allowEagerDispatch: false,
});

/**
 * Local activities: run by the worker that runs the workflow task, inside that task, so they cost
 * no round trip through the server (a real-time run's path had about 7 of them). Only short,
 * idempotent database bookkeeping belongs here: a local activity may run again after a worker died
 * between its end and the workflow task's, it cannot heartbeat, and while it runs the workflow task
 * stays open. Steps that heartbeat a cursor or may take long (snapshot, plan, applyBatch, staging
 * deletions, notifications) stay normal activities. A worker that dies mid-attempt is noticed by
 * the workflow task's timeout (10 s), and the next worker runs the attempt again.
 */
export type LocalBookkeepingActivities = Pick<SyncActivities, 'loadTaskForRun' | 'startRun' | 'finishRun'>;

export const localActivityOptions: Record<'bookkeeping', LocalActivityOptions> = {
  /** As `bookkeeping` above, without the heartbeat (local activities have none). */
  bookkeeping: { startToCloseTimeout: '2m', scheduleToCloseTimeout: '1h', retry: boundedRetry },
};

export const localBookkeeping = proxyLocalActivities<LocalBookkeepingActivities>(localActivityOptions.bookkeeping);

/** Patch id of the switch to local bookkeeping activities: histories from before it replay with normal ones. */
export const LOCAL_BOOKKEEPING_PATCH = 'bookkeeping-local-activities';
