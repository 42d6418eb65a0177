// What one field-mapping expression may use. Task authors are untrusted (docs/design.md): every
// expression is checked on save (rules.ts) and evaluated in a worker thread under these budgets.

export interface ExpressionBudget {
  /** wall time for one expression on one user; the worker is terminated past it */
  timeMs: number;
  /** old-generation heap of one sandbox worker thread */
  memoryMb: number;
  /** JSONata evaluation depth (recursion) */
  stackDepth: number;
  /** longest sequence an expression may build (JSONata's own `sequence` guardrail) */
  maxSequence: number;
  /** longest JSON text one produced value may have */
  maxValueChars: number;
  /**
   * What all of one user's produced values may hold together, as they cross to the main thread and
   * are parsed there: JSON characters, values (objects, arrays and scalars), and nesting depth.
   */
  maxRowChars: number;
  maxRowValues: number;
  maxValueDepth: number;
  /** budget failures (time or memory) of one expression in one mapping before it is no longer evaluated */
  strikes: number;
  /**
   * Wall time of one whole mapping (one sandbox call): base + per user, at most max. Past it the
   * users not yet evaluated fail, so one slow-but-under-budget expression cannot hold a run forever.
   */
  mappingBaseMs: number;
  mappingMsPerUser: number;
  mappingMaxMs: number;
}

export const defaultExpressionBudget: ExpressionBudget = {
  timeMs: 1000,
  memoryMb: 64,
  stackDepth: 300,
  maxSequence: 100_000,
  maxValueChars: 16_384,
  maxRowChars: 16_384,
  maxRowValues: 500,
  maxValueDepth: 32,
  strikes: 3,
  // Ordinary mappings take well under 0.1 ms per user; the snapshot step has 30 minutes in all.
  mappingBaseMs: 60_000,
  mappingMsPerUser: 10,
  mappingMaxMs: 600_000,
};

/** The wall-clock budget of one mapping of `users` inputs. */
export function mappingBudgetMs(budget: Pick<ExpressionBudget, 'mappingBaseMs' | 'mappingMsPerUser' | 'mappingMaxMs'>, users: number): number {
  return Math.min(budget.mappingMaxMs, budget.mappingBaseMs + users * budget.mappingMsPerUser);
}

/** Longest expression text accepted on save. */
export const maxExpressionLength = 2000;
/** Deepest nesting of ( [ { accepted on save; checked before parsing (JSONata's parser recurses). */
export const maxBracketDepth = 64;
/** Entries of one field mapping, and the characters of all its expressions: saving runs on the API's thread. */
export const maxFieldMappingEntries = 100;
export const maxMappingExpressionChars = 20_000;
