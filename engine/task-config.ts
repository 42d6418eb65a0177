// A sync task's configuration (docs/design.md, "Public REST API"): zod schema with documented defaults,
// whole-body validation with errors naming the field, PATCH merge, and secrets kept separable.
import { z } from 'zod';
import { defaultFieldMapping, factsOf, taskDirections, type ConnectorCatalog, type ConnectorKindFacts } from './connector-kind';
import { canonicalUserFields, compileFieldMapping, FieldMappingEntry, FieldMappingError } from './field-mapping';
import { matchKeys } from './plan-types';
import { TaskSchedule } from './schedule';

export const TaskDirection = z.enum(taskDirections);
export type TaskDirection = z.infer<typeof TaskDirection>;

/** Any connector, before its kind's schemas are applied (stored rows, PATCH merging). */
export const TaskConnector = z.strictObject({
  kind: z.string().min(1),
  /** plain settings (base URL, corp id, file path …); returned by the API */
  settings: z.record(z.string(), z.unknown()).default({}),
  /** credentials; stored encrypted, never returned, never logged (see splitSecrets) */
  secrets: z.record(z.string(), z.string().min(1)).default({}),
});

/** One kind's connector: its own settings and secrets schemas, discriminated by `kind`. */
function kindConnector(facts: ConnectorKindFacts) {
  return z
    .strictObject({
      kind: z.literal(facts.kind),
      settings: facts.settings.prefault({}),
      secrets: facts.secrets.prefault({}),
    })
    .describe(`a ${facts.kind} connector (${facts.directions.join(' or ')})`);
}

/** `connector` as a union by kind: only kinds with a connector are accepted. */
export function connectorSchema(catalog: ConnectorCatalog) {
  const kinds = catalog.map((facts) => facts.kind);
  const [first, ...rest] = catalog.map(kindConnector);
  if (!first) throw new Error('no connector kinds to accept');
  return z.discriminatedUnion('kind', [first, ...rest], { error: `unknown connector kind; use one of ${kinds.join(', ')}` });
}

/** Downstream only. Both lists empty (the default) = the whole hub, as engine/scope.ts reads it. */
export const TaskScope = z.strictObject({
  departmentIds: z.array(z.string().min(1)).default([]),
  userIds: z.array(z.string().min(1)).default([]),
  includeNewUsers: z.boolean().default(true),
});

export const MatchRules = z
  .array(z.enum(matchKeys))
  .min(1, 'needs at least one match key')
  .refine((keys) => new Set(keys).size === keys.length, 'lists a match key more than once');

export const TaskTriggers = z.strictObject({
  /** a task can always be run by hand */
  manual: z.literal(true).default(true),
  schedule: TaskSchedule.optional(),
  realtime: z.boolean().default(false),
});

/**
 * Upstream, a source with `capabilities.incrementalReads` (LDAP, Beisen, Moka): scheduled runs read only what changed
 * since the last successful run's watermark and plan as partial runs (nobody absent is offboarded);
 * manual runs, the first run and one run every `fullRunEveryHours` read everything, which is what
 * catches deletions (README.md, "Incremental reads").
 */
export const IncrementalReads = z.strictObject({
  enabled: z.boolean().default(false),
  fullRunEveryHours: z.number().int().min(1).max(24 * 31).default(24),
});

/** `always` stages every delete; `threshold` stages only when a run deletes at least minCount or minPercent of the target. */
/** Days an item may wait for a decision before it is CANCELED as expired; absent: it waits for ever. */
const expireAfterDays = z.number().int().min(1).max(3650).optional();

export const DeletionProtection = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('always'), expireAfterDays }),
  z
    .strictObject({
      mode: z.literal('threshold'),
      expireAfterDays,
      minCount: z.number().int().min(1).optional(),
      minPercent: z.number().gt(0).max(100).optional(),
    })
    .refine((p) => p.minCount !== undefined || p.minPercent !== undefined, { error: 'give minCount and/or minPercent', path: ['minCount'] }),
], { error: 'mode must be "always" or "threshold"' });

/** Defaults: scope whole hub (downstream), fieldMapping per connector kind, matchRules employeeNumber→email→mobile,
 *  offboarding disable, triggers manual only, deletionProtection always, guard 20 %, no second approver, debounce 1000 ms, enabled. */
export const TaskConfigSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  direction: TaskDirection,
  connector: TaskConnector,
  scope: TaskScope.optional(),
  fieldMapping: z.array(FieldMappingEntry).optional(),
  matchRules: MatchRules.default(['employeeNumber', 'email', 'mobile']),
  offboarding: z.enum(['disable', 'delete']).default('disable'),
  triggers: TaskTriggers.default({ manual: true, realtime: false }),
  deletionProtection: DeletionProtection.default({ mode: 'always' }),
  /** a run that would take more than this share of the active accounts the task manages out of the company (freeze, delete,
   *  move to the top level) holds those writes for approval; activities/protection.ts has the exact rule */
  massOffboardingGuard: z.strictObject({ maxDisablePercent: z.number().min(0).max(100) }).default({ maxDisablePercent: 20 }),
  /** the principal who requested a run may not also execute its staged deletions (separation of duties) */
  requireSecondApprover: z.boolean().default(false),
  /** real-time runs of the task start at most once per this window; the first event after a quiet window runs at once */
  realtimeDebounceMs: z.number().int().min(0).max(600_000).default(1000),
  incremental: IncrementalReads.optional(),
  enabled: z.boolean().default(true),
});

/** The task body as the API takes it: TaskConfigSchema with `connector` checked by its kind's schemas. */
export function taskConfigSchema(catalog: ConnectorCatalog) {
  return TaskConfigSchema.extend({ connector: connectorSchema(catalog) });
}

type ParsedBody = z.output<typeof TaskConfigSchema>;
export type TaskConfig = Omit<ParsedBody, 'fieldMapping'> & { fieldMapping: FieldMappingEntry[] };
export type TaskConfigInput = z.input<typeof TaskConfigSchema>;
export type PublicTaskConfig = Omit<TaskConfig, 'connector'> & { connector: Omit<TaskConfig['connector'], 'secrets'> };

export interface TaskConfigIssue {
  /** dotted path into the body, e.g. "triggers.schedule.at", "fieldMapping.1.expression" */
  field: string;
  message: string;
}

/** A refused configuration: every issue names its field; nothing here ever contains a secret's value. */
export class TaskConfigError extends Error {
  override readonly name = 'TaskConfigError';
  constructor(readonly issues: TaskConfigIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
  }
}

export interface TaskConfigOptions {
  /** the kinds a task may name: connectors/definitions.ts's facts (engine/ must not import connectors) */
  kinds: ConnectorCatalog;
  /** the connector's own settings checks (allowed hosts, import directory), when the caller can reach connectors */
  connectorSettingsIssues?: (kind: string, settings: Record<string, unknown>) => TaskConfigIssue[];
}

// One schema per catalog: building the union for every request would be wasted work.
const schemaCache = new WeakMap<ConnectorCatalog, ReturnType<typeof taskConfigSchema>>();
function cachedSchema(catalog: ConnectorCatalog) {
  let schema = schemaCache.get(catalog);
  if (!schema) schemaCache.set(catalog, (schema = taskConfigSchema(catalog)));
  return schema;
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(body)' : path.map(String).join('.');
}

/** Flattens zod issues; for a union, the branch the body came closest to explains the error. */
function toIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): TaskConfigIssue[] {
  return issues.flatMap((issue): TaskConfigIssue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: joinPath([...path, key]), message: 'unknown field' }));
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const closest = issue.errors.reduce((best, branch) => (branch.length < best.length ? branch : best));
      return toIssues(closest, path);
    }
    const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
    return [{ field: joinPath(path), message: missing ? 'is required' : issue.message }];
  });
}

/** Validates a whole task body (create, or the merged result of a PATCH). Throws TaskConfigError. */
export function parseTaskConfig(body: unknown, options: TaskConfigOptions): TaskConfig {
  const parsed = cachedSchema(options.kinds).safeParse(body);
  if (!parsed.success) throw new TaskConfigError(toIssues(parsed.error.issues));
  const config = parsed.data as ParsedBody;
  const issues: TaskConfigIssue[] = [];
  const kind = config.connector.kind;
  const facts = factsOf(options.kinds, kind)!;
  const capabilities = facts.capabilities;

  if (config.direction === 'upstream' && config.scope !== undefined) {
    issues.push({ field: 'scope', message: 'only a downstream task has a scope (an upstream task reads the whole source)' });
  }
  if (!facts.directions.includes(config.direction) || (config.direction === 'downstream' && !capabilities.write)) {
    const only = facts.directions.length === 1 ? `, so it can only be ${facts.directions[0]}` : '';
    issues.push({ field: 'direction', message: `a ${kind} connector ${config.direction === 'downstream' ? 'is read-only' : 'cannot be a source'}${only}` });
  }
  if (config.direction === 'upstream' && config.triggers.realtime && !capabilities.realtimeEvents) {
    issues.push({ field: 'triggers.realtime', message: `a ${kind} source sends no change events; use a schedule` });
  }

  if (config.incremental?.enabled) {
    if (config.direction !== 'upstream') issues.push({ field: 'incremental.enabled', message: 'only an upstream task reads incrementally (a downstream task reads the hub)' });
    else if (!capabilities.incrementalReads) issues.push({ field: 'incremental.enabled', message: `a ${kind} source cannot list what changed since a watermark; leave it off` });
    else if (!config.triggers.schedule) issues.push({ field: 'incremental.enabled', message: 'only scheduled runs read incrementally: give triggers.schedule' });
  }

  issues.push(...(options.connectorSettingsIssues?.(kind, config.connector.settings) ?? []));

  const fieldMapping = (config.fieldMapping ?? defaultFieldMapping(options.kinds, kind)).map((entry) => withCanonicalTarget(entry, facts));
  try {
    compileFieldMapping(fieldMapping);
  } catch (error) {
    if (!(error instanceof FieldMappingError)) throw error;
    issues.push({ field: error.field, message: error.message.slice(error.field.length + 2) });
  }
  if (issues.length > 0) throw new TaskConfigError(issues);

  return {
    ...config,
    ...(config.direction === 'downstream' ? { scope: config.scope ?? { departmentIds: [], userIds: [], includeNewUsers: true } } : {}),
    fieldMapping,
  };
}

/** A target given by its vendor name (WeCom `position`) becomes the canonical field it lands in (`title`). */
export function withCanonicalTarget(entry: FieldMappingEntry, facts: ConnectorKindFacts): FieldMappingEntry {
  if ((canonicalUserFields as readonly string[]).includes(entry.target) || entry.target.startsWith('attributes.')) return entry;
  const known = facts.defaultMapping.find((row) => row.vendorField === entry.target);
  return known ? { ...entry, target: known.target } : entry;
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7396 merge: objects merge key by key, null removes a key, anything else replaces. */
function mergePatch(target: unknown, patch: unknown, path: string, replaceWhole: ReadonlySet<string>): unknown {
  if (!isPlainObject(patch) || !isPlainObject(target) || replaceWhole.has(path)) return patch;
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value, path === '' ? key : `${path}.${key}`, replaceWhole);
  }
  return out;
}

/**
 * Applies a PATCH body to a stored configuration (with its secrets re-attached: a patch may rotate
 * one secret and keep the others) and validates the result as a whole. A schedule or deletion
 * protection in the patch replaces the old one; a new connector kind replaces the whole connector.
 */
export function parseTaskConfigPatch(existing: TaskConfig, patch: unknown, options: TaskConfigOptions): TaskConfig {
  return parseTaskConfig(mergeTaskConfigPatch(existing, patch), options);
}

/** The body a PATCH makes of the stored configuration, before any validation. */
export function mergeTaskConfigPatch(existing: TaskConfig, patch: unknown): unknown {
  if (!isPlainObject(patch)) throw new TaskConfigError([{ field: '(body)', message: 'a PATCH body must be a JSON object' }]);
  const replaceWhole = new Set(['triggers.schedule', 'deletionProtection']);
  const newKind = isPlainObject(patch.connector) ? patch.connector.kind : undefined;
  if (newKind !== undefined && newKind !== existing.connector.kind) replaceWhole.add('connector');
  return mergePatch(existing, patch, '', replaceWhole);
}

/** Separates credentials so the API can store them encrypted and return only the public part. */
export function splitSecrets(config: TaskConfig): { publicConfig: PublicTaskConfig; secrets: Record<string, string> } {
  const { secrets, ...connector } = config.connector;
  return { publicConfig: { ...config, connector }, secrets: { ...secrets } };
}

/** The inverse of splitSecrets, for the worker and for PATCH. */
export function withSecrets(publicConfig: PublicTaskConfig, secrets: Record<string, string>): TaskConfig {
  return { ...publicConfig, connector: { ...publicConfig.connector, secrets: { ...secrets } } };
}

/** Settings used when a kind's identifying settings are absent (a task stored by an older version). */
const fallbackIdentifyingSettings = ['baseUrl', 'path'];

function normalizeSetting(key: string, value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : JSON.stringify(value);
  // The same tenant may be written with another case or a trailing slash.
  return key === 'baseUrl' || key === 'url' ? text.toLowerCase().replace(/\/+$/, '') : text;
}

/** Which app a connector points at: its kind and identifying settings (never its secrets). */
export function connectorIdentity(connector: Pick<TaskConfig['connector'], 'kind' | 'settings'>, catalog: ConnectorCatalog): string {
  const keys = factsOf(catalog, connector.kind)?.identifyingSettings ?? [];
  const present = keys.filter((k) => connector.settings[k] !== undefined);
  // Without the usual identifiers, fall back to the endpoint; with nothing at all, the kind alone decides.
  const used = present.length > 0 ? present : fallbackIdentifyingSettings.filter((k) => connector.settings[k] !== undefined);
  return JSON.stringify([connector.kind, ...used.map((k) => [k, normalizeSetting(k, connector.settings[k])])]);
}

export interface ExistingTask {
  id: string;
  name: string;
  direction: TaskDirection;
  connector: Pick<TaskConfig['connector'], 'kind' | 'settings'>;
}

/** One app is never both upstream and downstream of the hub. `selfId` skips the task being edited. */
export function checkNoUpDownConflict(
  config: Pick<ExistingTask, 'direction' | 'connector'>,
  existingTasks: readonly ExistingTask[],
  options: TaskConfigOptions & { selfId?: string },
): void {
  const identity = connectorIdentity(config.connector, options.kinds);
  const clash = existingTasks.find((t) => t.id !== options.selfId && t.direction !== config.direction && connectorIdentity(t.connector, options.kinds) === identity);
  if (clash !== undefined) {
    throw new TaskConfigError([
      {
        field: 'connector',
        message: `this ${config.connector.kind} app is already ${clash.direction} in task "${clash.name}"; one app cannot be both upstream and downstream of the hub`,
      },
    ]);
  }
}
