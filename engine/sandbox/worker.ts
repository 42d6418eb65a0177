// A sandbox worker thread: evaluates batches of (expressions × inputs) in its hardened realm,
// one batch at a time, writing what it is evaluating into shared memory so the pool can kill it
// when one evaluation runs past its budget (a ReDoS never yields, so only terminate() stops it).
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { budgetCodes, progressSlots, skippedCode, type BatchRequest, type BatchResponse, type RowResult, type WorkerHello, type WorkerSetup } from './protocol';
import { jsonShape } from './json-shape';
import { createExpressionRealm } from './realm';

const setup = workerData as WorkerSetup;
const progress = new Float64Array(setup.progress);
const realm = createExpressionRealm(setup.budget);
const port = parentPort!;

const { maxRowChars, maxRowValues, maxValueDepth } = setup.budget;

/** Why this value takes the user's values past what the main thread accepts, or null. */
function sizeProblem(json: string, row: { chars: number; values: number }): string | null {
  const shape = jsonShape(json);
  row.chars += json.length;
  row.values += shape.values;
  if (shape.depth > maxValueDepth) return `gave a value nested ${shape.depth} deep; the limit is ${maxValueDepth}`;
  if (row.chars > maxRowChars) return `brought this user's values to ${row.chars} characters; the limit is ${maxRowChars}`;
  if (row.values > maxRowValues) return `brought this user's values to ${row.values} items; the limit is ${maxRowValues}`;
  return null;
}

async function evaluateRow(batch: BatchRequest, input: number, strikesLeft: number[]): Promise<RowResult> {
  const values: (string | undefined)[] = [];
  const size = { chars: 0, values: 0 };
  for (let expression = 0; expression < batch.expressions.length; expression++) {
    if (strikesLeft[expression] <= 0) return { ok: false, expression, code: skippedCode, message: 'not evaluated' };
    progress[progressSlots.input] = input;
    progress[progressSlots.expression] = expression;
    progress[progressSlots.startedAt] = Date.now();
    const outcome = await realm.evaluate(batch.expressions[expression], batch.inputs[input]);
    // JSONata's array and object constructors run their items with Promise.all: when one throws,
    // evaluate() returns while the others still run as microtasks. The realm has no timers, so
    // once a macrotask comes round they are all done, and until then the pool keeps watching.
    await new Promise((resolve) => setImmediate(resolve));
    progress[progressSlots.startedAt] = 0;
    progress[progressSlots.activeAt] = Date.now();
    if (!outcome.ok) {
      if (budgetCodes.has(outcome.code)) strikesLeft[expression]--;
      return { ok: false, expression, code: outcome.code, message: outcome.message };
    }
    const tooBig = outcome.json === undefined ? null : sizeProblem(outcome.json, size);
    if (tooBig) return { ok: false, expression, code: 'SIZE', message: tooBig };
    values.push(outcome.json);
  }
  return { ok: true, values };
}

// V8 heap flags given to the process (--max-old-space-size, e.g. in NODE_OPTIONS) apply to every
// isolate and override this thread's resourceLimits; under them the memory budget would not hold.
const heapLimitMb = Math.round(getHeapStatistics().heap_size_limit / 1048576);
if (heapLimitMb > setup.heapLimitMb) {
  port.postMessage({ ready: false, heapLimitMb } satisfies WorkerHello);
} else {
  port.on('message', (batch: BatchRequest) => {
    progress[progressSlots.activeAt] = Date.now();
    void (async () => {
      const strikesLeft = [...batch.strikesLeft];
      const rows: RowResult[] = [];
      const started = Date.now();
      // Time-sliced: a slow batch answers in parts, so progress is reported and other mappings get a turn.
      for (let input = 0; input < batch.inputs.length && (input === 0 || Date.now() - started < batch.sliceMs); input++) {
        rows.push(await evaluateRow(batch, input, strikesLeft));
      }
      progress[progressSlots.answered] = batch.id;
      port.postMessage({ id: batch.id, rows } satisfies BatchResponse);
    })();
  });
  port.postMessage({ ready: true } satisfies WorkerHello);
}
