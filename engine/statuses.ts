// The status vocabularies (docs/design.md, "Statuses"), each spelled once: the database schema, the
// repositories, the API's enums, the activities, the workflows and the CLI derive from these lists.

export const runStatuses = ['pending', 'running', 'succeeded', 'partially_failed', 'failed', 'canceled'] as const;
export type RunStatus = (typeof runStatuses)[number];

/** A run in one of these has not finished: it holds the task's target (one run at a time writes to it). */
export const activeRunStatuses = ['pending', 'running'] as const satisfies readonly RunStatus[];

/** A run in one of these has its outcome: it will not change again. */
export const finishedRunStatuses = ['succeeded', 'partially_failed', 'failed', 'canceled'] as const satisfies readonly RunStatus[];
export type FinishedRunStatus = (typeof finishedRunStatuses)[number];

/** `planned` until applied; `staged` waits for deletion approval or the guard. */
export const itemStatuses = ['planned', 'succeeded', 'failed', 'skipped', 'staged'] as const;
export type ItemStatus = (typeof itemStatuses)[number];

/** SUPERSEDED: a later run no longer wants the staged delete. */
export const pendingDeletionStatuses = ['PENDING', 'EXECUTING', 'SUCCEEDED', 'FAILED', 'CANCELED', 'SUPERSEDED'] as const;
export type PendingDeletionStatus = (typeof pendingDeletionStatuses)[number];

/** Staged deletions someone may still act on. */
export const openPendingDeletionStatuses = ['PENDING', 'EXECUTING'] as const satisfies readonly PendingDeletionStatus[];

/** A task's status, derived from its runs and staged deletions (db/repos/sync-tasks.ts). */
export const taskStatuses = ['never_run', 'running', 'succeeded', 'failed', 'pending_deletions', 'disabled'] as const;
export type TaskStatus = (typeof taskStatuses)[number];
