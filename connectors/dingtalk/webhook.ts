// DingTalk: encrypted JSON events by POST (check_url included), answered with the encrypted "success".
// Secrets callbackToken and callbackAesKey; the receive id is settings.callbackReceiveId when set
// (corp id of a legacy registration, suite key of an ISV app), else settings.appKey.
import { DingtalkCallback, parseDingtalkEvent } from './callback';
import { CallbackVerificationError, deliveryKey, jsonReply, requireSecret, requireSetting, vendorTime, WebhookConfigError, type WebhookReceiver } from '../shared/webhook-receiver';

export function createDingtalkReceiver(settings: Record<string, unknown>, secrets: Record<string, string>): WebhookReceiver {
  const receiveId = typeof settings.callbackReceiveId === 'string' && settings.callbackReceiveId !== '' ? settings.callbackReceiveId : requireSetting(settings, 'appKey');
  let callback: DingtalkCallback;
  try {
    callback = new DingtalkCallback({ token: requireSecret(secrets, 'callbackToken'), aesKey: requireSecret(secrets, 'callbackAesKey'), receiveId });
  } catch (error) {
    if (error instanceof WebhookConfigError) throw error;
    throw new WebhookConfigError('connector.secrets.callbackAesKey', (error as Error).message);
  }
  return {
    receive(request) {
      if (request.method !== 'POST') throw new CallbackVerificationError('malformed', 'DingTalk delivers events by POST');
      const query = request.query;
      const { plaintext, encrypt } = callback.openEvent(query, request.rawBody);
      const sentAt = vendorTime(query.timestamp ?? query.timeStamp, 'timestamp');
      const parsed = parseDingtalkEvent(plaintext);
      const reply = jsonReply(callback.successReply());
      if (parsed.eventType === 'check_url') return { type: 'verification', sentAt, reply };
      return { type: 'event', sentAt, dedupKey: deliveryKey(encrypt), eventType: parsed.eventType, changes: parsed.events, reply };
    },
  };
}
