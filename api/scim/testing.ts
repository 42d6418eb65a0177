// Test support: a scim-push task stored directly (no secrets to seal) and a scim token bound to it.
import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { createApiTokens } from '../../db/repos/api-tokens';
import { syncTasks } from '../../db/schema';
import { connectorCatalog } from '../../connectors/definitions';
import { parseTaskConfig, type PublicTaskConfig } from '../../engine/task-config';

export async function createScimPushTask(database: Database, id: string, overrides: Record<string, unknown> = {}): Promise<{ taskId: string; token: string }> {
  const config = parseTaskConfig({ name: `SCIM ${id}`, direction: 'upstream', connector: { kind: 'scim-push' }, ...overrides }, { kinds: connectorCatalog });
  const { secrets: _secrets, ...connector } = config.connector;
  const stored: PublicTaskConfig = { ...config, connector };
  await database.db.insert(syncTasks).values({ id, name: config.name, direction: 'upstream', connectorKind: 'scim-push', config: stored, secretsSealed: 'none', enabled: config.enabled });
  const { token } = await createApiTokens(database.db).create({ name: `scim-${id}`, role: 'scim', taskId: id }, 'test-setup');
  return { taskId: id, token };
}

export async function setTaskEnabled(database: Database, id: string, enabled: boolean): Promise<void> {
  await database.db.update(syncTasks).set({ enabled }).where(eq(syncTasks.id, id));
}
