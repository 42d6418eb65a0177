// Webhook receivers by connector kind, read off the definitions: a kind pushes events when its
// definition declares `webhook` (connectors/<kind>/definition.ts), and that declaration carries the
// receiver (connectors/<kind>/webhook.ts), so there is no table here to keep in step.
import { definitionOf, definitions } from '../../connectors/definitions';
import { WebhookConfigError, type WebhookReceiver } from '../../connectors/shared/webhook-receiver';

export * from '../../connectors/shared/webhook-receiver';

/** The kinds that push change events, in the definitions' order. */
export const webhookKinds: readonly string[] = definitions.flatMap((d) => ('webhook' in d && d.webhook ? [d.kind] : []));

export function hasWebhookReceiver(kind: string): boolean {
  return definitionOf(kind)?.webhook !== undefined;
}

/** Throws WebhookConfigError naming the missing or unusable setting or secret. */
export function createWebhookReceiver(kind: string, settings: Record<string, unknown>, secrets: Record<string, string>): WebhookReceiver {
  const webhook = definitionOf(kind)?.webhook;
  if (!webhook) throw new WebhookConfigError('connector.kind', `${kind} sends no webhooks`);
  return webhook.createReceiver(settings ?? {}, secrets ?? {});
}
