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
