// What a connector is to the rest of the project: the engine's contract (engine/connector.ts) and the
// definition every connectors/<kind>/definition.ts exports (docs/connectors.md walks through one).
import type { z } from 'zod';
import type { Connector } from '../engine/connector';
import type { ConnectorKindFacts, SecretsSchema, SettingsSchema, TaskDirection } from '../engine/connector-kind';
import type { User } from '../engine/model';
import type { Database } from '../db/client';
import type { ChangeListener } from '../db/repos/hub-writer';
import type { RateBudgetStore } from '../db/repos/rate-budgets';
import type { RateLimiterFactory } from './shared/rate-limiter';
import type { WebhookReceiver } from './shared/webhook-receiver';

export type { ApplyResult, ChangesSince, Connector, ConnectorCapabilities, ConnectorOperation, ReadByIdsResult } from '../engine/connector';
export { readOnlySourceCapabilities } from '../engine/connector';

export interface ConnectorDeps {
  database: Database;
  /** audit-log actor of hub writes, e.g. `sync:<taskId>` or the approver */
  actor: string;
  onHubChange?: ChangeListener;
  /** an upstream task's id: the hub people its runs create belong to it */
  hubOwnerTaskId?: string;
  /** the vendor budgets every worker shares; absent: each client limits itself in-process */
  rateBudgets?: RateBudgetStore;
  /** the tenant's limiters, bound by the registry (kind + tenantSettings) from `rateBudgets`; clients fall back to in-process ones */
  rateLimiters?: RateLimiterFactory;
}

/** What a connection test checks, each spelled once (the API's answer schema derives from it). */
export const connectionCheckNames = ['credentials', 'read_contacts', 'write_contacts', 'visibility_scope', 'callback_url', 'source_file'] as const;

/** One line of a connection test: what was checked, whether it passed, and the vendor's code/message (never a secret). */
export interface ConnectionCheck {
  name: (typeof connectionCheckNames)[number];
  ok: boolean;
  detail: string;
}

export interface ConnectionTestContext {
  direction: TaskDirection;
  /** an upstream task with real-time events on */
  realtime: boolean;
}

export interface RunningFake {
  url: string;
  baseUrl: string;
  close(): Promise<void>;
}

export interface FakeCredentialFlag {
  /** the command-line flag, e.g. corp-id */
  flag: string;
  /** the option it fills in the fake's start function */
  option: string;
  description: string;
}

/** A faithful local server of the vendor API (`sync-center fake <kind>`), for tests, demo and benchmarks. */
export interface FakeDefinition {
  description: string;
  credentialFlags: FakeCredentialFlag[];
  start(options: { port?: number; host?: string } & Record<string, string | number | undefined>): Promise<RunningFake>;
  /** task settings and secrets that point a task at a fake started with default credentials */
  taskConnector(fake: RunningFake): { settings: Record<string, unknown>; secrets: Record<string, string> };
}

/** An app that pushes change events: which task secrets hold its callback keys, and its receiver (connectors/<kind>/webhook.ts). */
export interface WebhookDefinition<X extends SecretsSchema = SecretsSchema> {
  /** the task secrets (connector.secrets) the receiver reads; each must be one of the kind's secrets */
  secretNames: readonly (keyof z.output<X> & string)[];
  /** verifies and decrypts one delivery; throws WebhookConfigError naming a missing or unusable setting or secret */
  createReceiver(settings: Record<string, unknown>, secrets: Record<string, string>): WebhookReceiver;
}

export interface ConnectorDefinition<K extends string = string, S extends SettingsSchema = SettingsSchema, X extends SecretsSchema = SecretsSchema>
  extends ConnectorKindFacts<K> {
  settings: S;
  secrets: X;
  /** tasks never name it (the hub is the other side of every task) */
  internal?: boolean;
  /** the id the app will give a created user when it takes it from the user (WeCom userid = username) */
  createdUserId?(user: User): string;
  /** what else is wrong with validated settings (a file outside the import directory), checked on save and on create */
  settingsIssues?(settings: z.output<S>): { field: string; message: string }[];
  /** builds the connector from validated settings and secrets */
  create(settings: z.output<S>, secrets: z.output<X>, deps: ConnectorDeps): Connector;
  /** the 连接测试: credentials, the permissions a sync needs; never throws for a vendor refusal */
  testConnection?(settings: z.output<S>, secrets: z.output<X>, context: ConnectionTestContext): Promise<ConnectionCheck[]>;
  /** the app pushes change events: declared here, a kind cannot lack its receiver (the route reads it off this) */
  webhook?: WebhookDefinition<X>;
  fake?: FakeDefinition;
  /** a task connector that runs with no vendor to talk to (a kind without a fake, e.g. the CSV source's inline content) */
  example?: { settings: Record<string, unknown>; secrets: Record<string, string> };
}

/** Keeps a definition's literal kind and its schemas' types, so create() sees typed settings. */
export function defineConnector<const K extends string, S extends SettingsSchema, X extends SecretsSchema>(definition: ConnectorDefinition<K, S, X>): ConnectorDefinition<K, S, X> {
  return definition;
}

/** A definition as the lookups hold it: settings and secrets are parsed by its own schemas before create(). */
export type AnyConnectorDefinition = ConnectorDefinition<string, SettingsSchema, SecretsSchema>;
