// Sync tasks, their links, runs, run items (the stored plan) and staged deletions.
import { sql } from 'drizzle-orm';
import { itemStatuses, pendingDeletionStatuses, runStatuses } from '../../engine/statuses';
import { runFailureClasses } from '../../engine/failure-class';
import type { PublicTaskConfig } from '../../engine/task-config';
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const syncTasks = pgTable('sync_tasks', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  direction: text('direction', { enum: ['upstream', 'downstream'] }).notNull(),
  connectorKind: text('connector_kind').notNull(),
  /** the validated task configuration without its secrets */
  config: jsonb('config').$type<PublicTaskConfig>().notNull(),
  /** AES-256-GCM sealed JSON of the connector secrets (db/secret-box.ts) */
  secretsSealed: text('secrets_sealed').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  /** deleted tasks keep their run history */
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
});

/** hub id ↔ external id per task, so a retried create never makes a second account */
export const taskLinks = pgTable(
  'task_links',
  {
    taskId: text('task_id').notNull(),
    entity: text('entity', { enum: ['department', 'user'] }).notNull(),
    sourceId: text('source_id').notNull(),
    targetId: text('target_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.taskId, t.entity, t.sourceId] }),
    uniqueIndex('task_links_target_uq').on(t.taskId, t.entity, t.targetId),
  ],
);

export const syncRuns = pgTable(
  'sync_runs',
  {
    id: text('id').primaryKey(),
    taskId: text('task_id').notNull(),
    trigger: text('trigger', { enum: ['manual', 'schedule', 'realtime'] }).notNull(),
    status: text('status', { enum: runStatuses }).notNull(),
    dryRun: boolean('dry_run').notNull().default(false),
    /** ids a real-time run re-reads; null for a full run */
    changedIds: jsonb('changed_ids').$type<{ departmentIds: string[]; userIds: string[] }>(),
    phase: text('phase').notNull().default('pending'),
    counters: jsonb('counters').$type<Record<string, number>>().notNull().default({}),
    error: text('error'),
    /** why a failed or partially failed run failed (engine/failure-class.ts: auth, rate_limit, network, vendor, config, internal): its failed step's, else the class its failed items share; null otherwise, when unknown, and for runs recorded before it existed */
    failureClass: text('failure_class', { enum: runFailureClasses }),
    workflowId: text('workflow_id'),
    /** who asked for the run: principals (`token:<name>:<id>`, `bootstrap-admin`), `schedule`, `realtime`, `temporal-ui`; null before it was recorded */
    requestedBy: text('requested_by').array(),
    /** source users the field mapping could not produce (snapshot step), held untouched by the plan */
    mappingFailures: jsonb('mapping_failures').$type<unknown[]>(),
    /** how the snapshot step read the source (full or incremental) and the watermark a success stores; null before it ran */
    read: jsonb('read').$type<RunRead>(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [index('sync_runs_task_idx').on(t.taskId, t.startedAt)],
);

/** A run's source read, for ops and for the watermark (nothing in it is secret). */
export interface RunRead {
  kind: 'full' | 'incremental' | 'changed-ids';
  /** why this kind: e.g. "manual run", "full run due (every 24 h)", "changes since the last run" */
  reason: string;
  /** incremental: the stored watermark the changes were read from */
  since?: string;
  /** the watermark stored for the task's next incremental read when this run succeeds */
  watermark?: string;
  /** incremental: how many changed ids the source listed */
  changed?: number;
  /** the source settings and field mapping the watermark is valid for (a hash) */
  readConfig?: string;
}

/**
 * Per upstream task with incremental reads: where the next incremental read starts. Written only
 * when a run that read it succeeded, so a failed or partially failed run re-reads the same window.
 */
export const taskReadWatermarks = pgTable('task_read_watermarks', {
  taskId: text('task_id').primaryKey(),
  watermark: text('watermark').notNull(),
  /** the run that stored it, and when that run started (a run that started earlier never overwrites it) */
  runId: text('run_id').notNull(),
  runStartedAt: timestamp('run_started_at', { withTimezone: true }).notNull(),
  /** when the last successful full read started: the next full read is due fullRunEveryHours after it */
  fullReadAt: timestamp('full_read_at', { withTimezone: true }).notNull(),
  /** hash of the source settings and field mapping the watermark was taken with: a change forces a full read */
  readConfig: text('read_config').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** snapshots are stored in chunks so no single value grows with the directory */
export const runSnapshotChunks = pgTable(
  'run_snapshot_chunks',
  {
    runId: text('run_id').notNull(),
    side: text('side', { enum: ['source', 'target'] }).notNull(),
    seq: integer('seq').notNull(),
    departments: jsonb('departments').$type<unknown[]>().notNull(),
    users: jsonb('users').$type<unknown[]>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.side, t.seq] })],
);

/** the stored plan: one row per action, in plan order; apply updates status as it goes */
export const runItems = pgTable(
  'run_items',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    runId: text('run_id').notNull(),
    seq: integer('seq').notNull(),
    batch: integer('batch').notNull(),
    key: text('key').notNull(),
    action: text('action').notNull(),
    entity: text('entity', { enum: ['department', 'user'] }).notNull(),
    sourceId: text('source_id'),
    targetId: text('target_id'),
    displayName: text('display_name'),
    status: text('status', { enum: itemStatuses }).notNull(),
    /** the full plan action, replayed by apply */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    /** a failed item's class (engine/failure-class.ts), read from the vendor's typed error; null for other outcomes, plan failures and items recorded before it existed */
    failureClass: text('failure_class', { enum: runFailureClasses }),
    /** why the item is staged, held, skipped or failed by the plan (not a vendor error) */
    reason: text('reason'),
    /** set just before the vendor call: an item still planned with this set may have reached the vendor before a crash */
    attemptedAt: timestamp('attempted_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('run_items_run_seq_uq').on(t.runId, t.seq),
    index('run_items_run_batch_idx').on(t.runId, t.batch),
    index('run_items_run_status_idx').on(t.runId, t.status),
    // a person's (or department's) items across runs: their last write in each app (GET /users/:id/links)
    index('run_items_entity_source_idx').on(t.entity, t.sourceId),
  ],
);

/**
 * Which attempt of a batch's apply activity may write (the fence): the one Temporal scheduled last.
 * Claimed at attempt start with a compare-and-set; every outcome write checks it in its transaction.
 */
export const applyLeases = pgTable(
  'apply_leases',
  {
    runId: text('run_id').notNull(),
    batch: integer('batch').notNull(),
    /** when Temporal scheduled the owning attempt (ms since the epoch), then its attempt number: compared as a pair */
    scheduledAtMs: bigint('scheduled_at_ms', { mode: 'number' }).notNull(),
    attempt: integer('attempt').notNull(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.batch] })],
);

export const pendingDeletions = pgTable(
  'pending_deletions',
  {
    id: text('id').primaryKey(),
    taskId: text('task_id').notNull(),
    runId: text('run_id').notNull(),
    runItemId: integer('run_item_id').notNull(),
    action: text('action').notNull(),
    entity: text('entity', { enum: ['department', 'user'] }).notNull(),
    sourceId: text('source_id'),
    targetId: text('target_id').notNull(),
    displayName: text('display_name'),
    reason: text('reason').notNull(),
    status: text('status', { enum: pendingDeletionStatuses }).notNull(),
    /** the run whose plan no longer wanted this item (status SUPERSEDED) */
    supersededBy: text('superseded_by'),
    /** past this time a PENDING item is CANCELED as 'expired' (task setting deletionProtection.expireAfterDays) */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    decidedBy: text('decided_by'),
    decidedAt: timestamp('decided_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('pending_deletions_task_status_idx').on(t.taskId, t.status),
    // Staging is idempotent per run item: a retried or overlapping attempt adds nothing.
    uniqueIndex('pending_deletions_run_item_uq').on(t.runId, t.runItemId),
    index('pending_deletions_run_status_idx').on(t.runId, t.status),
    // A delete already waiting for a decision is not staged twice by later runs.
    uniqueIndex('pending_deletions_open_uq')
      .on(t.taskId, t.entity, t.targetId, t.action)
      .where(sql`status in ('PENDING', 'EXECUTING')`),
  ],
);
