// WeCom: GET URL check (decrypted echostr as plain text) and POST change_contact events.
// Secrets callbackToken and callbackEncodingAesKey; the receive id is settings.corpId.
import { parseWecomEvent, WecomCallback } from './callback';
import { deliveryKey, requireSecret, requireSetting, textReply, vendorTime, WebhookConfigError, type WebhookReceiver } from '../shared/webhook-receiver';

export function createWecomReceiver(settings: Record<string, unknown>, secrets: Record<string, string>): WebhookReceiver {
  const config = {
    token: requireSecret(secrets, 'callbackToken'),
    encodingAesKey: requireSecret(secrets, 'callbackEncodingAesKey'),
    corpId: requireSetting(settings, 'corpId'),
  };
  let callback: WecomCallback;
  try {
    callback = new WecomCallback(config);
  } catch (error) {
    throw new WebhookConfigError('connector.secrets.callbackEncodingAesKey', (error as Error).message);
  }
  return {
    receive(request) {
      const query = request.query;
      if (request.method === 'GET') {
        const echo = callback.verifyUrl(query);
        return { type: 'verification', sentAt: vendorTime(query.timestamp, 'timestamp'), reply: textReply(echo) };
      }
      const { plaintext, encrypt } = callback.openEvent(query, request.rawBody);
      const parsed = parseWecomEvent(plaintext);
      return {
        type: 'event',
        sentAt: vendorTime(query.timestamp, 'timestamp'),
        dedupKey: deliveryKey(encrypt),
        eventType: parsed.eventType,
        changes: parsed.events,
        // WeCom takes an empty answer (or "success") as "received, no passive reply".
        reply: textReply(''),
      };
    },
  };
}
