// What a change of a task's configuration means for who may make it: a connector pointed at another
// tenant (kind, endpoint or tenant id: the kind's tenantSettings) needs its secrets given
// again, and the protection settings are admin-only. Pure: the repository and the API decide what to do.
import { factsOf, type ConnectorCatalog } from './connector-kind';
import { TaskConfigError, TaskConfigSchema, type TaskConfig } from './task-config';

type ConnectorPart = Pick<TaskConfig['connector'], 'kind' | 'settings'>;

// The same endpoint may be written with another case or a trailing slash; a tenant id compares as written.
function comparable(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return JSON.stringify(value);
  const text = value.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text.toLowerCase().replace(/\/+$/, '') : text;
}

/** The fields whose change points the connector at another tenant: `connector.kind`, or `connector.settings.<name>` each. */
export function repointedFields(before: ConnectorPart, after: ConnectorPart, catalog: ConnectorCatalog): string[] {
  if (before.kind !== after.kind) return ['connector.kind'];
  const names = factsOf(catalog, after.kind)?.tenantSettings ?? [];
  return names.filter((name) => comparable(before.settings[name]) !== comparable(after.settings[name])).map((name) => `connector.settings.${name}`);
}

/**
 * A re-pointed connector must not inherit the stored secrets: every secret it keeps must be in this
 * request's `connector.secrets` (else an edit of baseUrl alone would send them to any host). A new
 * kind starts from the request's connector alone, so it needs secrets when it has a tenant at all.
 */
export function checkSecretsGivenAgain(repointed: readonly string[], after: TaskConfig, givenSecretNames: readonly string[], catalog: ConnectorCatalog): void {
  if (repointed.length === 0) return;
  const given = new Set(givenSecretNames);
  const missing = Object.keys(after.connector.secrets).filter((name) => !given.has(name)).sort();
  const kindWithoutSecrets = repointed.includes('connector.kind') && given.size === 0 && (factsOf(catalog, after.connector.kind)?.tenantSettings.length ?? 0) > 0;
  if (missing.length === 0 && !kindWithoutSecrets) return;
  const what = missing.length > 0 ? `give ${missing.join(', ')} again in this request` : `give the ${after.connector.kind} connector's secrets in this request`;
  throw new TaskConfigError([{ field: 'connector.secrets', message: `${repointed.join(', ')} changes where the credentials are sent: ${what}` }]);
}

/** Settings that weaken or strengthen deletion protection: only an admin may change them. */
export const protectionFields = ['offboarding', 'deletionProtection', 'massOffboardingGuard', 'requireSecondApprover'] as const;
export type ProtectionField = (typeof protectionFields)[number];

const protectionDefaults = (() => {
  const shape = TaskConfigSchema.shape;
  return Object.fromEntries(protectionFields.map((field) => [field, shape[field].parse(undefined)])) as Pick<TaskConfig, ProtectionField>;
})();

/** Stable JSON (sorted keys), so `{a,b}` and `{b,a}` compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Protection settings that differ from the stored task, or from the defaults for a new task (before undefined). */
export function changedProtectionFields(before: Partial<Pick<TaskConfig, ProtectionField>> | undefined, after: Pick<TaskConfig, ProtectionField>): ProtectionField[] {
  // A task stored before a setting existed holds its default.
  const old = { ...protectionDefaults, ...before };
  return protectionFields.filter((field) => canonical(old[field]) !== canonical(after[field]));
}

/** Names of the secrets a request body gives (`connector.secrets`, a null removes one and gives nothing). */
export function secretNamesGiven(body: unknown): string[] {
  const connector = (body as { connector?: { secrets?: unknown } } | null)?.connector;
  const secrets = connector && typeof connector === 'object' ? connector.secrets : undefined;
  if (!secrets || typeof secrets !== 'object' || Array.isArray(secrets)) return [];
  return Object.entries(secrets as Record<string, unknown>)
    .filter(([, value]) => typeof value === 'string' && value !== '')
    .map(([name]) => name);
}
