// On an existing cluster (TEMPORAL_ADDRESS) nobody passed --search-attribute at launch, so the
// worker registers the missing ones itself; the dev server we spawn already has them.
import type { Connection } from '@temporalio/client';
import { syncSearchAttributeKeys } from './search-attributes';

/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, without importing the transitive @temporalio/proto. */
const INDEXED_VALUE_TYPE_KEYWORD = 2;

/** Returns the names it added; an operator without permission gets a clear error, not a silent gap. */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = syncSearchAttributeKeys.map((key) => key.name).filter((name) => !(name in (customAttributes ?? {})));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((name) => [name, INDEXED_VALUE_TYPE_KEYWORD])),
  });
  return missing;
}
