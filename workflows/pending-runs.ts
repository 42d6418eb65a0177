/**
 * How triggers coalesce into the next run of a task. Pure functions: the task workflow and plain
 * unit tests use them alike.
 *
 * - Triggers with changed ids (real-time events, or a manual retry of a run's failed items) union
 *   their ids; any trigger without ids makes the pending run full, which covers every partial one.
 * - A dry run is kept apart from real runs: it must apply nothing, and a real trigger must never
 *   be lost inside one.
 * - The label shown in run results is the strongest trigger merged in: manual > schedule > realtime.
 * - A `coalesced` trigger (hub writes of an upstream run, already debounced upstream) neither opens
 *   nor slides a debounce window: a run made only of such triggers starts at once.
 * - Real-time runs are throttled on their leading edge (throttleDeadline): the first event starts
 *   its run at once, and the events arriving while it runs make one next run, which starts when
 *   that run ends but never sooner than `realtimeDebounceMs` after it started. debounceDeadline (a
 *   sliding window) is the form histories from before that change replay with.
 */
import type { RunTrigger } from '../activities/types';
import type { PendingRun, PendingRuns, TriggerRequest } from './definitions';

/** Beyond this many changed ids a real-time run becomes a full one, keeping history small. */
export const MAX_CHANGED_IDS = 1000;

const TRIGGER_RANK: Record<RunTrigger, number> = { realtime: 0, schedule: 1, manual: 2 };

/** Requesters kept per run: enough to tell who asked, small enough for history. */
export const MAX_REQUESTERS = 20;
const MAX_REQUESTER_LENGTH = 200;
/**
 * Stands for the requesters past MAX_REQUESTERS: nobody can tell whether an approver is one of
 * them, so on a task with requireSecondApprover it refuses everyone's execute (api/second-approver.ts).
 */
export const REQUESTERS_OVERFLOW = '*overflow*';

/** At most MAX_REQUESTERS entries; past that, the last one is REQUESTERS_OVERFLOW (never a silent drop). */
export function capRequesters(requesters: readonly string[]): string[] {
  if (requesters.length <= MAX_REQUESTERS) return [...requesters];
  return [...requesters.filter((r) => r !== REQUESTERS_OVERFLOW).slice(0, MAX_REQUESTERS - 1), REQUESTERS_OVERFLOW];
}

/** Who asked for a trigger that does not say: the trigger itself (a manual one came straight through Temporal). */
export function defaultRequester(trigger: RunTrigger): string {
  return trigger === 'manual' ? 'temporal' : trigger;
}

export function validateTrigger(request: TriggerRequest): TriggerRequest {
  if (!request || !(request.trigger in TRIGGER_RANK)) {
    throw new TypeError(`trigger: expected one of manual, schedule, realtime, got ${JSON.stringify(request?.trigger)}`);
  }
  if (request.changedIds !== undefined && (!Array.isArray(request.changedIds) || request.changedIds.some((id) => typeof id !== 'string' || id === ''))) {
    throw new TypeError('changedIds: expected an array of non-empty strings');
  }
  if (request.dryRun !== undefined && typeof request.dryRun !== 'boolean') {
    throw new TypeError('dryRun: expected a boolean');
  }
  if (request.coalesced !== undefined && typeof request.coalesced !== 'boolean') {
    throw new TypeError('coalesced: expected a boolean');
  }
  if (request.requestedBy !== undefined && (typeof request.requestedBy !== 'string' || request.requestedBy === '' || request.requestedBy.length > MAX_REQUESTER_LENGTH)) {
    throw new TypeError(`requestedBy: expected a non-empty string of at most ${MAX_REQUESTER_LENGTH} characters`);
  }
  return request;
}

function isFullRequest(request: TriggerRequest): boolean {
  return !request.changedIds || request.changedIds.length === 0;
}

/** Merges one trigger into the pending run of its kind; `newRunId` names the run if none waits yet. */
export function mergeTrigger(pending: PendingRuns, request: TriggerRequest, newRunId: string, now: number): { pending: PendingRuns; runId: string; coalesced: boolean } {
  const slot = request.dryRun ? 'dry' : 'real';
  const existing = pending[slot];
  const full = (existing?.full ?? false) || isFullRequest(request);
  let changedIds: string[] = [];
  if (!full) {
    const union = new Set(existing?.changedIds ?? []);
    for (const id of request.changedIds ?? []) union.add(id);
    changedIds = [...union];
  }
  const overflow = changedIds.length > MAX_CHANGED_IDS;
  const requester = request.requestedBy ?? defaultRequester(request.trigger);
  const known = existing?.requestedBy ?? [];
  const requestedBy = known.includes(requester) || known.includes(REQUESTERS_OVERFLOW) ? known : capRequesters([...known, requester]);
  const coalesced = request.coalesced === true && (existing === undefined || existing.coalesced === true);
  // A coalesced trigger joining a debounced run leaves its window where the last plain trigger put it.
  const debouncedTriggerAt = request.coalesced === true && existing && !coalesced ? (existing.debouncedTriggerAt ?? existing.lastTriggerAt) : undefined;
  const merged: PendingRun = {
    runId: existing?.runId ?? newRunId,
    trigger: existing && TRIGGER_RANK[existing.trigger] >= TRIGGER_RANK[request.trigger] ? existing.trigger : request.trigger,
    dryRun: slot === 'dry',
    full: full || overflow,
    changedIds: full || overflow ? [] : changedIds,
    firstTriggerAt: existing?.firstTriggerAt ?? now,
    lastTriggerAt: now,
    ...(coalesced ? { coalesced: true } : {}),
    ...(debouncedTriggerAt !== undefined ? { debouncedTriggerAt } : {}),
    requestedBy,
  };
  return { pending: { ...pending, [slot]: merged }, runId: merged.runId, coalesced: existing !== undefined };
}

/** The run to start next: real runs first, then a dry one. */
export function nextPendingRun(pending: PendingRuns): PendingRun | undefined {
  return pending.real ?? pending.dry;
}

export function withoutRun(pending: PendingRuns, runId: string): PendingRuns {
  return {
    real: pending.real?.runId === runId ? undefined : pending.real,
    dry: pending.dry?.runId === runId ? undefined : pending.dry,
  };
}

/**
 * When a pending run may start: a manual or scheduled one, or one of only coalesced triggers, at
 * once; a real-time one after `debounceMs` without a new (non-coalesced) trigger, but never later
 * than `maxDelayFactor` debounce windows after its first trigger, so a steady stream of events
 * cannot starve it.
 */
export function debounceDeadline(run: PendingRun, debounceMs: number, maxDelayFactor = 10): number {
  if (run.trigger !== 'realtime' || run.coalesced === true) return run.firstTriggerAt;
  const slidFrom = run.debouncedTriggerAt ?? run.lastTriggerAt;
  return Math.min(slidFrom + debounceMs, run.firstTriggerAt + debounceMs * maxDelayFactor);
}

/**
 * When a pending run may start, leading-edge form: at once, unless it is a real-time run (of plain,
 * not only coalesced, triggers) and a run of the task started less than `debounceMs` ago; then
 * when that window ends. The window is fixed by the previous start, so a steady stream of events
 * cannot slide it: under any event rate a task starts at most one real-time run per window, and
 * every event waits at most one window (plus the running run) for its run.
 */
export function throttleDeadline(run: PendingRun, debounceMs: number, lastRunStartedAt: number | undefined): number {
  if (run.trigger !== 'realtime' || run.coalesced === true || lastRunStartedAt === undefined) return run.firstTriggerAt;
  return Math.max(run.firstTriggerAt, lastRunStartedAt + debounceMs);
}
