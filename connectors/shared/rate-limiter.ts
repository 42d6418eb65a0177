// Sliding-window limiter per API key (e.g. per path): at most `limit` calls in any `windowMs`.
// One vendor rate-limit answer pauses every key, because the vendor's quota is the tenant's.
// It holds within one process; across workers Temporal's task-queue rate limit is the guard.

export interface RateLimiterOptions {
  limit: number;
  windowMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class SlidingWindowRateLimiter {
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
    for (;;) {
      const wait = this.tryAcquire(key);
      if (wait === 0) return;
      await this.sleep(wait);
    }
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
  }

  /** Remaining pause in ms (0 when not paused). */
  pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }
}
