// One cached access token per credential: fetched once however many callers ask at the same time,
// refreshed a margin before it expires, and dropped when the vendor says it is no longer valid.

export interface IssuedToken {
  token: string;
  expiresInSeconds: number;
}

export interface AccessTokenCacheOptions {
  fetchToken: () => Promise<IssuedToken>;
  /** refresh this long before the vendor's expiry (default 5 min, capped at half the lifetime) */
  refreshMarginMs?: number;
  now?: () => number;
}

export class AccessTokenCache {
  private current?: { token: string; refreshAt: number };
  private inFlight?: Promise<string>;
  private readonly now: () => number;

  constructor(private readonly options: AccessTokenCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  async get(): Promise<string> {
    if (this.current && this.now() < this.current.refreshAt) return this.current.token;
    // Single flight: concurrent callers share the one fetch under way.
    this.inFlight ??= this.refresh().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Drops the cached token; with `staleToken`, only if it is still the cached one (so parallel failures refetch once). */
  invalidate(staleToken?: string): void {
    if (staleToken === undefined || this.current?.token === staleToken) this.current = undefined;
  }

  private async refresh(): Promise<string> {
    const issued = await this.options.fetchToken();
    const lifetimeMs = Math.max(0, issued.expiresInSeconds * 1000);
    const margin = Math.min(this.options.refreshMarginMs ?? 5 * 60_000, lifetimeMs / 2);
    this.current = { token: issued.token, refreshAt: this.now() + lifetimeMs - margin };
    return issued.token;
  }
}
