// The shapes /api/v1 answers with, as the console reads them (the OpenAPI at /docs is the contract).
// Plain types and constants only, no browser API: the task-body tests load this under Node.
export type Role = 'admin' | 'operator' | 'approver' | 'scim';
export type TaskStatus = 'never_run' | 'running' | 'succeeded' | 'failed' | 'pending_deletions' | 'disabled';
export type RunStatus = 'pending' | 'running' | 'succeeded' | 'partially_failed' | 'failed' | 'canceled';
export type ItemStatus = 'planned' | 'succeeded' | 'failed' | 'skipped' | 'staged';
export type PendingDeletionStatus = 'PENDING' | 'EXECUTING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'SUPERSEDED';
export const pendingDeletionStatuses: PendingDeletionStatus[] = ['PENDING', 'EXECUTING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'SUPERSEDED'];
export const itemStatuses: ItemStatus[] = ['planned', 'succeeded', 'failed', 'skipped', 'staged'];

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface Task {
  id: string;
  name: string;
  direction: 'upstream' | 'downstream';
  connectorKind: string;
  enabled: boolean;
  config: Record<string, unknown>;
  hasSecrets: string[];
  webhookUrl: string | null;
  status: TaskStatus;
  lastError: string | null;
  lastRun: { id: string; status: string; trigger: string; dryRun: boolean; startedAt: string; finishedAt: string | null; error: string | null } | null;
  pendingDeletions: number;
  nextRunAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface Run {
  id: string;
  taskId: string;
  trigger: string;
  status: RunStatus;
  dryRun: boolean;
  phase: string;
  counters: Record<string, unknown>;
  error: string | null;
  /** why a failed or partially failed run failed (its failed step, else most of its failed items): auth, rate_limit, network, vendor, config, internal; null otherwise or unknown */
  failureClass: 'auth' | 'rate_limit' | 'network' | 'vendor' | 'config' | 'internal' | null;
  requestedBy: string[] | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface SuccessOfTotal {
  succeeded: number;
  failed: number;
  total: number;
}

export interface RunDetail extends Run {
  summary: { departments: SuccessOfTotal; departmentUpdates: SuccessOfTotal; users: SuccessOfTotal; userUpdates: SuccessOfTotal; byStatus: Record<string, number> };
  progress?: { phase: string; batchesDone: number; batchesTotal: number; counters: Record<string, number> };
}

export interface RunItem {
  id: number;
  seq: number;
  action: string;
  entity: 'department' | 'user';
  sourceId: string | null;
  targetId: string | null;
  displayName: string | null;
  status: ItemStatus;
  before: unknown;
  after: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  finishedAt: string | null;
}

export interface PendingDeletion {
  id: string;
  taskId: string;
  runId: string;
  action: string;
  entity: 'department' | 'user';
  sourceId: string | null;
  targetId: string;
  displayName: string | null;
  reason: string;
  status: PendingDeletionStatus;
  errorCode: string | null;
  errorMessage: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  createdAt: string;
  supersededBy: string | null;
  expiresAt: string | null;
}

export type DecisionResult = 'accepted' | 'already_canceled' | 'already_decided' | 'stale' | 'not_found' | 'requester_may_not_approve';
export interface Decision {
  id: string;
  result: DecisionResult;
  status?: PendingDeletionStatus;
}

export interface ConnectionCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
}

export interface ConnectorKind {
  kind: string;
  directions: ('upstream' | 'downstream')[];
  settings: JsonSchema;
  secrets: JsonSchema;
  defaultMapping: { target: string; source: string; vendorField?: string }[];
  tenantSettings: string[];
  realtime: boolean;
  connectionTest: boolean;
}

export interface Department {
  id: string;
  name: string;
  parentId: string | null;
  order: number;
}

export interface HubUser {
  id: string;
  username: string;
  name: string;
  email: string | null;
  mobile: string | null;
  employeeNumber: string | null;
  title: string | null;
  departmentIds: string[];
  status: string;
}

/** GET /users/:id/links: the person's link in one app (downstream task) or source (upstream task). */
export interface UserLink {
  taskId: string;
  taskName: string;
  direction: 'upstream' | 'downstream';
  connectorKind: string;
  enabled: boolean;
  remoteId: string | null;
  linkedAt: string | null;
  status: 'linked' | 'not_linked' | 'failed' | 'pending_deletion';
  lastSyncedAt: string | null;
  lastItem: { runId: string; action: string; status: string; errorCode: string | null; errorMessage: string | null; finishedAt: string | null } | null;
  lastRun: { id: string; trigger: string; status: string; startedAt: string; finishedAt: string | null } | null;
}

export interface FieldIssue {
  field: string;
  message: string;
}

/** One hub user as a task's field mapping would write them (POST /sync-tasks/preview-mapping). */
export interface MappingPreview {
  id: string;
  name: string;
  values: Record<string, unknown>;
  error: string | null;
}
