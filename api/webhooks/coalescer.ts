// In-flight batching: while one send is under way, everything pushed meanwhile waits and goes out
// together in the next send. A burst of N pushes costs about two sends, not N. With a minimum
// interval, sends also start at most that often: the first push goes at once (no added latency),
// and a storm costs one send per interval however fast the sends themselves are.

export interface Coalescer<T> {
  /** Resolves (or rejects) with the send that carries these items. */
  push(items: readonly T[]): Promise<void>;
  /** Resolves when everything pushed so far has been sent (failures included). */
  flush(): Promise<void>;
}

export interface CoalescerOptions {
  /** a send starts at least this long after the previous one started (default 0) */
  minIntervalMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createCoalescer<T>(send: (items: T[]) => Promise<void>, options: CoalescerOptions = {}): Coalescer<T> {
  const minIntervalMs = options.minIntervalMs ?? 0;
  let waiting: { items: T[]; done: Promise<void> } | undefined;
  let tail: Promise<void> = Promise.resolve();
  let lastStart = -Infinity;

  return {
    push(items) {
      if (waiting) {
        waiting.items.push(...items);
        return waiting.done;
      }
      const batch = { items: [...items], done: Promise.resolve() };
      batch.done = tail.then(async () => {
        // Pushes during this wait still join the batch.
        // A monotonic clock, and never more than one interval: a wall clock stepped back must not hold triggers.
        // setTimeout truncates fractional ms and may fire up to a millisecond early: sleep until due.
        const due = Math.min(lastStart + minIntervalMs, performance.now() + minIntervalMs);
        while (performance.now() < due) await sleep(Math.ceil(due - performance.now()));
        // From here on, new pushes form the next batch behind this one.
        if (waiting === batch) waiting = undefined;
        lastStart = performance.now();
        return send(batch.items);
      });
      waiting = batch;
      tail = batch.done.catch(() => undefined);
      return batch.done;
    },
    flush() {
      return tail;
    },
  };
}
