// Field mapping: how a source user's fields become the target's. Identity by default; each entry
// overrides one target field with a source field (a plain copy) or a JSONata expression.
import jsonata from 'jsonata';
import { z } from 'zod';
import type { User } from './model';

export const canonicalUserFields = ['username', 'name', 'email', 'mobile', 'employeeNumber', 'title'] as const;
export type CanonicalUserField = (typeof canonicalUserFields)[number];

export const FieldMappingEntry = z.union([
  z.object({ target: z.string().min(1), source: z.string().min(1) }).strict(),
  z.object({ target: z.string().min(1), expression: z.string().min(1) }).strict(),
]);
export type FieldMappingEntry = z.infer<typeof FieldMappingEntry>;

/** A mapping entry is invalid; `field` names it, e.g. `fieldMapping.2.expression`. */
export class FieldMappingError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'FieldMappingError';
  }
}

/** A parsed field reference: a canonical field or one attribute key. */
type FieldRef = { kind: 'field'; field: CanonicalUserField } | { kind: 'attribute'; key: string };

type Producer =
  | { kind: 'copy'; from: FieldRef }
  | { kind: 'expression'; text: string; evaluate: (user: User) => Promise<unknown> };

interface CompiledEntry {
  to: FieldRef;
  producer: Producer;
}

export interface CompiledFieldMapping {
  /** one producer per canonical field (identity unless overridden) */
  readonly fields: readonly CompiledEntry[];
  /** entries that write single attributes, applied over a copy of the source attributes */
  readonly attributes: readonly CompiledEntry[];
}

/** A user the mapping could not produce (an expression threw or gave an unusable value). */
export interface MappingFailure {
  entity: 'user';
  sourceId: string;
  field: string;
  reason: string;
}

export interface MappedUsers {
  users: User[];
  failures: MappingFailure[];
}

const canonicalFieldSet: ReadonlySet<string> = new Set(canonicalUserFields);

function parseFieldRef(path: unknown): FieldRef | null {
  if (typeof path !== 'string') return null;
  if (canonicalFieldSet.has(path)) return { kind: 'field', field: path as CanonicalUserField };
  if (path.startsWith('attributes.') && path.length > 'attributes.'.length) {
    return { kind: 'attribute', key: path.slice('attributes.'.length) };
  }
  return null;
}

function refName(ref: FieldRef): string {
  return ref.kind === 'field' ? ref.field : `attributes.${ref.key}`;
}

function compileExpression(text: string, field: string): Producer {
  let expression: jsonata.Expression;
  try {
    expression = jsonata(text);
  } catch (error) {
    throw new FieldMappingError(field, `does not compile: ${(error as Error).message}`);
  }
  return { kind: 'expression', text, evaluate: (user) => expression.evaluate(user) };
}

/** Validates and compiles a mapping; an empty list is the identity mapping. Throws FieldMappingError. */
export function compileFieldMapping(entries: readonly FieldMappingEntry[] = []): CompiledFieldMapping {
  const overrides = new Map<string, CompiledEntry>();
  entries.forEach((entry, i) => {
    const to = parseFieldRef((entry as { target?: unknown }).target);
    if (!to) {
      throw new FieldMappingError(
        `fieldMapping.${i}.target`,
        `unknown field ${JSON.stringify((entry as { target?: unknown }).target)}; use one of ${canonicalUserFields.join(', ')} or attributes.<key>`,
      );
    }
    if (overrides.has(refName(to))) {
      throw new FieldMappingError(`fieldMapping.${i}.target`, `${refName(to)} is mapped more than once`);
    }
    let producer: Producer;
    if ('expression' in entry && typeof entry.expression === 'string') {
      producer = compileExpression(entry.expression, `fieldMapping.${i}.expression`);
    } else if ('source' in entry) {
      const from = parseFieldRef(entry.source);
      if (!from) {
        throw new FieldMappingError(
          `fieldMapping.${i}.source`,
          `unknown field ${JSON.stringify(entry.source)}; use one of ${canonicalUserFields.join(', ')} or attributes.<key>`,
        );
      }
      producer = { kind: 'copy', from };
    } else {
      throw new FieldMappingError(`fieldMapping.${i}`, 'needs either source or expression');
    }
    overrides.set(refName(to), { to, producer });
  });
  const fields = canonicalUserFields.map(
    (field): CompiledEntry =>
      overrides.get(field) ?? { to: { kind: 'field', field }, producer: { kind: 'copy', from: { kind: 'field', field } } },
  );
  const attributes = [...overrides.values()].filter((entry) => entry.to.kind === 'attribute');
  return { fields, attributes };
}

function readRef(user: User, ref: FieldRef): unknown {
  return ref.kind === 'field' ? user[ref.field] : user.attributes[ref.key];
}

/** JSONata sequences carry extra properties; a JSON round trip keeps stored values plain. */
function plainValue(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? JSON.parse(JSON.stringify(value)) : value;
}

function toText(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`gave ${Array.isArray(value) ? 'a list' : typeof value}, expected text`);
}

class MappingFieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Builds the mapped user from one produced value per entry (fields first, then attributes). */
function assemble(compiled: CompiledFieldMapping, user: User, values: readonly unknown[]): User {
  const mapped: User = { ...user, attributes: { ...user.attributes } };
  compiled.fields.forEach((entry, i) => {
    const field = (entry.to as { field: CanonicalUserField }).field;
    let value: string | null;
    try {
      value = toText(values[i]);
    } catch (error) {
      throw new MappingFieldError(field, (error as Error).message);
    }
    if ((field === 'username' || field === 'name') && value === null) throw new MappingFieldError(field, 'is empty');
    (mapped as Record<CanonicalUserField, string | null>)[field] = value;
  });
  compiled.attributes.forEach((entry, i) => {
    const key = (entry.to as { key: string }).key;
    const value = plainValue(values[compiled.fields.length + i]);
    if (value === undefined) delete mapped.attributes[key];
    else mapped.attributes[key] = value;
  });
  return mapped;
}

async function evaluateEntries(entries: readonly CompiledEntry[], user: User): Promise<unknown[]> {
  const values: unknown[] = [];
  for (const entry of entries) {
    const { producer } = entry;
    if (producer.kind === 'copy') {
      values.push(readRef(user, producer.from));
      continue;
    }
    try {
      values.push(await producer.evaluate(user));
    } catch (error) {
      throw new MappingFieldError(refName(entry.to), `expression failed: ${(error as Error).message}`);
    }
  }
  return values;
}

/**
 * Maps source users to the target's canonical fields. Structural fields (id, departments, manager,
 * status) pass through unchanged. A user whose mapping fails is reported, not thrown.
 */
export async function mapUsers(compiled: CompiledFieldMapping, users: readonly User[]): Promise<MappedUsers> {
  const entries = [...compiled.fields, ...compiled.attributes];
  const copies = entries.every((entry) => entry.producer.kind === 'copy')
    ? entries.map((entry) => (entry.producer as { from: FieldRef }).from)
    : null;
  const out: User[] = [];
  const failures: MappingFailure[] = [];
  for (const user of users) {
    try {
      // Plain copies need no promise per user; expressions are evaluated one user at a time.
      const values = copies ? copies.map((from) => readRef(user, from)) : await evaluateEntries(entries, user);
      out.push(assemble(compiled, user, values));
    } catch (error) {
      const field = error instanceof MappingFieldError ? error.field : 'user';
      failures.push({ entity: 'user', sourceId: user.id, field, reason: `${field}: ${(error as Error).message}` });
    }
  }
  return { users: out, failures };
}
