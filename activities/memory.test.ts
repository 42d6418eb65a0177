// When the worker's full collections run (activities/memory.ts): above the threshold, and only once
// the heap has grown by half since what the last one left.
import { fullGarbageCollector } from './memory';

const MB = 1048576;

test('collects above the threshold, then only once the heap has grown by half over what the last collection left', () => {
  let used = 100 * MB;
  let collections = 0;
  const collect = fullGarbageCollector(128, {
    used: () => used,
    collect: () => {
      collections++;
      used = 160 * MB; // what is live
    },
  });
  collect();
  expect(collections).toBe(0); // below 128 MB: a small run
  used = 300 * MB;
  collect();
  expect(collections).toBe(1);
  // 160 MB live: a worker whose live heap is large does not collect after every batch.
  used = 230 * MB;
  collect();
  expect(collections).toBe(1);
  used = 241 * MB;
  collect();
  expect(collections).toBe(2);
});

test('the real collector runs in this process without a global gc left behind', () => {
  const collect = fullGarbageCollector(0);
  let garbage: unknown[] | undefined = Array.from({ length: 1e5 }, (_, i) => ({ i }));
  garbage = undefined;
  expect(garbage).toBeUndefined();
  collect();
  expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
});
