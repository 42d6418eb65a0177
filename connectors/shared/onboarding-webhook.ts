// The onboarding notice (Authing's 自动发送通知): a downstream task may name a webhook that gets one
// POST per account a run creates in the app, e.g. for HR or IT to greet the person. Its URL is a
// task secret (chat-bot webhooks carry their token in the URL), its host must be one the operator
// allows (SYNC_CENTER_ALLOWED_HOSTS), and it is best effort: the account exists whatever the webhook
// answers, so a failed notice never fails the item and is not retried.
import type { ApplyResult, Connector, ConnectorOperation } from '../types';
import { requestJson } from './http';
import { hostRefusal } from './host-policy';
import { secret } from './settings-schema';

/** The secret a downstream kind's schema takes for it (wecom, feishu, dingtalk). */
export const onboardingWebhookSecretName = 'onboardingWebhookUrl';
export const onboardingWebhookUrl = () =>
  secret('onboarding notice: a URL POSTed once per account a run creates (JSON, see README); its host must be in SYNC_CENTER_ALLOWED_HOSTS').optional();

/** Why the notice URL cannot be used, naming only its host; undefined when it can. */
export function onboardingWebhookRefusal(url: string): string | undefined {
  if (!/^https?:\/\/[^\s@]+$/i.test(url)) return 'must be an http(s) URL without credentials';
  return hostRefusal(url, []);
}

export interface OnboardingNotice {
  event: 'account_created';
  /** the app's kind, e.g. wecom */
  app: string;
  account: { id: string; username: string; name: string; email: string | null; mobile: string | null; employeeNumber: string | null };
  /** a one-line summary, for a chat bot that shows text */
  text: string;
}

export function withOnboardingWebhook(connector: Connector, url: string, app: string, options: { timeoutMs?: number } = {}): Connector {
  async function notify(op: Extract<ConnectorOperation, { action: 'CreateUser' }>, result: ApplyResult): Promise<void> {
    const { user } = op;
    const id = result.externalId ?? user.id;
    const notice: OnboardingNotice = {
      event: 'account_created',
      app,
      account: { id, username: user.username, name: user.name, email: user.email, mobile: user.mobile, employeeNumber: user.employeeNumber },
      text: `新账号已开通 / account created: ${user.name} (${user.username}) in ${app}`,
    };
    try {
      // No allowed hosts of its own: only the operator's list (requestJson checks it again before sending).
      await requestJson({ method: 'POST', url, body: notice, timeoutMs: options.timeoutMs ?? 5_000, allowedHosts: [] });
    } catch {
      // Best effort (see above); the error would carry the URL, so it is not passed on.
    }
  }
  return {
    ...connector,
    async apply(op) {
      const result = await connector.apply(op);
      if (op.action === 'CreateUser') await notify(op, result);
      return result;
    },
  };
}
