// Zod schemas (and row → body mappers) of the sync-task, run and pending-deletion routes.
import { z } from 'zod';
import { itemStatuses, pendingDeletionStatuses, runStatuses, type PendingDeletionRow, type RunRow } from '../db/repos/run-queries';
import { taskStatuses, type SyncTaskView } from '../db/repos/sync-tasks';
import { runFailureClasses } from '../engine/failure-class';
import { nextFireTimes } from '../engine/schedule';
import { webhookUrlOf } from './connection-test';
import { ErrorBody } from './errors';
import { PageQuery } from './schemas';

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/** A refused task configuration: every offending field, each with its own message. */
export const TaskConfigErrorBody = ErrorBody.extend({
  issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
}).describe('invalid input; `field` names the first offending field, `issues` lists them all');

export const LastRun = z.object({
  id: z.string(),
  status: z.string(),
  trigger: z.string(),
  dryRun: z.boolean(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
});

export const TaskResponse = z.object({
  id: z.string(),
  name: z.string(),
  direction: z.enum(['upstream', 'downstream']),
  connectorKind: z.string(),
  enabled: z.boolean(),
  config: z.record(z.string(), z.unknown()).describe('the stored configuration without secrets'),
  hasSecrets: z.array(z.string()).describe('names of the stored connector secrets; values are never returned'),
  webhookUrl: z
    .string()
    .nullable()
    .describe("where the vendor sends events, for a real-time upstream task (null otherwise): absolute when SYNC_CENTER_PUBLIC_URL is set, else the path under this API's origin"),
  status: z.enum(taskStatuses),
  lastError: z.string().nullable(),
  lastRun: LastRun.nullable(),
  pendingDeletions: z.number().int(),
  nextRunAt: z.string().nullable().describe("the schedule's next fire time while the task is enabled; null without a schedule"),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The next fire time of an enabled task's schedule, as Temporal's Schedule computes it (engine/schedule.ts). */
function nextRunOf(task: SyncTaskView): string | null {
  const schedule = task.config.triggers?.schedule;
  if (!task.enabled || !schedule) return null;
  return nextFireTimes(schedule, new Date(), 1)[0]?.toISOString() ?? null;
}

export function toTaskResponse(task: SyncTaskView, publicUrl?: string): z.infer<typeof TaskResponse> {
  return {
    ...task,
    webhookUrl: webhookUrlOf({ ...task, realtime: task.config.triggers?.realtime === true }, publicUrl),
    config: task.config as unknown as Record<string, unknown>,
    nextRunAt: nextRunOf(task),
    lastRun: task.lastRun && { ...task.lastRun, startedAt: task.lastRun.startedAt.toISOString(), finishedAt: iso(task.lastRun.finishedAt) },
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
  };
}

export const RunResponse = z.object({
  id: z.string(),
  taskId: z.string(),
  trigger: z.string(),
  status: z.enum(runStatuses),
  dryRun: z.boolean(),
  changedIds: z.unknown().nullable(),
  phase: z.string(),
  counters: z.record(z.string(), z.unknown()),
  error: z.string().nullable(),
  failureClass: z
    .enum(runFailureClasses)
    .nullable()
    .describe(
      "why a failed or partially failed run failed, read from the connector's typed error (not the text) of its failed step, else the class most of its failed items share: auth (credentials or token refused), rate_limit, network (no usable answer: timeout, 5xx), vendor (refused otherwise), config (the task's settings), internal; null for other runs, when unknown, and for runs recorded before it existed",
    ),
  workflowId: z.string().nullable(),
  requestedBy: z.array(z.string()).nullable().describe('who asked for the run: API principals, `schedule`, `realtime`, `temporal-ui`; null for runs from before it was recorded'),
  read: z
    .object({
      kind: z.enum(['full', 'incremental', 'changed-ids']),
      reason: z.string(),
      since: z.string().optional().describe('incremental: the watermark the changes were read from'),
      watermark: z.string().optional().describe('stored for the next incremental read if the run succeeds'),
      changed: z.number().int().optional().describe('incremental: the ids the source listed as changed'),
    })
    .nullable()
    .describe('how the source was read: full, incremental (the changes since the last successful run) or a real-time run\'s ids; null before the snapshot step'),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

export function toRunResponse(run: RunRow): z.infer<typeof RunResponse> {
  const read = run.read ? { kind: run.read.kind, reason: run.read.reason, since: run.read.since, watermark: run.read.watermark, changed: run.read.changed } : null;
  return { ...run, failureClass: run.failureClass ?? null, changedIds: run.changedIds ?? null, requestedBy: run.requestedBy ?? null, read, startedAt: run.startedAt.toISOString(), finishedAt: iso(run.finishedAt) };
}

const SuccessOfTotal = z.object({ succeeded: z.number().int(), failed: z.number().int(), total: z.number().int() });

export const RunDetailResponse = RunResponse.extend({
  summary: z
    .object({
      departments: SuccessOfTotal,
      departmentUpdates: SuccessOfTotal,
      users: SuccessOfTotal,
      userUpdates: SuccessOfTotal,
      byStatus: z.record(z.string(), z.number().int()),
    })
    .describe('from the run items: creations apart from every other change'),
  progress: z
    .object({ phase: z.string(), batchesDone: z.number().int(), batchesTotal: z.number().int(), counters: z.record(z.string(), z.number()) })
    .optional()
    .describe('live, from the run workflow, while the run is in flight'),
});

export const RunItemResponse = z.object({
  id: z.number().int(),
  seq: z.number().int(),
  action: z.string(),
  entity: z.enum(['department', 'user']),
  sourceId: z.string().nullable(),
  targetId: z.string().nullable(),
  displayName: z.string().nullable(),
  status: z.enum(itemStatuses),
  before: z.unknown(),
  after: z.unknown(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

export const RunItemsQuery = z.strictObject({
  ...PageQuery,
  entity: z.enum(['department', 'user']).optional(),
  status: z.enum(itemStatuses).optional(),
  action: z.string().min(1).max(64).optional().describe('e.g. CreateUser, MoveDepartment'),
});

export const RunListQuery = z.strictObject({ ...PageQuery, status: z.enum(runStatuses).optional() });

export const PendingDeletionResponse = z.object({
  id: z.string(),
  taskId: z.string(),
  runId: z.string(),
  action: z.string(),
  entity: z.enum(['department', 'user']),
  sourceId: z.string().nullable(),
  targetId: z.string(),
  displayName: z.string().nullable(),
  reason: z.string(),
  status: z.enum(pendingDeletionStatuses),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  createdAt: z.string(),
  supersededBy: z.string().nullable().describe('SUPERSEDED: the run whose plan no longer wanted it'),
  expiresAt: z.string().nullable().describe('a PENDING item past this time is CANCELED as expired'),
});

export function toPendingDeletionResponse(row: PendingDeletionRow): z.infer<typeof PendingDeletionResponse> {
  const { runItemId: _runItemId, ...rest } = row;
  return { ...rest, decidedAt: iso(row.decidedAt), createdAt: row.createdAt.toISOString(), expiresAt: iso(row.expiresAt) };
}

export const PendingDeletionQuery = z.strictObject({
  ...PageQuery,
  taskId: z.string().min(1).max(128).optional(),
  runId: z.string().min(1).max(128).optional(),
  status: z.enum(pendingDeletionStatuses).optional(),
});

export const DecisionBody = z.strictObject({ ids: z.array(z.string().min(1).max(128)).min(1).max(10_000) });

/** stale: superseded by a later run, re-checked as no longer wanted, or expired; `requester_may_not_approve`: the task requires a second approver and this principal asked for the item's run. */
export const decisionResults = ['accepted', 'already_canceled', 'already_decided', 'stale', 'not_found', 'requester_may_not_approve'] as const;
export const DecisionResponse = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      result: z.enum(decisionResults),
      status: z.enum(pendingDeletionStatuses).optional().describe('the stored status when the decision was not accepted'),
    }),
  ),
});

