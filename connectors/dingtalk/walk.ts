// Bounded concurrency for DingTalk's one-level-at-a-time reads: a wide tree costs one call per
// department, but up to `limit` of them run at once instead of one after another.

/** fn over every item, at most `limit` in flight; results in input order; the first failure rejects. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

/**
 * Every node below `root`, found by `expand` (one level per call), parents before children.
 * A work queue rather than level by level, so one slow branch does not hold back the others.
 */
export function walkTree<T>(root: T, limit: number, expand: (node: T) => Promise<T[]>): Promise<T[]> {
  const found: T[] = [root];
  const queue: T[] = [root];
  let running = 0;
  let failed = false;
  return new Promise<T[]>((resolve, reject) => {
    const pump = () => {
      if (failed) return;
      if (queue.length === 0 && running === 0) {
        resolve(found);
        return;
      }
      while (running < Math.max(1, limit) && queue.length > 0) {
        const node = queue.shift() as T;
        running += 1;
        expand(node).then(
          (children) => {
            running -= 1;
            found.push(...children);
            queue.push(...children);
            pump();
          },
          (err: unknown) => {
            failed = true;
            reject(err);
          },
        );
      }
    };
    pump();
  });
}
