// What task validation needs to know about a connector kind, as data. connectors/<kind>/definition.ts
// supplies these facts (engine/ never imports connectors/); the caller hands the list in.
import type { z } from 'zod';
import type { ConnectorCapabilities } from './connector';
import type { CanonicalUserField } from './field-mapping';

export const taskDirections = ['upstream', 'downstream'] as const;
export type TaskDirection = (typeof taskDirections)[number];

/** One pre-filled mapping row: canonical target ← canonical source, and the vendor field it lands in. */
export interface DefaultMappingRow {
  target: CanonicalUserField;
  source: CanonicalUserField;
  vendorField: string;
}

/** A zod object schema of plain settings or of secrets (every secret is a string). */
export type SettingsSchema = z.ZodType<Record<string, unknown>, Record<string, unknown>>;
export type SecretsSchema = z.ZodType<Record<string, string | undefined>, Record<string, unknown>>;

export interface ConnectorKindFacts<K extends string = string> {
  kind: K;
  /** the directions a task may give this kind (a read-only HR export: upstream only) */
  directions: readonly TaskDirection[];
  capabilities: ConnectorCapabilities;
  /** the department top-level departments live under (WeCom/DingTalk "1"); null when the app has none to name */
  rootId: string | null;
  /** `connector.settings` of a task; a bad one is a 400 naming `connector.settings.<field>` */
  settings: SettingsSchema;
  /** `connector.secrets` of a task; a missing one is a 400 naming `connector.secrets.<name>` */
  secrets: SecretsSchema;
  /** settings that together identify one app (one tenant); compared to refuse up+down of the same app */
  identifyingSettings: readonly string[];
  /**
   * Where the connector sends its credentials: every endpoint and tenant id (engine/task-repointing.ts).
   * Changing one re-points the task, so the secrets must be given again and links cannot carry over.
   */
  tenantSettings: readonly string[];
  /** pre-filled mapping rows and the vendor names a task author may write instead of canonical ones */
  defaultMapping: readonly DefaultMappingRow[];
  /**
   * The vendor's documented hosts: every http(s) URL among the settings must name one, or one the
   * operator allows (connectors/shared/host-policy.ts). The vendor client checks each request against
   * the same list. Absent: the kind sends nothing over HTTP.
   */
  allowedHosts?: readonly string[];
}

/** The kinds a task may name, in the order the definitions list gives them. */
export type ConnectorCatalog = readonly ConnectorKindFacts[];

export function factsOf(catalog: ConnectorCatalog, kind: string): ConnectorKindFacts | undefined {
  return catalog.find((facts) => facts.kind === kind);
}

/**
 * The secrets a connector of this kind cannot work without, read off its secrets schema (what an
 * empty object lacks): a re-pointed task must be given each again (engine/task-repointing.ts).
 */
export function requiredSecretNames(facts: Pick<ConnectorKindFacts, 'secrets'>): string[] {
  const parsed = facts.secrets.safeParse({});
  if (parsed.success) return [];
  return [...new Set(parsed.error.issues.filter((issue) => issue.path.length === 1).map((issue) => String(issue.path[0])))].sort();
}

/** Rows of a vendor's field names, each canonical field mapped onto itself. */
export function sameFieldMapping(vendor: Partial<Record<CanonicalUserField, string>>): DefaultMappingRow[] {
  return (Object.entries(vendor) as [CanonicalUserField, string][]).map(([field, vendorField]) => ({ target: field, source: field, vendorField }));
}

/** The mapping a new task of this kind starts with (entries as the task body spells them). */
export function defaultFieldMapping(catalog: ConnectorCatalog, kind: string): { target: string; source: string }[] {
  return (factsOf(catalog, kind)?.defaultMapping ?? []).map(({ target, source }) => ({ target, source }));
}
