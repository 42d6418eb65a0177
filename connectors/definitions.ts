// The one list of connector kinds. Every table of kinds (registry, task validation, webhooks, the
// CLI's fakes, the API's docs) derives from it: adding a kind is its folder plus one line here.
import type { ConnectorCatalog } from '../engine/connector-kind';
import { beisenDefinition } from './beisen/definition';
import { csvDefinition } from './csv/definition';
import { dingtalkDefinition } from './dingtalk/definition';
import { ecologyDefinition } from './ecology/definition';
import { feishuDefinition } from './feishu/definition';
import { httpHrDefinition } from './http-hr/definition';
import { hubDefinition } from './hub/definition';
import { ldapDefinition } from './ldap/definition';
import { mokaDefinition } from './moka/definition';
import { scimDefinition } from './scim/definition';
import { scimPushDefinition } from './scim-push/definition';
import type { AnyConnectorDefinition } from './types';
import { wecomDefinition } from './wecom/definition';

export const definitions = [wecomDefinition, feishuDefinition, dingtalkDefinition, csvDefinition, beisenDefinition, mokaDefinition, ldapDefinition, scimDefinition, scimPushDefinition, ecologyDefinition, httpHrDefinition, hubDefinition] as const;

export type ConnectorKind = (typeof definitions)[number]['kind'];

// Each definition parses its own settings before create(), so the lookups may hold them erased.
const byKind = new Map<string, AnyConnectorDefinition>(definitions.map((d) => [d.kind, d as unknown as AnyConnectorDefinition]));

export const connectorKinds: readonly ConnectorKind[] = definitions.map((d) => d.kind);

/** What task validation (engine/task-config.ts) is given: every kind a task may name. */
export const connectorCatalog: ConnectorCatalog = definitions.filter((d) => !('internal' in d && d.internal)).map((d) => d as unknown as AnyConnectorDefinition);

export function isConnectorKind(kind: string): kind is ConnectorKind {
  return byKind.has(kind);
}

export function definitionOf(kind: string): AnyConnectorDefinition | undefined {
  return byKind.get(kind);
}
