// What the activities need from the process: the database, the secret box, the hub change hook.
import type { createConnector } from '../connectors/registry';
import type { Database } from '../db/client';
import type { SecretBox } from '../db/secret-box';
import type { ChangeListener } from '../db/repos/hub-writer';
import type { RateBudgetStore } from '../db/repos/rate-budgets';

export interface ActivityDeps {
  database: Database;
  secretBox: SecretBox;
  /** hub writes of upstream runs and approvals, for real-time downstream triggers */
  onHubChange?: ChangeListener;
  /** vendor budgets shared by every worker on this database (the worker's default); absent: each connector limits itself in-process */
  rateBudgets?: RateBudgetStore;
  /** vendor calls in flight per apply batch (default 16); the connector's own limiter still caps the rate */
  applyConcurrency?: number;
  /** apply batches of one run in flight at once when they do not depend on each other (default 3; 1 when applyConcurrency is 1) */
  applyBatchesInFlight?: number;
  /** SYNC_CENTER_SNAPSHOT_RETENTION_DAYS (default 7): finished runs' snapshots are deleted after this */
  snapshotRetentionDays?: number;
  /** SYNC_CENTER_PUBLIC_URL: notification links are absolute when set */
  publicUrl?: string;
  /**
   * A full garbage collection (activities/memory.ts), asked for by the plan step before it loads the
   * snapshots and again before it stores the plan; absent (tests): nothing is collected on purpose.
   */
  collectGarbage?: () => void;
  /** tests may wrap or replace connectors */
  connectorFactory?: typeof createConnector;
}
