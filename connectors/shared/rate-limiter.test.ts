import { SlidingWindowRateLimiter } from './rate-limiter';

function clock() {
  let now = 1_000_000;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('SlidingWindowRateLimiter', () => {
  it('admits `limit` calls per window per key, then says how long to wait', () => {
    const c = clock();
    const limiter = new SlidingWindowRateLimiter({ limit: 3, windowMs: 1000, now: c.now });
    expect([limiter.tryAcquire('a'), limiter.tryAcquire('a'), limiter.tryAcquire('a')]).toEqual([0, 0, 0]);
    expect(limiter.tryAcquire('a')).toBe(1000);
    expect(limiter.tryAcquire('b')).toBe(0);
    c.advance(400);
    expect(limiter.tryAcquire('a')).toBe(600);
    c.advance(600);
    expect(limiter.tryAcquire('a')).toBe(0);
  });

  it('never lets more than `limit` calls into any window while acquiring', async () => {
    const c = clock();
    const limiter = new SlidingWindowRateLimiter({ limit: 5, windowMs: 1000, now: c.now, sleep: c.sleep });
    const times: number[] = [];
    for (let i = 0; i < 23; i += 1) {
      await limiter.acquire('path');
      times.push(c.now());
    }
    for (const t of times) expect(times.filter((u) => u > t - 1000 && u <= t).length).toBeLessThanOrEqual(5);
    expect(times[22] - times[0]).toBeGreaterThanOrEqual(4000);
  });

  it('pauses every key after a vendor rate-limit answer', () => {
    const c = clock();
    const limiter = new SlidingWindowRateLimiter({ limit: 100, windowMs: 1000, now: c.now });
    limiter.pauseAll(5000);
    limiter.pauseAll(1000);
    expect(limiter.tryAcquire('x')).toBe(5000);
    expect(limiter.pausedFor()).toBe(5000);
    c.advance(5000);
    expect(limiter.tryAcquire('y')).toBe(0);
  });

  it('refuses a nonsensical limit', () => {
    expect(() => new SlidingWindowRateLimiter({ limit: 0, windowMs: 1000 })).toThrow('limit');
  });
});
