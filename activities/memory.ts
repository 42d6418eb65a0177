// Full garbage collections between the big steps of a run (issue 17). V8 collects the old generation
// only when it reaches a limit set from the live size at the previous full collection: after a
// snapshot step that read and stored 100k people, the plan step would otherwise run on top of that
// step's garbage, and its own loading, planning and storing (each several 100 MB allocated) pile up
// until the inherited limit, which is what set the worker's peak RSS. One collection costs a few
// hundred ms on a heap of that size, against a plan step of tens of seconds.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Node's `gc`: `--expose-gc` set at run time makes it available to contexts created afterwards; the
 * flag is left as it was for this one, so nothing else in the process sees a global `gc`. */
function exposedGc(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
  return gc;
}

export interface HeapProbe {
  /** bytes of heap in use, garbage included */
  used(): number;
  collect(): void;
}

/**
 * A function that runs a full collection when it is worth one, for ActivityDeps.collectGarbage in
 * worker processes. A small run (a real-time one above all) has little to collect: it does not pay
 * for a full collection. Nor does a worker whose live heap is simply large: only a heap grown by half
 * since what the last collection left is worth one (each costs 0.2–0.3 s with 300 MB live, and stalls
 * every activity of the process).
 */
export function fullGarbageCollector(minHeapMb = 128, probe: HeapProbe = { used: () => getHeapStatistics().used_heap_size, collect: exposedGc() }): () => void {
  let liveAfterLast = 0;
  return () => {
    const used = probe.used();
    if (used < minHeapMb * 1048576 || used < liveAfterLast * 1.5) return;
    probe.collect();
    liveAfterLast = probe.used();
  };
}
