// Builds a task's connectors by kind. The only place that knows every connector; connectors
// themselves never import each other. Settings are checked here (or by the connector's own parser)
// and a bad one names `connector.settings.<field>`; a secret's value never appears in an error.
import type { Database } from '../db/client';
import type { ChangeListener } from '../db/repos/hub-writer';
import { createCsvConnector, csvCapabilities, parseCsvSettings } from './csv';
import { importPathRefusal } from './csv/import-dir';
import { createDingtalkConnector, dingtalkCapabilities, type DingtalkSettings } from './dingtalk';
import { dingtalkDocumentedHosts } from './dingtalk/hosts';
import { VendorError } from './errors';
import { createFeishuConnector, feishuCapabilities, type FeishuSettings } from './feishu';
import { feishuDocumentedHosts } from './feishu/hosts';
import { createHubConnector, hubCapabilities } from './hub';
import type { User } from '../engine/model';
import { hostRefusal } from './shared/host-policy';
import type { Connector, ConnectorCapabilities } from './types';
import { createWecomConnector, wecomCapabilities, type WecomSettings } from './wecom';
import { wecomDocumentedHosts } from './wecom/hosts';

export interface ConnectorDeps {
  database: Database;
  /** audit-log actor of hub writes, e.g. `sync:<taskId>` or the approver */
  actor: string;
  onHubChange?: ChangeListener;
  /** an upstream task's id: the hub people its runs create belong to it */
  hubOwnerTaskId?: string;
}

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

interface KindEntry {
  capabilities: ConnectorCapabilities;
  /** the target department top-level departments live under (WeCom/DingTalk root 1), null when the app has none to name */
  rootId: string | null;
  /** the id a create of this user will get, when the app takes it from the user (e.g. WeCom userid = username) */
  createdUserId?: (user: User) => string;
  /** where the settings would send credentials or read files from, checked on save and on create */
  settingsIssues?(settings: Settings): ConnectorSettingsIssue[];
  create(settings: Settings, secrets: Secrets, deps: ConnectorDeps): Connector;
}

export interface ConnectorSettingsIssue {
  field: string;
  message: string;
}

/** URL settings must point at an allowed host (connectors/shared/host-policy.ts); other shapes are create's to refuse. */
function hostIssues(settings: Settings, fields: readonly string[], documentedHosts: readonly string[]): ConnectorSettingsIssue[] {
  return fields.flatMap((field) => {
    const value = settings[field];
    const refused = typeof value === 'string' && /^https?:\/\//.test(value) ? hostRefusal(value, documentedHosts) : undefined;
    return refused ? [{ field: `connector.settings.${field}`, message: refused }] : [];
  });
}

function pathIssues(settings: Settings): ConnectorSettingsIssue[] {
  const refused = typeof settings.path === 'string' && settings.path !== '' ? importPathRefusal(settings.path) : undefined;
  return refused ? [{ field: 'connector.settings.path', message: refused }] : [];
}

function requireString(settings: Settings, field: string, where = 'settings'): string {
  const value = settings[field];
  if (typeof value !== 'string' || value.trim() === '') throw new ConnectorSettingsError(`connector.${where}.${field}`, 'is required (a non-empty string)');
  return value;
}

function requireSecret(secrets: Secrets, field: string): string {
  // The value itself is never echoed back: only whether it is there.
  const value = secrets[field];
  if (typeof value !== 'string' || value === '') throw new ConnectorSettingsError(`connector.secrets.${field}`, 'is required');
  return value;
}

function requireUrl(settings: Settings, field: string): string {
  const value = requireString(settings, field);
  if (!/^https?:\/\/[^\s]+$/.test(value)) throw new ConnectorSettingsError(`connector.settings.${field}`, 'must be an http(s) URL');
  return value;
}

const kinds: Record<string, KindEntry> = {
  hub: {
    capabilities: hubCapabilities,
    rootId: null,
    create: (_settings, _secrets, deps) => createHubConnector({ database: deps.database, actor: deps.actor, onChange: deps.onHubChange, ownerTaskId: deps.hubOwnerTaskId }),
  },
  csv: {
    capabilities: csvCapabilities,
    rootId: null,
    settingsIssues: pathIssues,
    create(settings) {
      try {
        return createCsvConnector(parseCsvSettings(settings));
      } catch (error) {
        // parseCsvSettings names `settings.<field>` in a VendorError; the task body calls it connector.settings.
        if (error instanceof VendorError && error.vendorCode === 'invalid_input') {
          const [field, ...rest] = error.vendorMessage.split(': ');
          throw new ConnectorSettingsError(`connector.${field}`, rest.join(': '));
        }
        throw error;
      }
    },
  },
  wecom: {
    capabilities: wecomCapabilities,
    rootId: '1',
    createdUserId: (user) => user.id || user.username,
    settingsIssues: (settings) => hostIssues(settings, ['baseUrl'], wecomDocumentedHosts),
    create(settings, secrets) {
      requireUrl(settings, 'baseUrl');
      requireString(settings, 'corpId');
      return createWecomConnector(settings as unknown as WecomSettings, { corpSecret: requireSecret(secrets, 'corpSecret') });
    },
  },
  feishu: {
    capabilities: feishuCapabilities,
    rootId: null,
    settingsIssues: (settings) => hostIssues(settings, ['baseUrl'], feishuDocumentedHosts),
    create(settings, secrets) {
      requireUrl(settings, 'baseUrl');
      requireString(settings, 'appId');
      return createFeishuConnector(settings as unknown as FeishuSettings, { appSecret: requireSecret(secrets, 'appSecret') });
    },
  },
  dingtalk: {
    capabilities: dingtalkCapabilities,
    rootId: '1',
    settingsIssues: (settings) => hostIssues(settings, ['oapiBaseUrl', 'apiBaseUrl'], dingtalkDocumentedHosts),
    create(settings, secrets) {
      requireUrl(settings, 'oapiBaseUrl');
      requireString(settings, 'appKey');
      return createDingtalkConnector(settings as unknown as DingtalkSettings, { appSecret: requireSecret(secrets, 'appSecret') });
    },
  },
};

function entryOf(kind: string): KindEntry {
  const entry = kinds[kind];
  if (!entry) throw new ConnectorSettingsError('connector.kind', `unknown connector kind "${kind}"; use one of ${Object.keys(kinds).join(', ')}`);
  return entry;
}

export const registeredConnectorKinds: readonly string[] = Object.keys(kinds);

/** Builds one connector; throws ConnectorSettingsError naming the field for bad settings or missing secrets. */
export function createConnector(kind: string, settings: Settings, secrets: Secrets, deps: ConnectorDeps): Connector {
  const entry = entryOf(kind);
  // Settings saved before an allow-list change are refused here, before any credential is sent.
  const [issue] = entry.settingsIssues?.(settings ?? {}) ?? [];
  if (issue) throw new ConnectorSettingsError(issue.field, issue.message);
  return entry.create(settings ?? {}, secrets ?? {}, deps);
}

/** Save-time check of a task's connector settings: disallowed hosts, files outside the import directory. */
export function connectorSettingsIssues(kind: string, settings: Settings): ConnectorSettingsIssue[] {
  const entry = kinds[kind];
  return entry?.settingsIssues?.(settings ?? {}) ?? [];
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
  const app = factory(task.connector.kind, task.connector.settings, secrets, deps);
  // The people an upstream task creates in the hub belong to it.
  const hub = factory('hub', {}, {}, task.direction === 'upstream' && task.id ? { ...deps, hubOwnerTaskId: task.id } : deps);
  const [source, target] = task.direction === 'upstream' ? [app, hub] : [hub, app];
  const targetKind = task.direction === 'upstream' ? 'hub' : task.connector.kind;
  return { source, target, targetKind, targetRootId: connectorRootId(targetKind) };
}
