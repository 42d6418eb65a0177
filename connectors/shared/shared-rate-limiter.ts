// One vendor budget per tenant across every worker process, held in Postgres (db/repos/rate-budgets.ts).
// A process reserves a small slice of permits at a time and spends it locally, so a call costs a
// statement only once per slice; a slice is good for `leaseMs` only, and what is left then goes back.
//
// Why that stays under the vendor's "at most `limit` in any `windowMs`": the database grants at most
// `limit` permits in any horizon of windowMs + leaseMs + margin, and a permit is spent within leaseMs
// of its grant, so the calls of any vendor window were granted within one horizon. Unlike a token
// bucket, an idle budget grants its whole limit at once (the vendor's first window is usable, as its
// own count allows); in steady state it gives windowMs / (windowMs + leaseMs + margin) of the rate
// (99.4% for a minute). A slice another process holds idle is unused for up to leaseMs.
import type { RateBudgetStore, WindowShape } from '../../db/repos/rate-budgets';
import { countRateLimitWait, realSleep, type RateLimiter, type RateLimiterFactory, type RateLimiterOptions } from './rate-limiter';

export interface SharedRateLimiterOptions extends RateLimiterOptions {
  store: RateBudgetStore;
  /** connector identity: every limiter of one tenant shares its budgets and its blocks */
  tenant: string;
  /** how long a reserved slice may be spent (default windowMs / 40, at most 250 ms) */
  leaseMs?: number;
}

interface Slice {
  left: number;
  expiresAt: number;
}

/** Slice, horizon and lease for a limit: see the header for why these numbers. */
export function sharedBudgetShape(limit: number, windowMs: number, leaseMs = Math.min(250, windowMs / 40)): WindowShape & { slice: number; leaseMs: number } {
  const slice = Math.max(1, Math.round((limit * leaseMs) / windowMs));
  // Network jitter between our clock and the vendor's count.
  const margin = Math.min(100, windowMs / 50);
  return { slice, leaseMs, limit, horizonMs: Math.ceil(windowMs + leaseMs + margin) };
}

export class SharedRateLimiter implements RateLimiter {
  private readonly shape: ReturnType<typeof sharedBudgetShape>;
  private readonly slices = new Map<string, Slice>();
  /** one reservation in flight per key: concurrent callers wait for it instead of each asking */
  private readonly reserving = new Map<string, Promise<number>>();
  private pausedUntil = 0;
  /** the write of a vendor block; the next acquire waits for it (and sees its failure) */
  private blockWrite?: Promise<void>;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: SharedRateLimiterOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new Error('rate limiter: limit must be a positive integer');
    if (!(options.windowMs > 0)) throw new Error('rate limiter: windowMs must be positive');
    this.shape = sharedBudgetShape(options.limit, options.windowMs, options.leaseMs);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
  }

  async acquire(key: string): Promise<void> {
    let waited = 0;
    for (;;) {
      if (this.blockWrite) {
        const write = this.blockWrite;
        this.blockWrite = undefined;
        await write;
      }
      const now = this.now();
      let wait = this.pausedUntil - now;
      if (wait <= 0) {
        const slice = this.slices.get(key);
        if (slice && slice.left > 0 && now < slice.expiresAt) {
          slice.left -= 1;
          break;
        }
        wait = await this.reserve(key);
      }
      if (wait > 0) {
        waited += wait;
        await this.sleep(wait);
      }
    }
    if (waited > 0) countRateLimitWait(this.options.name, 'window', waited);
  }

  pauseAll(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
    // The vendor says the budget is spent: held permits are dropped, not given back.
    for (const slice of this.slices.values()) slice.left = 0;
    this.slices.clear();
    countRateLimitWait(this.options.name, 'vendor', ms);
    const write = this.options.store.block(this.options.tenant, ms);
    write.catch(() => undefined); // observed by the next acquire
    this.blockWrite = write;
  }

  pausedFor(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }

  private budgetKey(key: string): string {
    return `${this.options.tenant}|${this.options.windowMs}|${key}`;
  }

  /** 0 when a slice was granted, else how long to wait before asking again. */
  private reserve(key: string): Promise<number> {
    let pending = this.reserving.get(key);
    if (!pending) {
      pending = this.takeSlice(key).finally(() => this.reserving.delete(key));
      this.reserving.set(key, pending);
    }
    return pending;
  }

  private async takeSlice(key: string): Promise<number> {
    const answer = await this.options.store.reserve(this.options.tenant, this.budgetKey(key), this.shape.slice, this.shape, this.now);
    if (answer.blockedMs > 0) {
      this.pausedUntil = Math.max(this.pausedUntil, answer.sentAt + answer.blockedMs);
      return answer.blockedMs;
    }
    // Slices held now may come back unused (within a lease): ask again within a 20th of the horizon
    // (3 s for a minute, 52 ms for a second), not only once the oldest grant lapses, nor every lease
    // (every few ms for a per-second budget).
    if (answer.granted === 0) return Math.max(1, Math.min(answer.waitMs, Math.max(this.shape.leaseMs, this.shape.horizonMs / 20)));
    const grantId = answer.grantId;
    // Counted from before the grant was asked for (under the key's lock): the database granted at or
    // after this, so the lease never outlives its bound however long the answer took to come back.
    const slice: Slice = { left: answer.granted, expiresAt: answer.sentAt + this.shape.leaseMs };
    this.slices.set(key, slice);
    const giveBack = setTimeout(() => {
      const unused = slice.left;
      slice.left = 0;
      if (unused > 0 && grantId) {
        // Best effort: a permit not returned is only a permit unused.
        this.options.store.giveBack(grantId, unused).catch(() => undefined);
      }
    }, Math.max(0, slice.expiresAt - this.now()));
    giveBack.unref?.();
    return 0;
  }
}

/** The limiters of one tenant's clients, all on the shared store. */
export function sharedRateLimiters(store: RateBudgetStore, tenant: string): RateLimiterFactory {
  return (options) => new SharedRateLimiter({ ...options, store, tenant });
}
