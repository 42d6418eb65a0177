// The snapshot-retention step: deletes run snapshots older than the retention (db/repos/run-snapshots.ts).
import { DEFAULT_SNAPSHOT_RETENTION_DAYS, pruneRunSnapshots } from '../db/repos/run-snapshots';
import type { ActivityDeps } from './deps';
import type { SyncActivities } from './types';

export function createPruneRunSnapshotsActivity(deps: ActivityDeps): SyncActivities['pruneRunSnapshots'] {
  return async () => pruneRunSnapshots(deps.database.db, { retentionDays: deps.snapshotRetentionDays ?? DEFAULT_SNAPSHOT_RETENTION_DAYS });
}
