// SQL parameters are people's data (emails, mobiles, names). Drizzle wraps every failed query in
// "Failed query: … params: <every value>", PGlite attaches `params` to its errors, postgres.js keeps
// `parameters`, and Postgres itself puts values in `detail` ("Key (email)=(a@b.c) already exists")
// and in some messages ('invalid input syntax for type uuid: "…"'). Whatever catches such an
// error (the API error handler, a log line, an activity failure sent to Temporal) would carry them
// on. So the one place every query passes through, drizzle's prepared query, rethrows a
// DatabaseQueryError instead: the SQL text (placeholders only), the SQLSTATE and the names of the
// constraint, table and column, with parameter values cut out of the message and no cause.
import { PgPreparedQuery } from 'drizzle-orm/pg-core';

const maxQueryText = 300;
// Shorter values would blank out ordinary words of the message; they carry little information anyway.
const minRedactedLength = 3;

export class DatabaseQueryError extends Error {
  override readonly name = 'DatabaseQueryError';
  /** SQLSTATE, e.g. 23505; what db/repos/errors.ts postgresErrorOf reads */
  readonly code?: string;
  readonly constraint_name?: string;
  readonly table_name?: string;
  readonly column_name?: string;
  /** the SQL text with $1… placeholders, never the values */
  readonly query: string;

  constructor(query: string, message: string, fields: { code?: string; constraint?: string; table?: string; column?: string }) {
    super(message);
    this.query = query;
    if (fields.code) this.code = fields.code;
    if (fields.constraint) this.constraint_name = fields.constraint;
    if (fields.table) this.table_name = fields.table;
    if (fields.column) this.column_name = fields.column;
  }
}

type Fields = Record<string, unknown>;

/** The driver's own error behind drizzle's wrapper (or the error itself). */
function driverErrorOf(error: unknown): Fields {
  const outer = (error ?? {}) as Fields;
  const inner = outer.cause;
  return inner && typeof inner === 'object' ? (inner as Fields) : outer;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

function redact(message: string, params: readonly unknown[]): string {
  const values = new Set<string>();
  for (const param of params) {
    if (param === null || param === undefined) continue;
    const asText = typeof param === 'string' ? param : param instanceof Date ? param.toISOString() : typeof param === 'object' ? JSON.stringify(param) : String(param);
    if (asText.length >= minRedactedLength) values.add(asText);
  }
  let out = message;
  // Longest first, so a value that contains another is cut out whole.
  for (const value of [...values].sort((a, b) => b.length - a.length)) out = out.split(value).join('[redacted]');
  return out;
}

/** A DatabaseQueryError for a failed query: what to act on, no parameter values. */
export function scrubQueryError(error: unknown, query: string, params: readonly unknown[]): DatabaseQueryError {
  if (error instanceof DatabaseQueryError) return error;
  const driver = driverErrorOf(error);
  const reason = redact(text(driver.message) ?? 'query failed', params).split('\n')[0];
  const sqlText = query.length > maxQueryText ? `${query.slice(0, maxQueryText)}…` : query;
  const scrubbed = new DatabaseQueryError(sqlText, `${reason} (query: ${sqlText})`, {
    code: text(driver.code),
    constraint: text(driver.constraint_name) ?? text(driver.constraint),
    table: text(driver.table_name) ?? text(driver.table),
    column: text(driver.column_name) ?? text(driver.column),
  });
  // Keep where it failed (the frames), not the original first line, which holds the values.
  const frames = ((error as Error | undefined)?.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  scrubbed.stack = [`${scrubbed.name}: ${scrubbed.message}`, ...frames].join('\n');
  return scrubbed;
}

type QueryWithCache = (this: unknown, queryString: string, params: unknown[], query: () => Promise<unknown>) => Promise<unknown>;

const patched = new WeakSet<object>();

/**
 * Installs the scrubbing on the prepared-query base class that `preparedQuery` (a driver's own
 * class, e.g. PglitePreparedQuery) extends. db/client.ts passes the class of the driver it has just
 * imported: under tsx the lazy `import()` of a driver loads drizzle's ESM build, whose classes are
 * not the CommonJS ones a static import of drizzle-orm/pg-core would give.
 */
export function installQueryErrorScrubbing(preparedQuery: { prototype: object } = PgPreparedQuery): void {
  let prototype: object | null = preparedQuery.prototype;
  while (prototype && !Object.prototype.hasOwnProperty.call(prototype, 'queryWithCache')) prototype = Object.getPrototypeOf(prototype) as object | null;
  if (!prototype) throw new Error('drizzle prepared queries have no queryWithCache: query errors cannot be scrubbed (drizzle-orm upgraded?)');
  if (patched.has(prototype)) return;
  patched.add(prototype);
  const target = prototype as { queryWithCache: QueryWithCache };
  const original = target.queryWithCache;
  target.queryWithCache = async function scrubbedQuery(queryString, params, query) {
    try {
      return await original.call(this, queryString, params, query);
    } catch (error) {
      throw scrubQueryError(error, queryString, params ?? []);
    }
  };
}
