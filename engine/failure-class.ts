// Why a run failed, as a small fixed set recorded on the run (sync_runs.failure_class): what
// notifications (credentials_failing), the API and dashboards act on, never the error's text. It is
// read from the connectors' typed errors (VendorError's result class, the one the vendor-call
// metrics count) as the step failures carry it (activities/vendor-failure.ts), and from the failure
// types the activities raise for bad settings. Pure: the sync-run workflow imports it.
import type { VendorResult } from '../connectors/errors';

export const runFailureClasses = ['auth', 'rate_limit', 'network', 'vendor', 'config', 'internal'] as const;
/**
 * auth: the vendor refused the credentials or token; rate_limit: still rate limited after the
 * retries; network: no usable answer (network, timeout, 5xx, not JSON); vendor: the vendor refused
 * the request otherwise; config: the task's settings (bad input, a host not allowed, secrets that
 * cannot be opened); internal: anything else (a bug, a worker lost).
 */
export type RunFailureClass = (typeof runFailureClasses)[number];

/** A vendor call's result class as a run's failure class. */
export function failureClassOfVendorResult(result: Exclude<VendorResult, 'ok'>, vendorCode?: string): RunFailureClass {
  switch (result) {
    case 'auth_failed':
      return 'auth';
    case 'rate_limited':
      return 'rate_limit';
    case 'transport_error':
      return 'network';
    case 'blocked':
      return 'config';
    case 'refused':
      return vendorCode === 'invalid_input' ? 'config' : 'vendor';
  }
}

/** How many of a run's failed items carry each class (null: none, e.g. failed by the plan or recorded before items had one). */
export interface FailedItemClassCount {
  failureClass: RunFailureClass | null;
  count: number;
}

/**
 * A run that failed (or partially failed) by its items, not by a step: the class most of its failed
 * items share, so a run whose every write was refused for its credentials is 'auth' (and counts
 * towards credentials_failing) whatever else it wrote. Items without a class count as unknown, and
 * unknown wins a tie: null unless some class is carried by more failed items than carry none (an
 * alert such as credentials_failing is raised on evidence, not on half of it). Classes tied for the
 * most: the first in runFailureClasses (auth, rate_limit, network, vendor, config, internal).
 */
export function failureClassOfFailedItems(counts: readonly FailedItemClassCount[]): RunFailureClass | null {
  const by = new Map<RunFailureClass | null, number>();
  for (const { failureClass, count } of counts) by.set(failureClass, (by.get(failureClass) ?? 0) + count);
  let best: RunFailureClass | null = null;
  let most = by.get(null) ?? 0;
  for (const failureClass of runFailureClasses) {
    const n = by.get(failureClass) ?? 0;
    if (n > most) [best, most] = [failureClass, n];
  }
  return best;
}

export function isRunFailureClass(value: unknown): value is RunFailureClass {
  return typeof value === 'string' && (runFailureClasses as readonly string[]).includes(value);
}

/** Failure types the activities and workflows raise for a task's own settings. */
const configFailureTypes = new Set(['InvalidConfig', 'InvalidInput']);
/** Vendor failures without a recorded class (raised by a build before the class existed). */
const vendorFailureTypes = new Set(['VendorPermanent', 'VendorTransient', 'VendorError']);

interface FailureLike {
  type?: unknown;
  details?: unknown;
  cause?: unknown;
}

/**
 * A run's failure class from what the workflow caught (an ActivityFailure wrapping the step's
 * ApplicationFailure, or an ApplicationFailure of its own): the class the failure's details carry,
 * else one read from its type; internal when nothing says more.
 */
export function failureClassOf(error: unknown): RunFailureClass {
  const chain: FailureLike[] = [];
  for (let e: unknown = error; e && typeof e === 'object' && chain.length < 10; e = (e as FailureLike).cause) chain.push(e as FailureLike);
  // The innermost failure is the step's own; wrappers (ActivityFailure, ChildWorkflowFailure) carry no type.
  for (const failure of chain.reverse()) {
    const details = Array.isArray(failure.details) ? failure.details : [];
    const recorded = (details[0] as { failureClass?: unknown } | undefined)?.failureClass;
    if (isRunFailureClass(recorded)) return recorded;
    if (typeof failure.type === 'string') {
      if (configFailureTypes.has(failure.type)) return 'config';
      if (vendorFailureTypes.has(failure.type)) return 'vendor';
    }
  }
  return 'internal';
}
