// The task form's values ⇄ the API's task body. Form fields are named by the body's own paths
// (connector.settings.corpId, fieldMapping.1.expression), so a 400's `field` finds its input.
import type { ConnectorKind, JsonSchema, Task } from './types';

export const hubFields = ['username', 'name', 'email', 'mobile', 'employeeNumber', 'title'] as const;
export const matchKeys = ['employeeNumber', 'email', 'mobile', 'username'] as const;
export const everyOptions = ['none', 'monthly', 'weekly', 'daily', '6h', '2h', 'cron'] as const;
export const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

export interface MappingRow {
  target?: string;
  source?: string;
  expression?: string;
}

export interface TaskFormValues {
  name: string;
  direction: 'upstream' | 'downstream';
  connector: { kind: string; settings: Record<string, unknown>; secrets: Record<string, string | undefined> };
  scope: { departmentIds: string[]; userIds: string[]; includeNewUsers: boolean };
  fieldMapping: MappingRow[];
  matchRules: string[];
  offboarding: 'disable' | 'delete';
  triggers: {
    /** `cron` stands for a `{ cron, timezone }` schedule */
    schedule: { every: (typeof everyOptions)[number]; at?: string; timezone?: string; dayOfWeek?: string; dayOfMonth?: number | null; cron?: string };
    realtime: boolean;
  };
  /** real-time events arriving within this window make one run (ms); empty: the API's default */
  realtimeDebounceMs?: number | null;
  deletionProtection: { mode: 'always' | 'threshold'; minCount?: number | null; minPercent?: number | null; expireAfterDays?: number | null };
  massOffboardingGuard: { maxDisablePercent: number };
  /** who asked for a run may not also execute its staged deletions (admin only, like the rest of deletion protection) */
  requireSecondApprover: boolean;
}

export const defaultRealtimeDebounceMs = 1000;

/** A settings value as the form shows it: objects and arrays as JSON text. */
export const isStructured = (schema: JsonSchema): boolean => {
  const type = schema.type ?? schema.anyOf?.find((s) => s.type !== 'null')?.type;
  return type === 'object' || type === 'array';
};

export function defaultsFor(kind: ConnectorKind | undefined, direction: 'upstream' | 'downstream'): TaskFormValues {
  return {
    name: '',
    direction,
    connector: { kind: kind?.kind ?? '', settings: {}, secrets: {} },
    scope: { departmentIds: [], userIds: [], includeNewUsers: true },
    fieldMapping: (kind?.defaultMapping ?? []).map((row) => ({ target: row.target, source: row.source })),
    matchRules: ['employeeNumber', 'email', 'mobile'],
    offboarding: 'disable',
    triggers: { schedule: { every: 'none', at: '02:00', timezone: 'Asia/Shanghai' }, realtime: false },
    realtimeDebounceMs: defaultRealtimeDebounceMs,
    deletionProtection: { mode: 'always' },
    massOffboardingGuard: { maxDisablePercent: 20 },
    requireSecondApprover: false,
  };
}

export function valuesOfTask(task: Task, kind: ConnectorKind | undefined): TaskFormValues {
  const config = task.config as Record<string, never>;
  const connector = (config.connector ?? {}) as { kind: string; settings?: Record<string, unknown> };
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(connector.settings ?? {})) settings[key] = kind && isStructured(kind.settings.properties?.[key] ?? {}) ? JSON.stringify(value, null, 2) : value;
  const triggers = (config.triggers ?? {}) as { schedule?: { every?: string; at?: string; timezone?: string; cron?: string; dayOfWeek?: string; dayOfMonth?: number }; realtime?: boolean };
  const stored = triggers.schedule;
  const scope = (config.scope ?? { departmentIds: [], userIds: [], includeNewUsers: true }) as TaskFormValues['scope'];
  const protection = (config.deletionProtection ?? { mode: 'always' }) as TaskFormValues['deletionProtection'];
  return {
    name: task.name,
    direction: task.direction,
    connector: { kind: connector.kind, settings, secrets: {} },
    scope,
    fieldMapping: ((config.fieldMapping ?? []) as MappingRow[]).map((row) => ({ ...row })),
    matchRules: (config.matchRules ?? ['employeeNumber', 'email', 'mobile']) as string[],
    offboarding: (config.offboarding ?? 'disable') as 'disable' | 'delete',
    triggers: {
      schedule: !stored
        ? { every: 'none', at: '02:00', timezone: 'Asia/Shanghai' }
        : stored.cron !== undefined
          ? { every: 'cron', cron: stored.cron, timezone: stored.timezone }
          : { every: stored.every as TaskFormValues['triggers']['schedule']['every'], at: stored.at, timezone: stored.timezone, dayOfWeek: stored.dayOfWeek, dayOfMonth: stored.dayOfMonth },
      realtime: triggers.realtime === true,
    },
    realtimeDebounceMs: (config.realtimeDebounceMs as number | undefined) ?? defaultRealtimeDebounceMs,
    deletionProtection: protection,
    massOffboardingGuard: (config.massOffboardingGuard ?? { maxDisablePercent: 20 }) as { maxDisablePercent: number },
    requireSecondApprover: (config.requireSecondApprover as boolean | undefined) === true,
  };
}

/** Thrown for a JSON setting that does not parse: the form shows it beside that field. */
export class FormFieldError extends Error {
  constructor(
    readonly field: (string | number)[],
    message: string,
  ) {
    super(message);
  }
}

/** The body to POST (or PATCH): empty inputs left out, so the API's defaults apply; admin-only parts only for an admin. */
export function bodyOf(values: TaskFormValues, kind: ConnectorKind, options: { admin: boolean; previous?: Task }): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values.connector.settings ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    if (isStructured(kind.settings.properties?.[key] ?? {}) && typeof value === 'string') {
      try {
        settings[key] = JSON.parse(value);
      } catch {
        throw new FormFieldError(['connector', 'settings', key], 'must be JSON');
      }
    } else settings[key] = value;
  }
  // A merge patch keeps a stored setting unless it is named with null.
  const previousSettings = ((options.previous?.config as { connector?: { settings?: Record<string, unknown> } } | undefined)?.connector?.settings ?? {}) as Record<string, unknown>;
  if (options.previous) for (const key of Object.keys(previousSettings)) if (!(key in settings)) settings[key] = null;
  const secrets = Object.fromEntries(Object.entries(values.connector.secrets ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
  const schedule = values.triggers.schedule;
  const body: Record<string, unknown> = {
    name: values.name,
    direction: values.direction,
    connector: { kind: kind.kind, settings, secrets },
    fieldMapping: (values.fieldMapping ?? []).filter((row) => row.target).map((row) => (row.expression ? { target: row.target, expression: row.expression } : { target: row.target, source: row.source })),
    matchRules: values.matchRules,
    triggers: {
      manual: true,
      realtime: values.triggers.realtime,
      ...(schedule.every === 'none' ? (options.previous ? { schedule: null } : {}) : { schedule: scheduleOf(schedule) }),
    },
  };
  if (values.realtimeDebounceMs !== undefined && values.realtimeDebounceMs !== null) body.realtimeDebounceMs = values.realtimeDebounceMs;
  if (values.direction === 'downstream') body.scope = values.scope;
  if (options.admin) {
    body.offboarding = values.offboarding;
    const p = values.deletionProtection;
    const expiry = p.expireAfterDays ? { expireAfterDays: p.expireAfterDays } : {};
    body.deletionProtection = p.mode === 'always' ? { mode: 'always', ...expiry } : { mode: 'threshold', ...expiry, ...(p.minCount ? { minCount: p.minCount } : {}), ...(p.minPercent ? { minPercent: p.minPercent } : {}) };
    body.massOffboardingGuard = values.massOffboardingGuard;
    body.requireSecondApprover = values.requireSecondApprover === true;
  }
  return body;
}

/** The schedule as the API reads it (a PATCH replaces the whole schedule, so every part is sent). */
function scheduleOf(s: TaskFormValues['triggers']['schedule']): Record<string, unknown> {
  const timezone = s.timezone || 'UTC';
  if (s.every === 'cron') return { cron: s.cron ?? '', timezone };
  return {
    every: s.every,
    at: s.at || '00:00',
    timezone,
    ...(s.every === 'weekly' && s.dayOfWeek ? { dayOfWeek: s.dayOfWeek } : {}),
    ...(s.every === 'monthly' && s.dayOfMonth ? { dayOfMonth: s.dayOfMonth } : {}),
  };
}

/** `connector.settings.corpId` → ['connector', 'settings', 'corpId']; numeric parts become list indexes. */
export const fieldPath = (field: string): (string | number)[] => field.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
