// What a change of a task's configuration means for who may make it: a connector pointed at another
// tenant (kind, endpoint or tenant id: the kind's tenantSettings) needs its secrets given
// again, and the protection settings are admin-only. Pure: the repository and the API decide what to do.
import { factsOf, requiredSecretNames, type ConnectorCatalog } from './connector-kind';
import { isPlainObject, mergeTaskConfigPatch, parseTaskConfig, TaskConfigError, TaskConfigSchema, type TaskConfig, type TaskConfigOptions } from './task-config';

type ConnectorPart = Pick<TaskConfig['connector'], 'kind' | 'settings'>;

/**
 * A URL compares with its scheme and host lowercased and one trailing `/` of its path dropped: the
 * same endpoint written another way. Path and query keep their case (`/WeCom-Prod/`, `?tenant=B`
 * may name another tenant). Anything else — a tenant id, a string that is no URL — compares as written.
 */
function comparable(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return JSON.stringify(value);
  const text = value.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  const auth = url.username || url.password ? `${url.username}:${url.password}@` : '';
  const path = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return `${url.protocol.toLowerCase()}//${auth}${url.host.toLowerCase()}${path}${url.search}${url.hash}`;
}

/** The fields whose change points the connector at another tenant: `connector.kind`, or `connector.settings.<name>` each. */
export function repointedFields(before: ConnectorPart, after: ConnectorPart, catalog: ConnectorCatalog): string[] {
  if (before.kind !== after.kind) return ['connector.kind'];
  const names = factsOf(catalog, after.kind)?.tenantSettings ?? [];
  return names.filter((name) => comparable(before.settings[name]) !== comparable(after.settings[name])).map((name) => `connector.settings.${name}`);
}

/**
 * A re-pointed connector must not inherit the stored secrets: every secret it keeps must be in this
 * request's `connector.secrets` (else an edit of baseUrl alone would send them to any host), and it
 * must keep every secret its kind requires (else nulling them all would pass the first rule). A new
 * kind starts from the request's connector alone, so it needs secrets when it has a tenant at all.
 */
export function checkSecretsGivenAgain(
  repointed: readonly string[],
  after: { connector: { kind: string; secrets: Record<string, unknown> } },
  givenSecretNames: readonly string[],
  catalog: ConnectorCatalog,
): void {
  if (repointed.length === 0) return;
  const given = new Set(givenSecretNames);
  const facts = factsOf(catalog, after.connector.kind);
  const required = facts ? requiredSecretNames(facts) : [];
  const missing = [...new Set([...Object.keys(after.connector.secrets), ...required])].filter((name) => !given.has(name)).sort();
  const kindWithoutSecrets = repointed.includes('connector.kind') && given.size === 0 && (facts?.tenantSettings.length ?? 0) > 0;
  if (missing.length === 0 && !kindWithoutSecrets) return;
  const what = missing.length > 0 ? `give ${missing.join(', ')} again in this request` : `give the ${after.connector.kind} connector's secrets in this request`;
  throw new TaskConfigError([{ field: 'connector.secrets', message: `${repointed.join(', ')} changes where the credentials are sent: ${what}` }]);
}

/**
 * parseTaskConfigPatch with the re-point rule first: a re-point that drops a secret the kind needs
 * also fails the kind's secrets schema, which would only say `connector.secrets.corpSecret is
 * required`; the answer names `connector.secrets` and why the secrets must come again. A valid
 * body is checked by the caller as usual (checkSecretsGivenAgain on the parsed configuration).
 */
export function parseTaskPatch(existing: TaskConfig, patch: unknown, options: TaskConfigOptions): TaskConfig {
  const merged = mergeTaskConfigPatch(existing, patch);
  try {
    return parseTaskConfig(merged, options);
  } catch (error) {
    const connector = isPlainObject(merged) ? merged.connector : undefined;
    if (error instanceof TaskConfigError && isPlainObject(connector) && typeof connector.kind === 'string') {
      const after = { kind: connector.kind, settings: isPlainObject(connector.settings) ? connector.settings : {}, secrets: isPlainObject(connector.secrets) ? connector.secrets : {} };
      checkSecretsGivenAgain(repointedFields(existing.connector, after, options.kinds), { connector: after }, secretNamesGiven(patch), options.kinds);
    }
    throw error;
  }
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
