import { acquirePerSecondAndMinute, SlidingWindowRateLimiter, STALE_PERMIT_MS } from './rate-limiter';
import { busiestWindow } from './test-helpers';

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

describe('acquirePerSecondAndMinute', () => {
  it('takes the per-second permit again after a per-minute wait: callers parked there do not go out together over the per-second limit', async () => {
    const perSecond = new SlidingWindowRateLimiter({ limit: 10, windowMs: 1_000 });
    const perMinute = new SlidingWindowRateLimiter({ limit: 1_000, windowMs: 60_000 });
    // A vendor block on the per-minute budget parks every caller in it for 1.2 s.
    perMinute.pauseAll(1_200);
    const calls: number[] = [];
    const until = Date.now() + 2_600;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (Date.now() < until) {
          await acquirePerSecondAndMinute(perSecond, perMinute, '/contact');
          calls.push(Date.now());
        }
      }),
    );
    // Calls go out up to STALE_PERMIT_MS after their per-second permit was counted: windows that much shorter.
    const busiest = busiestWindow(calls, 1_000 - STALE_PERMIT_MS);
    // Taking the two one after another, 20 permits held through the block (10 before it, 10 a window
    // later) went out at 1.2 s at once.
    expect(busiest).toBeLessThanOrEqual(10);
    expect(calls.length).toBeGreaterThan(0);
  });
});
