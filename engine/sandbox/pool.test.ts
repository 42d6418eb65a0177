// The pool's own bookkeeping under hostile timing: work an expression leaves running after its
// evaluation returned, replies that race a kill, and several mappings sharing the threads.
import { createExpressionSandbox, type ExpressionSandbox } from './pool';

const label = 'fieldMapping.0.expression';

/** Resolves with `work`'s answer, or with 'TIMEOUT' after `ms`. */
function within<T>(ms: number, work: Promise<T>): Promise<T | 'TIMEOUT'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'TIMEOUT'>((resolve) => (timer = setTimeout(() => resolve('TIMEOUT'), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

describe('expression sandbox pool', () => {
  let sandbox: ExpressionSandbox;
  beforeEach(() => {
    sandbox = createExpressionSandbox({ workers: 1 });
  });
  afterEach(async () => {
    await sandbox.close();
  });

  // JSONata's array constructor evaluates its items with Promise.all: when one throws, evaluate()
  // returns while the others still run as microtasks, here into a regex that never yields.
  it('a branch left running after its evaluation failed is still watched; the next mapping answers', async () => {
    const detached = `[$error("boom"), ($n := $count($map([1..2000], function($v){$v})); $match("${'a'.repeat(34)}!", /(a+)+$/))]`;
    const first = await within(10_000, sandbox.evaluate([{ text: detached, label }], [{ name: 'x' }]));
    expect(first).not.toBe('TIMEOUT');
    expect(first).toEqual([{ ok: false, expression: 0, message: expect.stringMatching(/^fieldMapping\.0\.expression (failed: boom|exceeded its 1000 ms budget)$/) }]);
    const next = await within(5_000, sandbox.evaluate([{ text: '$uppercase(name)', label }], [{ name: 'bob' }]));
    expect(next).toEqual([{ ok: true, values: ['BOB'] }]);
  });

  // The main thread stalls (a large parse, GC) past the budget while the worker answers: the pool's
  // check runs before the answer is read. The worker did nothing wrong and keeps its batch's answer;
  // no new batch goes to a worker the pool is ending.
  it('a reply that comes in while the pool decides to end a worker is kept, and the worker is not handed more', async () => {
    const first = sandbox.evaluate([{ text: '$uppercase(name)', label }], [{ name: 'ann' }]);
    const second = sandbox.evaluate([{ text: '$lowercase(name)', label }], [{ name: 'BOB' }]);
    await first;
    const third = sandbox.evaluate([{ text: '$uppercase(name)', label }], [{ name: 'cy' }]);
    // Blocked in the check phase, so timers (the pool's watchdog) run before the answer is read.
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        const stallUntil = Date.now() + 2000;
        while (Date.now() < stallUntil) {
          // the main thread is blocked: the worker answers meanwhile
        }
        resolve();
      }),
    );
    expect(await within(5000, second)).toEqual([{ ok: true, values: ['bob'] }]);
    expect(await within(5000, third)).toEqual([{ ok: true, values: ['CY'] }]);
    expect(sandbox.stats()).toMatchObject({ workersStarted: 1, batchesResent: 0 });
  });
});
