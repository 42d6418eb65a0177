// In-flight batching: while one send is under way, everything pushed meanwhile waits and goes out
// together in the next send. A burst of N pushes costs about two sends, not N, and adds no timer.

export interface Coalescer<T> {
  /** Resolves (or rejects) with the send that carries these items. */
  push(items: readonly T[]): Promise<void>;
  /** Resolves when everything pushed so far has been sent (failures included). */
  flush(): Promise<void>;
}

export function createCoalescer<T>(send: (items: T[]) => Promise<void>): Coalescer<T> {
  let waiting: { items: T[]; done: Promise<void> } | undefined;
  let tail: Promise<void> = Promise.resolve();

  return {
    push(items) {
      if (waiting) {
        waiting.items.push(...items);
        return waiting.done;
      }
      const batch = { items: [...items], done: Promise.resolve() };
      batch.done = tail.then(() => {
        // From here on, new pushes form the next batch behind this one.
        if (waiting === batch) waiting = undefined;
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
