// Feishu: signed, encrypted schema-2.0 events and the url_verification challenge, both by POST.
// Secrets eventEncryptKey and eventVerificationToken; events are deduplicated by header.event_id.
import { CallbackVerificationError, FeishuEventReceiver, larkHeaders } from './callback';
import { jsonReply, requireSecret, vendorTime, type WebhookReceiver } from '../shared/webhook-receiver';

export function createFeishuReceiver(_settings: Record<string, unknown>, secrets: Record<string, string>): WebhookReceiver {
  const receiver = new FeishuEventReceiver({
    encryptKey: requireSecret(secrets, 'eventEncryptKey'),
    verificationToken: requireSecret(secrets, 'eventVerificationToken'),
  });
  return {
    receive(request) {
      if (request.method !== 'POST') throw new CallbackVerificationError('malformed', 'Feishu delivers events and the URL check by POST');
      const headers = larkHeaders(request.headers);
      const result = receiver.receive(headers, request.rawBody);
      if (result.type === 'url_verification') {
        // The challenge may come unsigned; when it carries a timestamp it is checked like an event.
        return { type: 'verification', sentAt: headers.timestamp ? vendorTime(headers.timestamp, 'X-Lark-Request-Timestamp') : undefined, reply: jsonReply({ challenge: result.challenge }) };
      }
      return {
        type: 'event',
        sentAt: vendorTime(headers.timestamp, 'X-Lark-Request-Timestamp'),
        dedupKey: `event_id:${result.eventId}`,
        eventType: result.eventType,
        changes: result.events,
        reply: jsonReply({ code: 0 }),
      };
    },
  };
}
