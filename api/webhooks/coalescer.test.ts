import { createCoalescer } from './coalescer';

const tick = () => new Promise((resolve) => setImmediate(resolve));

it('sends the first push at once and everything pushed during that send together next', async () => {
  const sends: number[][] = [];
  let release: () => void = () => undefined;
  const coalescer = createCoalescer<number>(async (items) => {
    sends.push(items);
    if (sends.length === 1) await new Promise<void>((resolve) => (release = resolve));
  });
  const first = coalescer.push([1]);
  await tick();
  const later = [2, 3, 4].map((n) => coalescer.push([n]));
  await tick();
  expect(sends).toEqual([[1]]);
  release();
  await Promise.all([first, ...later]);
  expect(sends).toEqual([[1], [2, 3, 4]]);
});

it('rejects only the pushes of a failed send, and keeps sending afterwards', async () => {
  let fail = true;
  const coalescer = createCoalescer<string>(async () => {
    if (fail) throw new Error('down');
  });
  await expect(coalescer.push(['a'])).rejects.toThrow('down');
  fail = false;
  await expect(coalescer.push(['b'])).resolves.toBeUndefined();
  await expect(coalescer.flush()).resolves.toBeUndefined();
});

it('with a minimum interval, a storm of pushes costs one send per interval and the first push goes at once', async () => {
  const starts: number[] = [];
  const sent: number[] = [];
  const coalescer = createCoalescer<number>(
    async (items) => {
      starts.push(performance.now());
      sent.push(...items);
    },
    { minIntervalMs: 100 },
  );
  // The coalescer's own clock (monotonic, fractional ms): Date.now() truncates, and 98 ms was seen.
  const began = performance.now();
  const pushes: Promise<void>[] = [];
  // Sends are instant here: without the interval every push would be a send of its own.
  for (let i = 0; i < 500; i++) {
    pushes.push(coalescer.push([i]));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pushes);
  const elapsed = performance.now() - began;
  expect(starts[0] - began).toBeLessThan(50);
  expect(starts.length).toBeLessThanOrEqual(Math.ceil(elapsed / 100) + 1);
  // Each start is at least the interval after the one before (by its clock; 98.9 ms was seen while the
  // coalescer slept a truncated, early-firing setTimeout); the starts are taken a few µs after it.
  for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(99.9);
  expect(sent.sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i));
});
