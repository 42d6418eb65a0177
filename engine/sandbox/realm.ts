// The realm an expression runs in, inside a sandbox worker thread: a fresh V8 context holding only
// JavaScript's built-ins and JSONata. No `process`, no `require`, code generation from strings off
// (so a reached Function constructor cannot compile anything), the prototype accessors JSONata
// payloads used removed, and input and output cross as JSON text, so no object of the worker's
// own realm is ever reachable from an expression. Defense in depth behind JSONata's own fixes.
import fs from 'node:fs';
import vm from 'node:vm';
import type { ExpressionBudget } from './limits';

export type RealmOutcome =
  | { ok: true; json: string | undefined }
  | { ok: false; code: string; message: string };

export interface ExpressionRealm {
  /** Evaluates `text` against the JSON document `inputJson`; never throws. */
  evaluate(text: string, inputJson: string): Promise<RealmOutcome>;
}

/** Runs first in the new context: strips what prototype-chain payloads walk through. */
const hardening = `(() => {
  'use strict';
  const functionPrototypes = [function () {}, async function () {}, function* () {}, async function* () {}].map(Object.getPrototypeOf);
  for (const proto of functionPrototypes) Object.defineProperty(proto, 'constructor', { value: undefined, writable: false, configurable: false });
  for (const key of ['__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__']) delete Object.prototype[key];
  delete globalThis.eval;
})();`;

/** Builds the evaluator inside the context, so every object it touches belongs to the context. */
const evaluatorSource = `(function (jsonata, options, maxValueChars) {
  'use strict';
  const cache = new Map();
  const refuseEval = () => { throw { code: 'SANDBOX', message: '$eval is not allowed in a field mapping' }; };
  const compiled = (text) => {
    let expression = cache.get(text);
    if (!expression) {
      if (cache.size > 100) cache.clear();
      expression = jsonata(text, options);
      expression.registerFunction('eval', refuseEval);
      cache.set(text, expression);
    }
    return expression;
  };
  // Null-prototype objects: a path into the input never reaches Object.prototype.
  const detach = (value) => {
    if (Array.isArray(value)) return value.map(detach);
    if (value === null || typeof value !== 'object') return value;
    const out = Object.create(null);
    for (const key of Object.keys(value)) out[key] = detach(value[key]);
    return out;
  };
  // A JSONata function value is dropped, as JSON drops JavaScript functions (it also holds its closure).
  const withoutFunctions = (_key, value) =>
    typeof value === 'function' || (value !== null && typeof value === 'object' && (value._jsonata_lambda || value._jsonata_function)) ? undefined : value;
  return async function evaluate(text, inputJson) {
    try {
      const value = await compiled(text).evaluate(detach(JSON.parse(inputJson)));
      const json = value === undefined ? undefined : JSON.stringify(value, withoutFunctions);
      if (json !== undefined && json.length > maxValueChars) {
        return { ok: false, code: 'SIZE', message: 'gave a value of ' + json.length + ' characters; the limit is ' + maxValueChars };
      }
      return { ok: true, json: typeof json === 'string' ? json : undefined };
    } catch (error) {
      const code = error !== null && typeof error === 'object' && typeof error.code === 'string' ? error.code : 'ERROR';
      const message = error !== null && typeof error === 'object' && typeof error.message === 'string' ? error.message : String(error);
      return { ok: false, code, message: message.slice(0, 500) };
    }
  };
})`;

let jsonataSource: string | undefined;

function hardenedContext(): vm.Context {
  const context = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false } });
  vm.runInContext(hardening, context);
  return context;
}

export function createExpressionRealm(budget: Pick<ExpressionBudget, 'timeMs' | 'stackDepth' | 'maxSequence' | 'maxValueChars'>): ExpressionRealm {
  jsonataSource ??= fs.readFileSync(require.resolve('jsonata'), 'utf8');
  const context = hardenedContext();
  const holder = vm.runInContext('({ exports: {} })', context) as { exports: unknown };
  (vm.runInContext(`(function (module, exports) {${jsonataSource}\n})`, context) as (m: unknown, e: unknown) => void)(holder, holder.exports);
  const options = vm.runInContext(`({ timeout: ${budget.timeMs}, stack: ${budget.stackDepth}, sequence: ${budget.maxSequence} })`, context);
  const makeEvaluator = vm.runInContext(evaluatorSource, context) as (j: unknown, o: unknown, max: number) => ExpressionRealm['evaluate'];
  const evaluate = makeEvaluator(holder.exports, options, budget.maxValueChars);
  return {
    async evaluate(text, inputJson) {
      // Copy the outcome out field by field: only primitives leave the context.
      const outcome = (await evaluate(String(text), String(inputJson))) as RealmOutcome;
      return outcome.ok ? { ok: true, json: outcome.json === undefined ? undefined : String(outcome.json) } : { ok: false, code: String(outcome.code), message: String(outcome.message) };
    },
  };
}

/** For tests of the hardening itself: runs a JavaScript snippet in a fresh realm. */
export function probeRealm(snippet: string): unknown {
  return vm.runInContext(snippet, hardenedContext());
}
