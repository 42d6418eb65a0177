// Webhook receivers by connector kind. Which kinds push events, and the secret names they read, are
// the definitions' facts (connectors/<kind>/definition.ts `webhook`); api/webhooks.test.ts checks each has a receiver.
import { definitionOf, type ConnectorKind } from '../../connectors/definitions';
import { createDingtalkReceiver } from './dingtalk';
import { createFeishuReceiver } from './feishu';
import { WebhookConfigError, type WebhookReceiver } from './receiver';
import { createWecomReceiver } from './wecom';

export * from './receiver';

type ReceiverFactory = (settings: Record<string, unknown>, secrets: Record<string, string>) => WebhookReceiver;

export const webhookReceivers: Partial<Record<ConnectorKind, ReceiverFactory>> = {
  wecom: createWecomReceiver,
  feishu: createFeishuReceiver,
  dingtalk: createDingtalkReceiver,
};

/** The task secrets (connector.secrets) that hold the vendor's callback credentials. */
export function webhookSecretNames(kind: string): readonly string[] {
  return definitionOf(kind)?.webhook?.secretNames ?? [];
}

export function hasWebhookReceiver(kind: string): boolean {
  return definitionOf(kind)?.webhook !== undefined && kind in webhookReceivers;
}

/** Throws WebhookConfigError naming the missing or unusable setting or secret. */
export function createWebhookReceiver(kind: string, settings: Record<string, unknown>, secrets: Record<string, string>): WebhookReceiver {
  const factory = hasWebhookReceiver(kind) ? webhookReceivers[kind as ConnectorKind] : undefined;
  if (!factory) throw new WebhookConfigError('connector.kind', `${kind} sends no webhooks`);
  return factory(settings ?? {}, secrets ?? {});
}
