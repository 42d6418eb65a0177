/**
 * Activity stubs with their timeouts and retry policies. Transient errors retry (a vendor outage
 * delays a run, it does not fail it); activities mark permanent errors non-retryable, and a
 * retryable failure's `nextRetryDelay` (the vendor's wait hint) replaces the back-off for that
 * attempt. Reading and planning are bounded: an attempt that dies the same way each time (a worker
 * starved or killed by what it reads) must fail the run, not move from worker to worker forever.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/workflow';
import type { SyncActivities } from '../activities/types';

const retry: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' };

/** About 15 minutes of back-off (1 s doubling to 1 m), enough to ride out a vendor or database outage. */
const boundedRetry: RetryPolicy = { ...retry, maximumAttempts: 20 };

/** Database-only steps: quick, so a hung attempt is abandoned soon. */
export const bookkeeping = proxyActivities<SyncActivities>({ startToCloseTimeout: '2m', retry });

/** Reading whole directories from vendors; the activity heartbeats while it pages. */
export const reading = proxyActivities<SyncActivities>({ startToCloseTimeout: '30m', heartbeatTimeout: '1m', retry: boundedRetry });

/** Planning is CPU and database work (100k users plan in seconds); it does not heartbeat. */
export const planning = proxyActivities<SyncActivities>({ startToCloseTimeout: '10m', retry: boundedRetry });

/** One vendor call for one item (an approved deletion). */
export const singleWrite = proxyActivities<SyncActivities>({ startToCloseTimeout: '5m', retry });

/** Steps that write to vendors: heartbeats detect a dead worker within 30 s, and the retry resumes from the cursor. */
export const writing = proxyActivities<SyncActivities>({ startToCloseTimeout: '1h', heartbeatTimeout: '30s', retry });
