// The connection test (连接测试) of a task body or a stored task: the kind's own checks against the
// vendor (connectors/<kind>/connection-test.ts) plus, for a real-time upstream task, the callback
// URL and its secrets. Nothing is stored; details carry vendor codes and field names, never a secret.
import { ConnectorSettingsError, testConnectorConnection } from '../connectors/registry';
import type { ConnectionCheck } from '../connectors/types';
import { TaskConfigError, type TaskConfig } from '../engine/task-config';
import { createWebhookReceiver, hasWebhookReceiver } from './webhooks';

export interface ConnectionTestResult {
  ok: boolean;
  checks: ConnectionCheck[];
}

/** Where the vendor must send events for a real-time upstream task; null for any other task. */
export function webhookUrlOf(task: { id: string; direction: string; connectorKind: string; realtime: boolean }, publicUrl?: string): string | null {
  if (task.direction !== 'upstream' || !task.realtime || !hasWebhookReceiver(task.connectorKind)) return null;
  const path = `/api/v1/webhooks/${encodeURIComponent(task.id)}`;
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}${path}` : path;
}

function callbackCheck(config: TaskConfig, webhookUrl: string | null): ConnectionCheck {
  try {
    createWebhookReceiver(config.connector.kind, config.connector.settings, config.connector.secrets as Record<string, string>);
  } catch (error) {
    // WebhookConfigError names the missing setting or secret, never its value.
    return { name: 'callback_url', ok: false, detail: error instanceof Error ? error.message : 'callback secrets unusable' };
  }
  const where = webhookUrl ? `register ${webhookUrl} as the callback URL` : 'save the task, then register its webhookUrl as the callback URL';
  return { name: 'callback_url', ok: true, detail: `callback secrets given; ${where} in the vendor's console` };
}

export async function testTaskConnection(config: TaskConfig, webhookUrl: string | null): Promise<ConnectionTestResult> {
  const realtime = config.direction === 'upstream' && config.triggers.realtime;
  const checks = await testConnectorConnection(config.connector.kind, config.connector.settings, config.connector.secrets, { direction: config.direction, realtime }).catch((error: unknown) => {
    // Settings the connector refuses before sending anything (a host off the allow-list, a file outside
    // the import directory, e.g. of a task saved before the list changed) are the caller's 400, naming the field.
    if (error instanceof ConnectorSettingsError) throw new TaskConfigError([{ field: error.field, message: error.message.slice(error.field.length + 2) }]);
    throw error;
  });
  if (realtime && hasWebhookReceiver(config.connector.kind)) checks.push(callbackCheck(config, webhookUrl));
  return { ok: checks.every((c) => c.ok), checks };
}
