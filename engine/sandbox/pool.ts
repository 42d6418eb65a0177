// The expression sandbox: a small pool of worker threads (sandbox/worker.ts) that evaluate
// field-mapping expressions off the main thread, in batches (one message per few hundred users,
// not one per user), each thread with a heap limit and each evaluation with a wall-time budget.
// A worker answers a batch in time slices, so concurrent mappings take turns and progress is
// reported as it goes; a whole mapping has a wall-clock budget, and its caller can abort it.
// A thread past its budget is terminated and replaced; the evaluation it was running fails with a
// message naming the expression, and the rest of its batch goes to the fresh thread. An expression
// that keeps spending its budget stops being evaluated for the rest of the mapping, so a hostile
// one costs a few budgets, not one per user.
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { defaultExpressionBudget, mappingBudgetMs, type ExpressionBudget } from './limits';
import { budgetCodes, progressSlots, skippedCode, type BatchRequest, type BatchResponse, type RowResult, type WorkerHello, type WorkerSetup } from './protocol';

export interface SandboxExpression {
  text: string;
  /** how errors name it, e.g. `fieldMapping.1.expression` */
  label: string;
}

/** One input's answer: a value per expression (undefined = none), or why the first failing one failed. */
export type SandboxRow = { ok: true; values: unknown[] } | { ok: false; expression: number; message: string; /** JSONata's error code, or the sandbox's (TIME, MEMORY, SIZE) */ code?: string };

export interface EvaluateOptions {
  /** inputs done so far: after each slice of work, and about once a second while the mapping waits */
  onProgress?: (done: number) => void;
  /** aborting drops the mapping: its promise rejects with the signal's reason and its queued work is discarded */
  signal?: AbortSignal;
}

export interface ExpressionSandbox {
  evaluate(expressions: readonly SandboxExpression[], inputs: readonly unknown[], options?: EvaluateOptions): Promise<SandboxRow[]>;
  /** counters for logs and tests: threads started, batches sent again after a thread was lost */
  stats(): { workersStarted: number; batchesResent: number };
  close(): Promise<void>;
}

export interface SandboxOptions {
  budget?: Partial<ExpressionBudget>;
  /** worker threads; default one per spare core, at most 2 */
  workers?: number;
  /** inputs per message (fewer when they are large) */
  batchSize?: number;
  /** a worker answers after this long with what it has done, and the rest of its batch waits its turn */
  sliceMs?: number;
}

/** JSON text per message at most, so one large record does not take a whole batch past the heap limit. */
const maxBatchChars = 2_000_000;

interface Call {
  expressions: readonly SandboxExpression[];
  inputs: readonly unknown[];
  rows: (SandboxRow | undefined)[];
  strikesLeft: number[];
  /** inputs not yet put in a batch: first those a sliced batch gave back, then call.inputs from `next` */
  pending: { index: number; json: string }[];
  next: number;
  left: number;
  budgetMs: number;
  deadline: number;
  reportedAt: number;
  /** answered, failed past its deadline, or aborted: nothing more is recorded */
  done: boolean;
  onProgress?: (done: number) => void;
  detach: () => void;
  resolve: (rows: SandboxRow[]) => void;
  reject: (error: Error) => void;
}

interface Job {
  /** the request id it was last posted with */
  id?: number;
  call: Call;
  /** positions in call.inputs, and their JSON */
  indices: number[];
  inputs: string[];
  /** a batch lost outside any evaluation is sent once more, then failed */
  resent?: boolean;
  /** when it was posted to the worker */
  sentAt?: number;
}

interface Slot {
  worker?: Worker;
  job?: Job;
  progress: Float64Array;
  /** when the worker said it was ready (booting a thread is not counted against an expression) */
  readyAt?: number;
  /** why the pool ended this worker, when it did */
  killedFor?: 'TIME';
  crashedFor?: 'MEMORY' | 'CRASH';
}

// The worker is TypeScript like the rest of the project: tsx's require hook loads it in the thread.
const workerBootstrap = `require('tsx/cjs'); require(${JSON.stringify(path.join(__dirname, 'worker.ts'))});`;

export function createExpressionSandbox(options: SandboxOptions = {}): ExpressionSandbox {
  const budget: ExpressionBudget = { ...defaultExpressionBudget, ...options.budget };
  const batchSize = options.batchSize ?? 200;
  const sliceMs = options.sliceMs ?? 250;
  const size = options.workers ?? Math.min(2, Math.max(1, os.availableParallelism() - 1));
  const slots: Slot[] = Array.from({ length: size }, () => ({ progress: new Float64Array(new SharedArrayBuffer(5 * 8)) }));
  /** batches to send again (the rest of a lost batch) go first, then new batches of the calls, in turn */
  const resend: Job[] = [];
  /** calls with inputs not yet batched, in turn order */
  const calls: Call[] = [];
  /** every call not done yet */
  const active = new Set<Call>();
  let nextId = 1;
  let watchdog: NodeJS.Timeout | undefined;
  let closed = false;
  /** set when a thread found its heap limit overridden: the pool then evaluates nothing */
  let unenforceable: Error | undefined;
  const counters = { workersStarted: 0, batchesResent: 0 };
  // The cooperative JSONata timeout fires at the budget; the hard kill comes shortly after.
  const grace = Math.min(250, budget.timeMs / 2);

  function describe(call: Call, row: RowResult & { ok: false }): string {
    const label = call.expressions[row.expression]?.label ?? 'expression';
    switch (row.code) {
      case 'D1012':
      case 'TIME':
        return `${label} exceeded its ${budget.timeMs} ms budget`;
      case 'MEMORY':
        return `${label} exceeded its ${budget.memoryMb} MB memory budget`;
      case 'D1011':
        return `${label} exceeded its stack budget (${budget.stackDepth} nested calls)`;
      case 'D2015':
        return `${label} built a sequence longer than its ${budget.maxSequence} items budget`;
      case skippedCode:
        return `${label} was not evaluated: it exceeded its budget ${budget.strikes} times in this mapping`;
      case 'SIZE':
        return `${label} ${row.message}`;
      default:
        return `${label} failed: ${row.message}`;
    }
  }

  /** Ends a call: answered, or rejected with `error`; rows never evaluated fail with `missing`. */
  function end(call: Call, missing: string, error?: Error): void {
    if (call.done) return;
    call.done = true;
    call.detach();
    active.delete(call);
    const at = calls.indexOf(call);
    if (at >= 0) calls.splice(at, 1);
    for (let k = resend.length - 1; k >= 0; k--) if (resend[k].call === call) resend.splice(k, 1);
    if (error) call.reject(error);
    // Array.from, not map: rows never recorded are holes, which map would keep.
    else call.resolve(Array.from(call.rows, (row) => row ?? { ok: false, expression: 0, message: missing }));
  }

  function finish(call: Call): void {
    end(call, 'the expression sandbox lost this evaluation');
  }

  function report(call: Call): void {
    call.reportedAt = Date.now();
    call.onProgress?.(call.inputs.length - call.left);
  }

  /** Parsed as each batch arrives, so no long loop runs at the end of a large mapping. */
  function record(call: Call, index: number, row: RowResult): void {
    if (call.done || call.rows[index] !== undefined) return;
    call.rows[index] = row.ok
      ? { ok: true, values: row.values.map((json) => (json === undefined ? undefined : JSON.parse(json))) }
      : { ok: false, expression: row.expression, message: describe(call, row), code: row.code };
    if (!row.ok && budgetCodes.has(row.code)) call.strikesLeft[row.expression]--;
    call.left--;
  }

  function settled(call: Call, count: number): void {
    if (call.done) return;
    report(call);
    if (count > 0 && call.left === 0) finish(call);
  }

  function spawn(slot: Slot): Worker {
    const youngMb = Math.max(4, Math.round(budget.memoryMb / 8));
    // V8 adds about 1.5 young generations to the old-generation limit; anything well past that is an override.
    const setup: WorkerSetup = { budget, progress: slot.progress.buffer as SharedArrayBuffer, heapLimitMb: budget.memoryMb + 2 * youngMb + 8 };
    counters.workersStarted++;
    const worker = new Worker(workerBootstrap, {
      eval: true,
      workerData: setup,
      // Nothing of the process's environment (secret keys, database URLs) exists in the thread.
      env: {},
      resourceLimits: { maxOldGenerationSizeMb: budget.memoryMb, maxYoungGenerationSizeMb: youngMb, stackSizeMb: 4 },
    });
    worker.on('message', (message: BatchResponse | WorkerHello) => {
      if ('ready' in message) {
        if (message.ready) {
          if (slot.worker === worker) slot.readyAt = Date.now();
        } else {
          refuse(message.heapLimitMb);
        }
        return;
      }
      if (slot.worker !== worker || slot.job === undefined || message.id !== slot.job.id) return;
      const job = slot.job;
      slot.job = undefined;
      message.rows.forEach((row, k) => record(job.call, job.indices[k], row));
      // A slice ran out: the rest of the batch goes back to its call and waits for the call's turn.
      const rest = job.indices.slice(message.rows.length).map((index, k) => ({ index, json: job.inputs[message.rows.length + k] }));
      if (rest.length > 0 && !job.call.done) {
        job.call.pending.unshift(...rest);
        if (!calls.includes(job.call)) calls.push(job.call);
      }
      settled(job.call, message.rows.length);
      // An answer that raced the kill is kept, but the ending worker gets nothing more (see pump).
      pump();
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (slot.worker === worker) slot.crashedFor = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'MEMORY' : 'CRASH';
    });
    worker.on('exit', () => {
      if (slot.worker === worker) lost(slot);
    });
    return worker;
  }

  /** Fails every mapping, now and later: evaluating without the memory budget is not an option. */
  function refuse(heapLimitMb: number): void {
    unenforceable ??= new Error(
      `the expression sandbox cannot enforce its ${budget.memoryMb} MB memory budget: a thread's heap limit is ${heapLimitMb} MB, ` +
        'because the process was started with V8 heap flags (--max-old-space-size or --max-semi-space-size, e.g. in NODE_OPTIONS) that override per-thread limits; start it without them',
    );
    for (const call of [...active]) end(call, '', unenforceable);
    resend.length = 0;
    for (const slot of slots) void slot.worker?.terminate();
  }

  /** The slot's worker is gone: fail what it was evaluating, give the rest of its batch to a new one. */
  function lost(slot: Slot): void {
    const reason = slot.killedFor ?? slot.crashedFor ?? 'CRASH';
    const { job } = slot;
    const startedAt = slot.progress[progressSlots.startedAt];
    const running = { input: slot.progress[progressSlots.input], expression: slot.progress[progressSlots.expression] };
    Object.assign(slot, { worker: undefined, job: undefined, readyAt: undefined, killedFor: undefined, crashedFor: undefined });
    slot.progress.fill(0);
    if (job?.call.done) return pump();
    // Killed for time, but the evaluation running at the end had not used its budget: it moved on
    // between the check and the kill, so nobody is to blame.
    const blame = startedAt > 0 && running.input < (job?.indices.length ?? 0) && (reason !== 'TIME' || Date.now() - startedAt >= budget.timeMs);
    if (job && blame) {
      record(job.call, job.indices[running.input], { ok: false, expression: running.expression, code: reason, message: reason });
      const keep = job.indices.map((_, k) => k).filter((k) => k !== running.input);
      if (keep.length > 0) resend.unshift({ call: job.call, indices: keep.map((k) => job.indices[k]), inputs: keep.map((k) => job.inputs[k]) });
      if (keep.length > 0) counters.batchesResent++;
      settled(job.call, 1);
    } else if (job && !job.resent) {
      resend.unshift({ ...job, resent: true });
      counters.batchesResent++;
    } else if (job) {
      for (const index of job.indices) record(job.call, index, { ok: false, expression: 0, code: 'CRASH', message: `the expression sandbox stopped (${reason})` });
      settled(job.call, job.indices.length);
    }
    pump();
  }

  const hasWork = (call: Call) => !call.done && (call.pending.length > 0 || call.next < call.inputs.length);

  /** The next batch: a resent one, or the next inputs of the calls in turn (a large mapping does not hold up a small one). */
  function nextJob(): Job | undefined {
    const again = resend.shift();
    if (again) return again;
    while (calls.length > 0 && !hasWork(calls[0])) calls.shift();
    const call = calls[0];
    if (!call) return undefined;
    const job: Job = { call, indices: [], inputs: [] };
    for (let chars = 0; job.indices.length < batchSize && chars < maxBatchChars; ) {
      const item = call.pending.shift() ?? (call.next < call.inputs.length ? { index: call.next, json: JSON.stringify(call.inputs[call.next++]) ?? 'null' } : undefined);
      if (!item) break;
      job.indices.push(item.index);
      job.inputs.push(item.json);
      chars += item.json.length;
    }
    calls.push(calls.shift()!);
    return job;
  }

  /** A mapping past its wall-clock budget fails the users not yet done; the others hear how far it got. */
  function checkCalls(): void {
    const now = Date.now();
    for (const call of active) {
      if (now > call.deadline) {
        const label = call.expressions[0]?.label ?? 'expression';
        end(call, `${label} was not evaluated: the mapping ran past its ${call.budgetMs} ms budget for ${call.inputs.length} users`);
      } else if (now - call.reportedAt >= 1000) {
        report(call);
      }
    }
    pump();
  }

  /**
   * Kills a worker past an evaluation's budget, and one that holds a batch without progress between
   * evaluations (it is busy with something no evaluation accounts for, e.g. a batch not picked up).
   */
  function checkBudgets(): void {
    const now = Date.now();
    const limit = budget.timeMs + grace;
    for (const slot of slots) {
      if (!slot.worker || !slot.job || slot.killedFor) continue;
      const startedAt = slot.progress[progressSlots.startedAt];
      const idleSince = Math.max(slot.progress[progressSlots.activeAt], slot.job.sentAt ?? 0, slot.readyAt ?? Infinity);
      // Its answer is posted, just not read yet (this thread was busy): nothing to kill.
      const answered = slot.progress[progressSlots.answered] === slot.job.id;
      if (startedAt > 0 ? now - startedAt > limit : !answered && now - idleSince > limit) {
        slot.killedFor = 'TIME';
        void slot.worker.terminate();
      }
    }
  }

  function pump(): void {
    for (const slot of slots) {
      if (closed || unenforceable) break;
      // A worker being ended gets no new batch; its slot is refilled with a fresh one on exit.
      if (slot.job || slot.killedFor) continue;
      const job = nextJob();
      if (!job) break;
      const request: BatchRequest = { id: nextId++, expressions: job.call.expressions.map((e) => e.text), inputs: job.inputs, strikesLeft: job.call.strikesLeft, sliceMs };
      slot.worker ??= spawn(slot);
      slot.job = { ...job, id: request.id, sentAt: Date.now() };
      slot.worker.ref();
      slot.worker.postMessage(request);
    }
    const busy = active.size > 0 || slots.some((slot) => slot.job);
    for (const slot of slots) if (!slot.job) slot.worker?.unref();
    if (busy && !watchdog) {
      watchdog = setInterval(() => (checkBudgets(), checkCalls()), Math.max(20, Math.min(100, budget.timeMs / 5)));
      watchdog.unref();
    } else if (!busy && watchdog) {
      clearInterval(watchdog);
      watchdog = undefined;
    }
  }

  return {
    evaluate(expressions, inputs, { onProgress, signal } = {}) {
      if (closed) return Promise.reject(new Error('the expression sandbox is closed'));
      if (unenforceable) return Promise.reject(unenforceable);
      if (signal?.aborted) return Promise.reject(abortError(signal));
      if (inputs.length === 0 || expressions.length === 0) return Promise.resolve(inputs.map(() => ({ ok: true as const, values: expressions.map(() => undefined) })));
      return new Promise<SandboxRow[]>((resolve, reject) => {
        const strikesLeft = expressions.map(() => budget.strikes);
        const budgetMs = mappingBudgetMs(budget, inputs.length);
        const now = Date.now();
        const onAbort = () => end(call, '', abortError(signal!));
        const detach = () => signal?.removeEventListener('abort', onAbort);
        const call: Call = { expressions, inputs, rows: new Array(inputs.length), strikesLeft, pending: [], next: 0, left: inputs.length, budgetMs, deadline: now + budgetMs, reportedAt: now, done: false, onProgress, detach, resolve, reject };
        signal?.addEventListener('abort', onAbort, { once: true });
        calls.push(call);
        active.add(call);
        pump();
      });
    },
    stats: () => ({ ...counters }),
    async close() {
      closed = true;
      if (watchdog) clearInterval(watchdog);
      const pending = [...active];
      calls.length = 0;
      resend.length = 0;
      await Promise.all(slots.map((slot) => (slot.job = undefined, slot.worker?.terminate())));
      for (const call of pending) end(call, '', new Error('the expression sandbox was closed'));
    },
  };
}

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('the mapping was cancelled');
}

let shared: ExpressionSandbox | undefined;

/** The process's sandbox, started on first use; its idle threads do not keep the process alive. */
export function sharedExpressionSandbox(): ExpressionSandbox {
  shared ??= createExpressionSandbox();
  return shared;
}
