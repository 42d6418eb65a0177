// Full garbage collections between the big steps of a run (issue 17). V8 collects the old generation
// only when it reaches a limit set from the live size at the previous full collection: after a
// snapshot step that read and stored 100k people, the plan step would otherwise run on top of that
// step's garbage, and its own loading, planning and storing (each several 100 MB allocated) pile up
// until the inherited limit, which is what set the worker's peak RSS. One collection costs a few
// hundred ms on a heap of that size, against a plan step of tens of seconds.
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A function that runs a full collection, for ActivityDeps.collectGarbage in worker processes.
 * `--expose-gc` set at run time makes `gc` available to contexts created afterwards; the flag is
 * left as it was for this one, so nothing else in the process sees a global `gc`.
 */
export function fullGarbageCollector(minHeapMb = 128): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  let gc: () => void;
  if (typeof exposed === 'function') {
    gc = exposed;
  } else {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
    setFlagsFromString('--no-expose-gc');
  }
  // A small run (a real-time one above all) has little to collect: it does not pay for a full collection.
  return () => {
    if (getHeapStatistics().used_heap_size >= minHeapMb * 1048576) gc();
  };
}
