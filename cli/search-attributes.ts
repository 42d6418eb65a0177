// The custom search attributes Sync Center workflows set, so runs can be found in the Temporal UI.
// Uses only @temporalio/common, so workflow code may import it too.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SyncTaskIdKey = defineSearchAttributeKey('SyncTaskId', SearchAttributeType.KEYWORD);
export const SyncDirectionKey = defineSearchAttributeKey('SyncDirection', SearchAttributeType.KEYWORD);
export const ConnectorKindKey = defineSearchAttributeKey('ConnectorKind', SearchAttributeType.KEYWORD);

export const syncSearchAttributeKeys = [SyncTaskIdKey, SyncDirectionKey, ConnectorKindKey];

/** `--search-attribute Name=Keyword` pairs for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  return syncSearchAttributeKeys.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}
