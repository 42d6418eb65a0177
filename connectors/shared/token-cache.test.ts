import { AccessTokenCache } from './token-cache';

describe('AccessTokenCache', () => {
  it('shares one fetch between concurrent callers', async () => {
    let fetches = 0;
    const cache = new AccessTokenCache({
      fetchToken: async () => {
        fetches += 1;
        await new Promise((r) => setTimeout(r, 20));
        return { token: `t${fetches}`, expiresInSeconds: 7200 };
      },
    });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => cache.get()));
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    expect(fetches).toBe(1);
  });

  it('refreshes a margin before expiry', async () => {
    let now = 0;
    let fetches = 0;
    const cache = new AccessTokenCache({ fetchToken: async () => ({ token: `t${++fetches}`, expiresInSeconds: 7200 }), refreshMarginMs: 300_000, now: () => now });
    expect(await cache.get()).toBe('t1');
    now = 7200_000 - 300_001;
    expect(await cache.get()).toBe('t1');
    now = 7200_000 - 300_000;
    expect(await cache.get()).toBe('t2');
  });

  it('invalidates only the stale token it is told about', async () => {
    let fetches = 0;
    const cache = new AccessTokenCache({ fetchToken: async () => ({ token: `t${++fetches}`, expiresInSeconds: 7200 }) });
    const first = await cache.get();
    cache.invalidate(first);
    expect(await cache.get()).toBe('t2');
    cache.invalidate(first); // a late failure with the old token must not throw away the new one
    expect(await cache.get()).toBe('t2');
    cache.invalidate();
    expect(await cache.get()).toBe('t3');
  });

  it('lets a failed fetch be retried by the next caller', async () => {
    let fail = true;
    const cache = new AccessTokenCache({
      fetchToken: async () => {
        if (fail) throw new Error('down');
        return { token: 'ok', expiresInSeconds: 60 };
      },
    });
    await expect(cache.get()).rejects.toThrow('down');
    fail = false;
    expect(await cache.get()).toBe('ok');
  });
});
