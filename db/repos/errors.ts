// Typed repository errors, so the API and the hub connector can map each to its own envelope.

/** Bad input: `field` is the path of the offending value (e.g. `email`, `departmentIds.1`). */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** The write contradicts stored state: a duplicate, or a delete that would orphan something. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  constructor(
    message: string,
    /** the input field that collides, when one does (e.g. `email` for a duplicate email) */
    readonly field?: string,
  ) {
    super(message);
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} not found`);
  }
}

/**
 * The write could not get its locks in time (a deadlock, lock_timeout), the database connection
 * failed, or too many writes are already waiting: nothing was written (or, for a lost connection,
 * nobody can tell), and sending it again shortly is the remedy (SCIM: 503 with Retry-After).
 */
export class WriteBusyError extends Error {
  override readonly name = 'WriteBusyError';
}

/** The Postgres error behind a driver or drizzle wrapper (drizzle 0.44 wraps it in `cause`). */
export function postgresErrorOf(error: unknown): { code?: string; constraint?: string } | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const candidate = e as { code?: unknown; constraint?: unknown; constraint_name?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      const constraint = candidate.constraint_name ?? candidate.constraint;
      return { code: candidate.code, constraint: typeof constraint === 'string' ? constraint : undefined };
    }
  }
  return undefined;
}
