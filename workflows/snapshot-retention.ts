/**
 * Deletes the stored snapshots of runs older than SYNC_CENTER_SNAPSHOT_RETENTION_DAYS, slice by
 * slice (each activity call is short), keeping run rows, items and the audit log. Run by a
 * Temporal Schedule every hour (and once when a worker starts); whatever one pass leaves (more
 * than 20 slices) the next one takes.
 */
import { bookkeeping } from './activity-proxies';

const MAX_SLICES_PER_PASS = 20;

export async function snapshotRetentionWorkflow(_input: Record<string, never> = {}): Promise<{ runs: number }> {
  let runs = 0;
  for (let slice = 0; slice < MAX_SLICES_PER_PASS; slice++) {
    const pruned = await bookkeeping.pruneRunSnapshots({});
    runs += pruned.runs;
    if (!pruned.more) break;
  }
  return { runs };
}
