// Sync tasks: validated configuration in Postgres, connector secrets sealed apart from it, a status
// derived from runs and staged deletions, and an audit row (never with a secret) for every write.
import { randomUUID } from 'node:crypto';
import { and, asc, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import {
  checkNoUpDownConflict,
  parseTaskConfig,
  splitSecrets,
  withSecrets,
  type ExistingTask,
  type PublicTaskConfig,
  type TaskConfig,
  type TaskConfigOptions,
} from '../../engine/task-config';
import { changedProtectionFields, checkSecretsGivenAgain, parseTaskPatch, repointedFields, secretNamesGiven, type ProtectionField } from '../../engine/task-repointing';
import type { Db } from '../client';
import { pendingDeletions, syncRuns, syncTasks } from '../schema';
import type { SecretBox } from '../secret-box';
import { recordAudit } from './audit-log';
import { NotFoundError } from './errors';
import { liveTaskRows, type TaskRow } from './task-rows';
import { lockTaskWrites } from './sql';
import { clearTiesForRepointing } from './task-repointing';

export { taskStatuses, type TaskStatus } from '../../engine/statuses';
import { activeRunStatuses, type TaskStatus } from '../../engine/statuses';

export interface TaskLastRun {
  id: string;
  status: string;
  trigger: string;
  dryRun: boolean;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

export interface SyncTaskView {
  id: string;
  name: string;
  direction: 'upstream' | 'downstream';
  connectorKind: string;
  enabled: boolean;
  /** the configuration as validated, without its secrets */
  config: PublicTaskConfig;
  /** names of the stored secrets; their values never leave the repository */
  hasSecrets: string[];
  status: TaskStatus;
  /** why the task is `failed`: the last real run's error */
  lastError: string | null;
  lastRun: TaskLastRun | null;
  pendingDeletions: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface SyncTaskRepoOptions {
  secretBox: SecretBox;
  /** the kinds a task may name (connectors/definitions.ts's connectorCatalog) */
  kinds: TaskConfigOptions['kinds'];
  /** connectors/registry's settings checks (hosts, import directory) when wired */
  connectorSettingsIssues?: TaskConfigOptions['connectorSettingsIssues'];
}


/** What the caller (the API, knowing the principal's role) decides about a write; every write needs them. */
export interface TaskWriteRules {
  /** sees the protection settings a write changes (from the defaults on create) before anything is stored; throws to refuse */
  authorizeProtectionChange: (fields: ProtectionField[]) => void;
  /** a PATCH that re-points the connector may cancel the task's open items and drop its links (otherwise 409) */
  resetLinks?: boolean;
}

/** No default: a write whose caller forgot the rules would skip the protection check. */
/**
 * Every task write's updated_at: the database's clock, and always at least a millisecond past the
 * stored value, so two writes in one millisecond or from processes whose clocks disagree still move
 * it forward (a SCIM push task cached by its updated_at must not look current; api/scim/push-task.ts).
 */
function nextUpdatedAt() {
  return sql`greatest(now(), ${syncTasks.updatedAt} + interval '1 millisecond')`;
}

function requireRules(rules: TaskWriteRules | undefined): TaskWriteRules {
  if (typeof rules?.authorizeProtectionChange !== 'function') throw new TypeError('a sync task write needs TaskWriteRules with authorizeProtectionChange (who may change deletion protection)');
  return rules;
}

interface TaskActivity {
  lastRun: TaskLastRun | null;
  running: boolean;
  pendingDeletions: number;
}

/** Precedence: a person must act (disabled, failed) before routine states; a waiting approval beats a plain success. */
export function deriveTaskStatus(enabled: boolean, activity: TaskActivity): { status: TaskStatus; lastError: string | null } {
  const failed = activity.lastRun !== null && activity.lastRun.status !== 'succeeded' && activity.lastRun.status !== 'running' && activity.lastRun.status !== 'pending';
  const lastError = failed ? (activity.lastRun!.error ?? `last run ${activity.lastRun!.status.replace('_', ' ')}`) : null;
  if (!enabled) return { status: 'disabled', lastError };
  if (activity.running) return { status: 'running', lastError };
  if (failed) return { status: 'failed', lastError };
  if (activity.pendingDeletions > 0) return { status: 'pending_deletions', lastError };
  if (activity.lastRun) return { status: 'succeeded', lastError };
  return { status: 'never_run', lastError };
}

export function createSyncTasks(db: Db, options: SyncTaskRepoOptions) {
  const { secretBox } = options;
  const parseOptions: TaskConfigOptions = { kinds: options.kinds, connectorSettingsIssues: options.connectorSettingsIssues };

  const openSecrets = (row: TaskRow): Record<string, string> => secretBox.open<Record<string, string>>(row.secretsSealed);

  /** Last real run, whether any run is in flight, and open staged deletions, for a page of tasks at once. */
  async function activityOf(taskIds: string[]): Promise<Map<string, TaskActivity>> {
    const result = new Map<string, TaskActivity>(taskIds.map((id) => [id, { lastRun: null, running: false, pendingDeletions: 0 }]));
    if (taskIds.length === 0) return result;
    const [lastRuns, running, pending] = await Promise.all([
      // Dry runs change nothing, so they neither hide nor cause a failure.
      db
        .selectDistinctOn([syncRuns.taskId])
        .from(syncRuns)
        .where(and(inArray(syncRuns.taskId, taskIds), eq(syncRuns.dryRun, false)))
        .orderBy(syncRuns.taskId, desc(syncRuns.startedAt)),
      db
        .selectDistinct({ taskId: syncRuns.taskId })
        .from(syncRuns)
        .where(and(inArray(syncRuns.taskId, taskIds), inArray(syncRuns.status, [...activeRunStatuses]))),
      db
        .select({ taskId: pendingDeletions.taskId, n: count() })
        .from(pendingDeletions)
        .where(and(inArray(pendingDeletions.taskId, taskIds), eq(pendingDeletions.status, 'PENDING')))
        .groupBy(pendingDeletions.taskId),
    ]);
    for (const run of lastRuns) {
      const { id, status, trigger, dryRun, startedAt, finishedAt, error } = run;
      result.get(run.taskId)!.lastRun = { id, status, trigger, dryRun, startedAt, finishedAt, error };
    }
    for (const { taskId } of running) result.get(taskId)!.running = true;
    for (const { taskId, n } of pending) result.get(taskId)!.pendingDeletions = Number(n);
    return result;
  }

  function toView(row: TaskRow, activity: TaskActivity): SyncTaskView {
    const { status, lastError } = deriveTaskStatus(row.enabled, activity);
    return {
      id: row.id,
      name: row.name,
      direction: row.direction,
      connectorKind: row.connectorKind,
      enabled: row.enabled,
      config: row.config,
      hasSecrets: Object.keys(openSecrets(row)).sort(),
      status,
      lastError,
      lastRun: activity.lastRun,
      pendingDeletions: activity.pendingDeletions,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  async function viewOf(row: TaskRow): Promise<SyncTaskView> {
    return toView(row, (await activityOf([row.id])).get(row.id)!);
  }

  async function liveRow(id: string, tx: Db = db, { lock = false } = {}): Promise<TaskRow> {
    // A PATCH locks the row: two edits checked against the same stored task must not both commit.
    const [row] = await liveTaskRows(tx, eq(syncTasks.id, id), { lock });
    if (!row) throw new NotFoundError('sync task', id);
    return row;
  }

  async function otherTasks(tx: Db): Promise<ExistingTask[]> {
    const rows = await liveTaskRows(tx);
    return rows.map((r) => ({ id: r.id, name: r.name, direction: r.direction, connector: r.config.connector }));
  }

  /** What the audit log keeps of a task: its public configuration and the names of its secrets. */
  const auditImage = (publicConfig: PublicTaskConfig, secrets: Record<string, string>) => ({ ...publicConfig, hasSecrets: Object.keys(secrets).sort() });

  function columnsOf(config: TaskConfig) {
    const { publicConfig, secrets } = splitSecrets(config);
    return {
      publicConfig,
      secrets,
      values: {
        name: config.name,
        direction: config.direction,
        connectorKind: config.connector.kind,
        config: publicConfig,
        secretsSealed: secretBox.seal(secrets),
        enabled: config.enabled,
      },
    };
  }

  return {
    /** Validates the whole body (400s name the field), refuses an app already on the other side of the hub. */
    async create(body: unknown, actor: string, rules: TaskWriteRules): Promise<SyncTaskView> {
      requireRules(rules);
      const config = parseTaskConfig(body, parseOptions);
      rules.authorizeProtectionChange(changedProtectionFields(undefined, config));
      const id = randomUUID();
      const row = await db.transaction(async (tx) => {
        checkNoUpDownConflict(config, await otherTasks(tx), parseOptions);
        const { publicConfig, secrets, values } = columnsOf(config);
        const [inserted] = await tx.insert(syncTasks).values({ id, ...values }).returning();
        await recordAudit(tx, { actor, action: 'sync_task.create', entityType: 'sync_task', entityId: id, before: null, after: auditImage(publicConfig, secrets) });
        return inserted;
      });
      return viewOf(row);
    },

    async get(id: string): Promise<SyncTaskView> {
      return viewOf(await liveRow(id));
    },

    /** The stored configuration with its secrets, for a connection test; never for an API answer. */
    async configWithSecrets(id: string): Promise<TaskConfig> {
      const row = await liveRow(id);
      return withSecrets(row.config, openSecrets(row));
    },

    /** Validates a body exactly as create does, storing nothing (a connection test of an unsaved task). */
    validate(body: unknown): TaskConfig {
      return parseTaskConfig(body, parseOptions);
    },

    /** Live tasks (not deleted), oldest first. */
    async list(query: { limit?: number; offset?: number } = {}): Promise<{ items: SyncTaskView[]; total: number; limit: number; offset: number }> {
      const limit = query.limit ?? 50;
      const offset = query.offset ?? 0;
      const live = isNull(syncTasks.deletedAt);
      const [rows, [{ total }]] = await Promise.all([
        db.select().from(syncTasks).where(live).orderBy(asc(syncTasks.createdAt), asc(syncTasks.id)).limit(limit).offset(offset),
        db.select({ total: count() }).from(syncTasks).where(live),
      ]);
      const activity = await activityOf(rows.map((r) => r.id));
      return { items: rows.map((r) => toView(r, activity.get(r.id)!)), total: Number(total), limit, offset };
    },

    /**
     * RFC 7396 merge over the stored configuration with its secrets re-attached (so a patch may
     * rotate one secret and keep the others), validated as a whole. Takes effect on the next run.
     * Re-pointing the connector (engine/task-repointing.ts) needs the secrets again and a clean task;
     * `canceledRunIds` names the runs whose open items that cancelled (their workflows should recount).
     */
    async patch(id: string, patch: unknown, actor: string, rules: TaskWriteRules): Promise<SyncTaskView & { canceledRunIds: string[] }> {
      requireRules(rules);
      let canceledRunIds: string[] = [];
      const row = await db.transaction(async (tx) => {
        await lockTaskWrites(tx, id); // SCIM pushes: no write overtakes the change (sql.ts)
        const current = await liveRow(id, tx, { lock: true });
        const currentSecrets = openSecrets(current);
        const existing = withSecrets(current.config, currentSecrets);
        const config = parseTaskPatch(existing, patch, parseOptions);
        rules.authorizeProtectionChange(changedProtectionFields(existing, config));
        checkNoUpDownConflict(config, await otherTasks(tx), { ...parseOptions, selfId: id });
        const repointed = repointedFields(existing.connector, config.connector, options.kinds);
        checkSecretsGivenAgain(repointed, config, secretNamesGiven(patch), options.kinds);
        // Links of a task that changes direction pair ids the other way round: they cannot carry over either.
        const retargeted = current.direction !== config.direction ? [...repointed, 'direction'] : repointed;
        if (retargeted.length > 0) {
          canceledRunIds = (await clearTiesForRepointing(tx, { taskId: id, actor, reset: rules.resetLinks === true, repointed: retargeted })).canceledRunIds;
        }
        const { publicConfig, secrets, values } = columnsOf(config);
        const [updated] = await tx.update(syncTasks).set({ ...values, updatedAt: nextUpdatedAt() }).where(eq(syncTasks.id, id)).returning();
        const rotated = Object.keys(secrets).filter((k) => currentSecrets[k] !== undefined && currentSecrets[k] !== secrets[k]);
        await recordAudit(tx, {
          actor,
          action: 'sync_task.update',
          entityType: 'sync_task',
          entityId: id,
          before: auditImage(current.config, currentSecrets),
          after: { ...auditImage(publicConfig, secrets), ...(rotated.length ? { rotatedSecrets: rotated.sort() } : {}) },
        });
        return updated;
      });
      return { ...(await viewOf(row)), canceledRunIds };
    },

    async setEnabled(id: string, enabled: boolean, actor: string): Promise<SyncTaskView> {
      const row = await db.transaction(async (tx) => {
        await lockTaskWrites(tx, id); // SCIM pushes: no write overtakes the disable (sql.ts)
        const current = await liveRow(id, tx);
        const config = { ...(current.config), enabled };
        const [updated] = await tx
          .update(syncTasks)
          .set({ enabled, config, updatedAt: nextUpdatedAt() })
          .where(eq(syncTasks.id, id))
          .returning();
        await recordAudit(tx, {
          actor,
          action: enabled ? 'sync_task.enable' : 'sync_task.disable',
          entityType: 'sync_task',
          entityId: id,
          before: { enabled: current.enabled },
          after: { enabled },
        });
        return updated;
      });
      return viewOf(row);
    },

    /** Soft delete: the task disappears from the API, its runs, items and staged deletions stay. */
    async remove(id: string, actor: string): Promise<void> {
      await db.transaction(async (tx) => {
        await lockTaskWrites(tx, id);
        const current = await liveRow(id, tx);
        await tx.update(syncTasks).set({ deletedAt: new Date(), updatedAt: nextUpdatedAt() }).where(eq(syncTasks.id, id));
        await recordAudit(tx, {
          actor,
          action: 'sync_task.delete',
          entityType: 'sync_task',
          entityId: id,
          before: auditImage(current.config, openSecrets(current)),
          after: null,
        });
      });
    },

    /** Undoes a create whose Temporal side could not be set up, so no task exists half-made. */
    async rollBackCreate(id: string, actor: string, reason: string): Promise<void> {
      await db.transaction(async (tx) => {
        const deleted = await tx.delete(syncTasks).where(and(eq(syncTasks.id, id), isNull(syncTasks.deletedAt))).returning({ id: syncTasks.id });
        if (deleted.length > 0) await recordAudit(tx, { actor, action: 'sync_task.create_rolled_back', entityType: 'sync_task', entityId: id, before: null, after: { reason } });
      });
    },

    /** Whether the id names a task, deleted or not (run history outlives its task). */
    async exists(id: string, { includeDeleted = false } = {}): Promise<boolean> {
      const where = includeDeleted ? eq(syncTasks.id, id) : and(eq(syncTasks.id, id), isNull(syncTasks.deletedAt));
      const [row] = await db.select({ id: syncTasks.id }).from(syncTasks).where(where);
      return row !== undefined;
    },
  };
}

export type SyncTasks = ReturnType<typeof createSyncTasks>;
