// Field mapping: how a source user's fields become the target's. Identity by default; each entry
// overrides one target field with a source field (a plain copy) or a JSONata expression. The
// expressions are untrusted: checked on save (sandbox/rules.ts), evaluated in the sandbox.
import { z } from 'zod';
import { toE164 } from './mobile';
import type { User } from './model';
import { sharedExpressionSandbox, type ExpressionSandbox } from './sandbox/pool';
import { maxFieldMappingEntries, maxMappingExpressionChars } from './sandbox/limits';
import { expressionProblem } from './sandbox/rules';

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
  | { kind: 'expression'; text: string; label: string };

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
/** Attribute keys that name object internals: writing one could set a prototype, reading one a function. */
const reservedAttributeKeys: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

function parseFieldRef(path: unknown): FieldRef | null {
  if (typeof path !== 'string') return null;
  if (canonicalFieldSet.has(path)) return { kind: 'field', field: path as CanonicalUserField };
  if (path.startsWith('attributes.') && path.length > 'attributes.'.length) {
    return { kind: 'attribute', key: path.slice('attributes.'.length) };
  }
  return null;
}

/** A field reference of an entry, or a FieldMappingError naming `field`. */
function entryRef(path: unknown, field: string): FieldRef {
  const ref = parseFieldRef(path);
  if (!ref) throw new FieldMappingError(field, `unknown field ${JSON.stringify(path)}; use one of ${canonicalUserFields.join(', ')} or attributes.<key>`);
  if (ref.kind === 'attribute' && reservedAttributeKeys.has(ref.key)) throw new FieldMappingError(field, `the attribute key "${ref.key}" is not allowed`);
  return ref;
}

function refName(ref: FieldRef): string {
  return ref.kind === 'field' ? ref.field : `attributes.${ref.key}`;
}

function compileExpression(text: string, field: string): Producer {
  const problem = expressionProblem(text);
  if (problem) throw new FieldMappingError(field, problem);
  return { kind: 'expression', text, label: field };
}

/** Validates and compiles a mapping; an empty list is the identity mapping. Throws FieldMappingError. */
export function compileFieldMapping(entries: readonly FieldMappingEntry[] = []): CompiledFieldMapping {
  // Checked before any expression is parsed: saving runs on the API's thread.
  if (entries.length > maxFieldMappingEntries) throw new FieldMappingError('fieldMapping', `has ${entries.length} entries; the limit is ${maxFieldMappingEntries}`);
  const totalChars = entries.reduce((sum, entry) => sum + ('expression' in entry && typeof entry.expression === 'string' ? entry.expression.length : 0), 0);
  if (totalChars > maxMappingExpressionChars) {
    throw new FieldMappingError('fieldMapping', `its expressions total ${totalChars} characters; the limit is ${maxMappingExpressionChars}`);
  }
  const overrides = new Map<string, CompiledEntry>();
  entries.forEach((entry, i) => {
    const to = entryRef((entry as { target?: unknown }).target, `fieldMapping.${i}.target`);
    if (overrides.has(refName(to))) {
      throw new FieldMappingError(`fieldMapping.${i}.target`, `${refName(to)} is mapped more than once`);
    }
    let producer: Producer;
    if ('expression' in entry && typeof entry.expression === 'string') {
      producer = compileExpression(entry.expression, `fieldMapping.${i}.expression`);
    } else if ('source' in entry) {
      producer = { kind: 'copy', from: entryRef(entry.source, `fieldMapping.${i}.source`) };
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
  if (ref.kind === 'field') return user[ref.field];
  return Object.hasOwn(user.attributes, ref.key) ? user.attributes[ref.key] : undefined;
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

/** The mapped mobile in E.164, or a failure naming the field: a number the hub would refuse stops here. */
function mobileInE164(value: string | null, countryCode: string | undefined): string | null {
  if (value === null || countryCode === undefined) return value;
  const e164 = toE164(value, countryCode);
  if (e164 === null) throw new MappingFieldError('mobile', `is not a phone number; write it as +<country code> <number>, or a national number of +${countryCode}`);
  return e164;
}

/** Builds the mapped user from one produced value per entry (fields first, then attributes). */
function assemble(compiled: CompiledFieldMapping, user: User, values: readonly unknown[], mobileCountryCode: string | undefined): User {
  // Null prototype: no key written below can reach Object.prototype (JSON and the database see a plain object).
  const mapped: User = { ...user, attributes: Object.assign(Object.create(null) as Record<string, unknown>, user.attributes) };
  compiled.fields.forEach((entry, i) => {
    const field = (entry.to as { field: CanonicalUserField }).field;
    let value: string | null;
    try {
      value = toText(values[i]);
    } catch (error) {
      throw new MappingFieldError(field, (error as Error).message);
    }
    if ((field === 'username' || field === 'name') && value === null) throw new MappingFieldError(field, 'is empty');
    if (field === 'mobile') value = mobileInE164(value, mobileCountryCode);
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

export interface MapUsersOptions {
  /** where expressions run; the process's shared sandbox by default */
  sandbox?: ExpressionSandbox;
  /** called as users are mapped, and about once a second while waiting (the snapshot activity heartbeats with it) */
  onProgress?: (done: number) => void;
  /** the activity's cancellation: a cancelled or timed-out attempt's mapping is dropped */
  signal?: AbortSignal;
  /** set: mapped mobiles become E.164, national numbers in this country (engine/mobile.ts) */
  mobileCountryCode?: string;
}

/** Every entry's value per user; expressions come from the sandbox in batches, copies are read here. */
async function produceValues(entries: readonly CompiledEntry[], users: readonly User[], options: MapUsersOptions): Promise<(unknown[] | MappingFieldError)[]> {
  const expressionAt = entries.flatMap((entry, i) => (entry.producer.kind === 'expression' ? [i] : []));
  const rows =
    expressionAt.length === 0
      ? []
      : await (options.sandbox ?? sharedExpressionSandbox()).evaluate(
          expressionAt.map((i) => {
            const producer = entries[i].producer as { text: string; label: string };
            return { text: producer.text, label: producer.label };
          }),
          users,
          { onProgress: options.onProgress, signal: options.signal },
        );
  return users.map((user, u) => {
    const row = rows[u];
    if (row && !row.ok) return new MappingFieldError(refName(entries[expressionAt[row.expression]].to), row.message);
    let next = 0;
    return entries.map((entry) => (entry.producer.kind === 'copy' ? readRef(user, entry.producer.from) : (row as { values: unknown[] }).values[next++]));
  });
}

/**
 * Maps source users to the target's canonical fields. Structural fields (id, departments, manager,
 * status) pass through unchanged. A user whose mapping fails is reported, not thrown; that includes
 * an expression that exceeded its sandbox budget for that user.
 */
export async function mapUsers(compiled: CompiledFieldMapping, users: readonly User[], options: MapUsersOptions = {}): Promise<MappedUsers> {
  const entries = [...compiled.fields, ...compiled.attributes];
  const produced = await produceValues(entries, users, options);
  const out: User[] = [];
  const failures: MappingFailure[] = [];
  users.forEach((user, u) => {
    try {
      const values = produced[u];
      if (values instanceof MappingFieldError) throw values;
      out.push(assemble(compiled, user, values, options.mobileCountryCode));
    } catch (error) {
      const field = error instanceof MappingFieldError ? error.field : 'user';
      failures.push({ entity: 'user', sourceId: user.id, field, reason: `${field}: ${(error as Error).message}` });
    }
  });
  return { users: out, failures };
}
