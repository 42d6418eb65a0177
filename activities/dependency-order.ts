// Runs a batch's items with bounded concurrency in plan order: an item starts only when no item in
// flight writes an entity it reads or writes (or reads one it writes); otherwise it waits for
// items in flight to finish, and no later item overtakes it. The result equals running them one by one.
import { EntityLocks, type TouchedEntities } from './apply-entities';

export interface DependencyOrderOptions<T> {
  items: readonly T[];
  /** at most this many items in flight */
  concurrency: number;
  touched: (item: T) => TouchedEntities;
  run: (item: T, index: number) => Promise<void>;
  /** checked before each start: true stops starting items (cancellation, a failed write) */
  stopped?: () => boolean;
}

/** Resolves once every started item has finished; returns the first error an item threw, if any. */
export async function runInDependencyOrder<T>(options: DependencyOrderOptions<T>): Promise<{ error?: unknown; started: number }> {
  const { items, concurrency, touched, run, stopped = () => false } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency: must be a positive integer (got ${concurrency})`);
  const locks = new EntityLocks();
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let started = 0;
  const halted = () => failure !== undefined || stopped();

  for (let index = 0; index < items.length; index++) {
    const entities = touched(items[index]);
    while (!halted() && inFlight.size > 0 && (inFlight.size >= concurrency || !locks.canStart(entities))) await Promise.race(inFlight);
    if (halted()) break;
    locks.take(entities);
    started += 1;
    const running: Promise<void> = run(items[index], index)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => {
        locks.release(entities);
        inFlight.delete(running);
      });
    inFlight.add(running);
  }
  // Items in flight always finish here: a retry must never race a call this attempt still makes.
  await Promise.all(inFlight);
  return failure ? { error: failure.error, started } : { started };
}
