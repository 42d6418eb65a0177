// Messages between the sandbox pool (main thread) and one sandbox worker thread.
import type { ExpressionBudget } from './limits';

export interface WorkerSetup {
  budget: ExpressionBudget;
  /**
   * Float64Array over a SharedArrayBuffer: [startedAt ms (0 = between evaluations), input index,
   * expression index, activeAt ms (last time the worker took a batch or finished an evaluation),
   * answered (id of the last batch it posted the answer of)].
   * The worker writes it around each evaluation; the pool reads it to enforce the time budget, to
   * notice a worker that stopped making progress outside any evaluation, and to know which
   * evaluation a killed worker was running.
   */
  progress: SharedArrayBuffer;
  /** the most heap (MB) the thread's resourceLimits allow; a thread that finds more evaluates nothing */
  heapLimitMb: number;
}

/** The worker's first message: ready, or the heap limit it found above setup.heapLimitMb. */
export type WorkerHello = { ready: true } | { ready: false; heapLimitMb: number };

export interface BatchRequest {
  id: number;
  expressions: string[];
  /** one JSON document per input */
  inputs: string[];
  /** per expression: budget failures still allowed; at 0 it is not evaluated */
  strikesLeft: number[];
  /** the worker answers once this much time has gone, with the inputs done so far; the pool sends the rest later */
  sliceMs: number;
}

/** One input's answer: its values in expression order, or the first expression that failed. */
export type RowResult =
  | { ok: true; values: (string | undefined)[] }
  | { ok: false; expression: number; code: string; message: string };

export interface BatchResponse {
  id: number;
  /** answers for the first rows.length inputs of the request (all of them unless its slice ran out) */
  rows: RowResult[];
}

/** JSONata's guardrail codes, and ours, that count as spending an expression's budget. */
export const budgetCodes: ReadonlySet<string> = new Set(['D1012', 'TIME', 'MEMORY']);
export const skippedCode = 'SKIPPED';

export const progressSlots = { startedAt: 0, input: 1, expression: 2, activeAt: 3, answered: 4 } as const;
