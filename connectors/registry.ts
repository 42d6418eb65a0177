// Builds a task's connectors by kind from connectors/definitions.ts. Settings and secrets are parsed
// by the kind's own schemas first, so a bad one names `connector.settings.<field>` (or
// `connector.secrets.<name>`) even for a task stored before the schemas existed; a secret's value never appears.
// Where the settings send credentials (the kind's allowedHosts) or read files from is checked on save and on create.
import type { z } from 'zod';
import type { User } from '../engine/model';
import { connectorKinds, definitionOf } from './definitions';
import { hostRefusal } from './shared/host-policy';
import { sharedRateLimiters } from './shared/shared-rate-limiter';
import { onboardingWebhookRefusal, onboardingWebhookSecretName, withOnboardingWebhook } from './shared/onboarding-webhook';
import type { AnyConnectorDefinition, ConnectionCheck, ConnectionTestContext, Connector, ConnectorCapabilities, ConnectorDeps } from './types';

export type { ConnectorDeps } from './types';

/** A connector's settings or secrets are unusable; `field` is e.g. `connector.settings.baseUrl`. */
export class ConnectorSettingsError extends Error {
  override readonly name = 'ConnectorSettingsError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

type Settings = Record<string, unknown>;
type Secrets = Record<string, string>;

export interface ConnectorSettingsIssue {
  field: string;
  message: string;
}

function entryOf(kind: string): AnyConnectorDefinition {
  const entry = definitionOf(kind);
  if (!entry) throw new ConnectorSettingsError('connector.kind', `unknown connector kind "${kind}"; use one of ${connectorKinds.join(', ')}`);
  return entry;
}

function parsePart<T>(schema: z.ZodType<T>, value: unknown, where: 'settings' | 'secrets'): T {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const keys = issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [];
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  // Zod's message for a secret says what was expected, never the value received.
  throw new ConnectorSettingsError(['connector', where, ...issue.path.map(String), ...keys].join('.'), missing ? 'is required' : issue.message);
}

/** Settings and secrets as the kind's schemas read them; throws ConnectorSettingsError naming the field. */
export function parseConnectorParts(kind: string, settings: Settings, secrets: Secrets): { definition: AnyConnectorDefinition; settings: Settings; secrets: Record<string, string | undefined> } {
  const definition = entryOf(kind);
  return { definition, settings: parsePart(definition.settings, settings, 'settings'), secrets: parsePart(definition.secrets, secrets, 'secrets') };
}

/** Every http(s) URL among the settings must name one of the kind's allowedHosts or the operator's (connectors/shared/host-policy.ts). */
function hostIssues(definition: AnyConnectorDefinition, settings: Settings): ConnectorSettingsIssue[] {
  const { allowedHosts } = definition;
  if (!allowedHosts) return [];
  return Object.entries(settings).flatMap(([field, value]) => {
    const refused = typeof value === 'string' && /^https?:\/\//i.test(value) ? hostRefusal(value, allowedHosts) : undefined;
    return refused ? [{ field: `connector.settings.${field}`, message: refused }] : [];
  });
}

function issuesOf(definition: AnyConnectorDefinition, settings: Settings): ConnectorSettingsIssue[] {
  return [...hostIssues(definition, settings), ...(definition.settingsIssues?.(settings) ?? [])];
}

/** Parsed parts whose settings pass the host and file checks: settings saved before an allow-list change are refused before any credential is sent. */
function checkedParts(kind: string, settings: Settings, secrets: Secrets) {
  const parts = parseConnectorParts(kind, settings, secrets);
  const [issue] = issuesOf(parts.definition, parts.settings);
  if (issue) throw new ConnectorSettingsError(issue.field, issue.message);
  const notice = parts.secrets[onboardingWebhookSecretName];
  const refused = notice === undefined ? undefined : onboardingWebhookRefusal(notice);
  if (refused) throw new ConnectorSettingsError(`connector.secrets.${onboardingWebhookSecretName}`, refused);
  return parts;
}

/**
 * Whose vendor budget a connector spends: its kind and the settings that say where its calls go and
 * for whom (the definition's tenantSettings, e.g. WeCom's base URL and corp id). Tasks of one tenant share it.
 */
export function rateLimitTenant(definition: AnyConnectorDefinition, settings: Settings): string {
  return [definition.kind, ...definition.tenantSettings.map((name) => JSON.stringify(settings[name] ?? null))].join(':');
}

/** Builds one connector; throws ConnectorSettingsError naming the field for bad settings or missing secrets. */
export function createConnector(kind: string, settings: Settings, secrets: Secrets, deps: ConnectorDeps): Connector {
  const parts = checkedParts(kind, settings, secrets);
  const rateLimiters = deps.rateLimiters ?? (deps.rateBudgets ? sharedRateLimiters(deps.rateBudgets, rateLimitTenant(parts.definition, parts.settings)) : undefined);
  return parts.definition.create(parts.settings, parts.secrets, { ...deps, rateLimiters });
}

/** The kind's connection test (credentials, permissions); a kind without one has nothing to check. */
export async function testConnectorConnection(kind: string, settings: Settings, secrets: Secrets, context: ConnectionTestContext): Promise<ConnectionCheck[]> {
  const parts = checkedParts(kind, settings, secrets);
  return parts.definition.testConnection ? parts.definition.testConnection(parts.settings, parts.secrets, context) : [];
}

/** Save-time check of a task's connector settings: disallowed hosts, files outside the import directory. */
export function connectorSettingsIssues(kind: string, settings: Settings): ConnectorSettingsIssue[] {
  const definition = definitionOf(kind);
  return definition ? issuesOf(definition, settings ?? {}) : [];
}

/** What a kind can do, without building it (no settings, no secrets needed). */
export function connectorCapabilities(kind: string): ConnectorCapabilities {
  return entryOf(kind).capabilities;
}

/** The target root id plans use for this kind (WeCom "1", the hub null). */
export function connectorRootId(kind: string): string | null {
  return entryOf(kind).rootId;
}

/** The id the app will give a created user, when it is known in advance; undefined when the app chooses. */
export function predictedUserId(kind: string, user: User): string | undefined {
  return entryOf(kind).createdUserId?.(user);
}

export interface TaskEndpoints {
  source: Connector;
  target: Connector;
  /** kind of the target side ('hub' for an upstream task) */
  targetKind: string;
  targetRootId: string | null;
}

/** Upstream tasks read the app and write the hub; downstream tasks read the hub and write the app. */
export function openTaskEndpoints(
  task: { id?: string; direction: 'upstream' | 'downstream'; connector: { kind: string; settings: Settings } },
  secrets: Secrets,
  deps: ConnectorDeps,
  factory: typeof createConnector = createConnector,
): TaskEndpoints {
  // The people an upstream task creates in the hub belong to it (a SCIM push reads those it owns).
  const owned = task.direction === 'upstream' && task.id ? { ...deps, hubOwnerTaskId: task.id } : deps;
  const built = factory(task.connector.kind, task.connector.settings, secrets, owned);
  // The onboarding notice is about accounts created in the app: downstream only.
  const notice = task.direction === 'downstream' ? secrets[onboardingWebhookSecretName] : undefined;
  const app = notice ? withOnboardingWebhook(built, notice, task.connector.kind) : built;
  const hub = factory('hub', {}, {}, owned);
  const [source, target] = task.direction === 'upstream' ? [app, hub] : [hub, app];
  const targetKind = task.direction === 'upstream' ? 'hub' : task.connector.kind;
  return { source, target, targetKind, targetRootId: connectorRootId(targetKind) };
}
