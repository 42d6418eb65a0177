// Hostile field-mapping expressions (issue 11): each must end within a bound, fail only the users
// it was evaluated for with a message naming the expression, and leave the main thread free —
// a timer ticking alongside proves the event loop kept running (heartbeats, the API).
import { compileFieldMapping, mapUsers, type FieldMappingEntry } from './field-mapping';
import { person } from './testing/directory-world';

/** Runs `work` while a 20 ms timer ticks; reports how long it took and the longest gap between ticks. */
async function withTicker<T>(work: () => Promise<T>): Promise<{ result: T; elapsedMs: number; longestGapMs: number }> {
  let last = Date.now();
  let longestGapMs = 0;
  const ticker = setInterval(() => {
    const now = Date.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 20);
  const started = Date.now();
  try {
    const result = await work();
    longestGapMs = Math.max(longestGapMs, Date.now() - last);
    return { result, elapsedMs: Date.now() - started, longestGapMs };
  } finally {
    clearInterval(ticker);
  }
}

const users = Array.from({ length: 6 }, (_, i) => person(`s${i}`, { email: `User${i}@Corp.Example` }));

async function mapHostile(expression: string) {
  const entries: FieldMappingEntry[] = [{ target: 'name', source: 'name' }, { target: 'title', expression }];
  return withTicker(() => mapUsers(compileFieldMapping(entries), users));
}

describe('a hostile field-mapping expression', () => {
  it.each([
    ['catastrophic regex backtracking (ReDoS)', `$match("${'a'.repeat(40)}!", /(a+)+$/)`, /^title: fieldMapping\.1\.expression (exceeded its 1000 ms budget|was not evaluated: it exceeded its budget 3 times in this mapping)$/],
    ['unbounded tail recursion', '($loop := function($x) { $loop($x + 1) }; $loop(0))', /^title: fieldMapping\.1\.expression (exceeded its 1000 ms budget|was not evaluated: it exceeded its budget 3 times in this mapping)$/],
    ['unbounded deep recursion', '($deep := function($x) { 1 + $deep($x + 1) }; $deep(0))', /^title: fieldMapping\.1\.expression (exceeded its stack budget|exceeded its 1000 ms budget|was not evaluated)/],
    ['a range explosion', '$count([1..1e7].[1..1e7])', /^title: fieldMapping\.1\.expression (built a sequence longer than|exceeded its)/],
  ])('%s fails each user with a clear error, within a bound, with the event loop free', async (_what, expression, reason) => {
    const { result, elapsedMs, longestGapMs } = await mapHostile(expression);
    expect(result.users).toEqual([]);
    expect(result.failures).toHaveLength(users.length);
    for (const failure of result.failures) expect(failure).toMatchObject({ entity: 'user', field: 'title', reason: expect.stringMatching(reason) });
    // Three budgets at most (then the expression is no longer evaluated), plus thread restarts.
    expect(elapsedMs).toBeLessThan(8000);
    expect(longestGapMs).toBeLessThan(500);
  });

  it('leaves the sandbox answering the next mapping', async () => {
    await mapHostile(`$match("${'a'.repeat(40)}!", /(a+)+$/)`);
    const { result, longestGapMs } = await withTicker(() => mapUsers(compileFieldMapping([{ target: 'email', expression: '$lowercase(email)' }]), users));
    expect(result.failures).toEqual([]);
    expect(result.users.map((u) => u.email)).toEqual(users.map((_, i) => `user${i}@corp.example`));
    expect(longestGapMs).toBeLessThan(500);
  });

  it('maps 10k users through the sandbox in batches, quickly', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => person(`u${i}`, { email: `U${i}@X.Example`, name: `User ${i}` }));
    const compiled = compileFieldMapping([{ target: 'email', expression: '$lowercase(email)' }, { target: 'attributes.display', expression: 'name & " <" & email & ">"' }]);
    const progress: number[] = [];
    const { result, elapsedMs, longestGapMs } = await withTicker(() => mapUsers(compiled, many, { onProgress: (done) => progress.push(done) }));
    expect(result.failures).toEqual([]);
    expect(result.users[9_999]).toMatchObject({ email: 'u9999@x.example', attributes: { display: 'User 9999 <U9999@X.Example>' } });
    // One message per batch of users, not one round trip per user: about 0.5 s on an idle core.
    expect(progress.length).toBeLessThanOrEqual(60);
    expect(progress.at(-1)).toBe(10_000);
    expect(elapsedMs).toBeLessThan(8000);
    expect(longestGapMs).toBeLessThan(500);
  });
});
