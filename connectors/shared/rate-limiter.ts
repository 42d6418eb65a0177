// Sliding-window limiter per API key (e.g. per path): at most `limit` calls in any `windowMs`.
// One vendor rate-limit answer pauses every key, because the vendor's quota is the tenant's.
// It holds within one process: the fallback when no database is given (unit tests, the CLI's
// connection test); runs share one budget across workers (./shared-rate-limiter.ts).

import { rateLimitWaits, rateLimitWaitSeconds } from '../../telemetry/metrics';

export interface RateLimiterOptions {
  /** the connector kind, for the rate-limit wait metrics */
  name?: string;
  limit: number;
  windowMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** What a client needs of a limiter: the in-process one below or the shared one. */
export interface RateLimiter {
  /** Waits until a call on `key` fits the budget, then counts it. */
  acquire(key: string): Promise<void>;
  /** After a vendor rate-limit answer: every key of the tenant waits `ms`. */
  pauseAll(ms: number): void;
  /** Remaining pause in ms (0 when not paused). */
  pausedFor(): number;
}

/** Builds a client's limiters; a connector gets one bound to its tenant from its definition's create() context. */
export type RateLimiterFactory = (options: RateLimiterOptions) => RateLimiter;

export const inProcessRateLimiters: RateLimiterFactory = (options) => new SlidingWindowRateLimiter(options);

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SlidingWindowRateLimiter implements RateLimiter {
  private readonly calls = new Map<string, number[]>();
  private pausedUntil = 0;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RateLimiterOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new Error('rate limiter: limit must be a positive integer');
    if (!(options.windowMs > 0)) throw new Error('rate limiter: windowMs must be positive');
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
  }

  /** Waits until a call on `key` fits in the window, then records it. */
  async acquire(key: string): Promise<void> {
    let waited = 0;
    for (;;) {
      const wait = this.tryAcquire(key);
      if (wait === 0) break;
      waited += wait;
      await this.sleep(wait);
    }
    if (waited > 0) this.count('window', waited);
  }

  /** Records the call and returns 0 when it fits, else how long to wait before trying again. */
  tryAcquire(key: string): number {
    const now = this.now();
    if (now < this.pausedUntil) return this.pausedUntil - now;
    const log = this.calls.get(key) ?? [];
    const windowStart = now - this.options.windowMs;
    while (log.length > 0 && log[0] <= windowStart) log.shift();
    if (log.length < this.options.limit) {
      log.push(now);
      this.calls.set(key, log);
      return 0;
    }
    return Math.max(1, log[0] + this.options.windowMs - now);
  }

  /** After a vendor rate-limit answer: every key waits `ms` (the longest pause wins). */
  pauseAll(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    this.count('vendor', ms);
  }

  private count(cause: 'window' | 'vendor', ms: number): void {
    countRateLimitWait(this.options.name, cause, ms);
  }

  /** Remaining pause in ms (0 when not paused). */
  pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }
}

/** A short window's permit older than this when the long window lets the call go is taken again. */
export const STALE_PERMIT_MS = 10;

/**
 * One call under a vendor's per-second and per-minute limits. The per-second permit comes first and
 * is taken again whenever the per-minute limit made the call wait: a permit held through that wait
 * (up to a minute, or a vendor block) would be spent long after it was counted, and the callers
 * parked there would all go out together when the wait ends, over the per-second limit.
 */
export async function acquirePerSecondAndMinute(perSecond: RateLimiter, perMinute: RateLimiter, key: string, now: () => number = Date.now): Promise<void> {
  for (;;) {
    await perSecond.acquire(key);
    const held = now();
    await perMinute.acquire(key);
    if (now() - held <= STALE_PERMIT_MS) return;
  }
}

/** window: a call waited for room in the budget; vendor: a rate-limit answer paused every call (and the retry) this long. */
export function countRateLimitWait(name: string | undefined, cause: 'window' | 'vendor', ms: number): void {
  const labels = { connector: name ?? 'unknown', cause };
  rateLimitWaits.inc(labels);
  rateLimitWaitSeconds.inc(labels, ms / 1000);
}
