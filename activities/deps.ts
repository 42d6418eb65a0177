// What the activities need from the process: the database, the secret box, the hub change hook.
import type { createConnector } from '../connectors/registry';
import type { Database } from '../db/client';
import type { SecretBox } from '../db/secret-box';
import type { ChangeEvent } from '../engine/model';

export interface ActivityDeps {
  database: Database;
  secretBox: SecretBox;
  /** hub writes of upstream runs and approvals, for real-time downstream triggers */
  onHubChange?: (events: ChangeEvent[]) => void | Promise<void>;
  /** tests may wrap or replace connectors */
  connectorFactory?: typeof createConnector;
}
