// Drizzle builds a query's SQL text on every call (30-120 µs of CPU each on this machine, the
// largest library share of a SCIM request's CPU, BENCHMARKS §8f). A hot read prepared once per
// database handle skips that: its values are bound as `sql.placeholder`s at execute time.
import type { Db } from '../client';

/** `build(db)` once per handle (a transaction handle gets its own: a query runs on the handle it was built on). */
export function preparedPerHandle<Q>(build: (db: Db) => Q): (db: Db) => Q {
  const built = new WeakMap<Db, Q>();
  return (db) => {
    let query = built.get(db);
    if (query === undefined) built.set(db, (query = build(db)));
    return query;
  };
}
