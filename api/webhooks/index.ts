// Webhook receivers by connector kind, and the secret names each one reads from the task.
import { createDingtalkReceiver, dingtalkWebhookSecrets } from './dingtalk';
import { createFeishuReceiver, feishuWebhookSecrets } from './feishu';
import { WebhookConfigError, type WebhookReceiver } from './receiver';
import { createWecomReceiver, wecomWebhookSecrets } from './wecom';

export * from './receiver';

type ReceiverFactory = (settings: Record<string, unknown>, secrets: Record<string, string>) => WebhookReceiver;

const receivers: Record<string, ReceiverFactory> = {
  wecom: createWecomReceiver,
  feishu: createFeishuReceiver,
  dingtalk: createDingtalkReceiver,
};

/** The task secrets (connector.secrets) that hold each vendor's callback credentials. */
export const webhookSecretNames: Record<string, readonly string[]> = {
  wecom: wecomWebhookSecrets,
  feishu: feishuWebhookSecrets,
  dingtalk: dingtalkWebhookSecrets,
};

export function hasWebhookReceiver(kind: string): boolean {
  return kind in receivers;
}

/** Throws WebhookConfigError naming the missing or unusable setting or secret. */
export function createWebhookReceiver(kind: string, settings: Record<string, unknown>, secrets: Record<string, string>): WebhookReceiver {
  const factory = receivers[kind];
  if (!factory) throw new WebhookConfigError('connector.kind', `${kind} sends no webhooks`);
  return factory(settings ?? {}, secrets ?? {});
}
