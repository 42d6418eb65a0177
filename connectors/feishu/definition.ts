// Everything the project knows about Feishu / Lark as a connector kind (docs/connectors.md).
import { z } from 'zod';
import { sameFieldMapping } from '../../engine/connector-kind';
import { httpUrl, positiveInt, requiredText, secret } from '../shared/settings-schema';
import { onboardingWebhookUrl } from '../shared/onboarding-webhook';
import { defineConnector } from '../types';
import { feishuDocumentedHosts } from './hosts';
import { testFeishuConnection } from './connection-test';
import { createFeishuConnector, feishuCapabilities } from './index';
import { createFeishuReceiver } from './webhook';

export const FeishuSettingsSchema = z.strictObject({
  baseUrl: httpUrl('https://open.feishu.cn/open-apis (Feishu, the default) or https://open.larksuite.com/open-apis (Lark)').default('https://open.feishu.cn/open-apis'),
  appId: requiredText('the app id, e.g. cli_a1b2c3'),
  defaultEmployeeType: z
    .union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5)])
    .describe('employee_type of users without attributes.employeeType: 1 regular (default), 2 intern, 3 outsourced, 4 labor, 5 consultant')
    .optional(),
  defaultMobileCountryCode: z.string().regex(/^\+\d{1,4}$/, 'must look like +86').describe('prefixed to mobiles without "+"; default +86').optional(),
  ratePerSecond: positiveInt('contact API calls per second; default 40 (Feishu allows 50)').optional(),
  ratePerMinute: positiveInt('contact API calls per minute; default 900 (Feishu allows 1,000)').optional(),
  pageSize: z.number().int().min(1).max(50).describe('page_size of list calls; default 50').optional(),
  inviteOnCreate: z.boolean().describe("send Feishu's invitation (need_send_notification) to each user a run creates; default false (off)").optional(),
  timeoutMs: positiveInt('per-call timeout').optional(),
});

export const FeishuSecretsSchema = z.strictObject({
  appSecret: secret('the app secret'),
  eventEncryptKey: secret('event Encrypt Key, for real-time events').optional(),
  eventVerificationToken: secret('event Verification Token, for real-time events').optional(),
  onboardingWebhookUrl: onboardingWebhookUrl(),
});

export const feishuDefinition = defineConnector({
  kind: 'feishu',
  directions: ['upstream', 'downstream'],
  capabilities: feishuCapabilities,
  // Top-level departments are created under "0" by the connector itself: plans name no root.
  rootId: null,
  settings: FeishuSettingsSchema,
  secrets: FeishuSecretsSchema,
  identifyingSettings: ['appId'],
  tenantSettings: ['baseUrl', 'appId'],
  allowedHosts: feishuDocumentedHosts,
  defaultMapping: sameFieldMapping({ username: 'user_id', name: 'name', email: 'email', mobile: 'mobile', title: 'job_title', employeeNumber: 'employee_no' }),
  // A created user's user_id is the one we send (the connector sends id or username).
  createdUserId: (user) => user.id || user.username,
  create: (settings, secrets, deps) => createFeishuConnector(settings, secrets, deps.rateLimiters),
  testConnection: testFeishuConnection,
  webhook: { secretNames: ['eventEncryptKey', 'eventVerificationToken'], createReceiver: createFeishuReceiver },
  fake: {
    description: 'Feishu / Lark contact API under /open-apis',
    credentialFlags: [
      { flag: 'app-id', option: 'appId', description: 'app id the fake accepts (default cli_fake0000000001)' },
      { flag: 'app-secret', option: 'appSecret', description: 'app secret the fake accepts (default fake-app-secret)' },
      { flag: 'encrypt-key', option: 'encryptKey', description: 'event Encrypt Key, for POST /__fake/emit' },
      { flag: 'verification-token', option: 'verificationToken', description: 'event Verification Token, for POST /__fake/emit' },
    ],
    async start({ port, host, appId, appSecret, encryptKey, verificationToken }) {
      const { startFeishuFake } = await import('./fake');
      if ((encryptKey === undefined) !== (verificationToken === undefined)) {
        throw new Error('fake feishu: --encrypt-key and --verification-token go together');
      }
      return startFeishuFake({
        port,
        host,
        appId: appId as string | undefined,
        appSecret: appSecret as string | undefined,
        events: encryptKey ? { encryptKey: String(encryptKey), verificationToken: String(verificationToken) } : undefined,
      });
    },
    taskConnector: (fake) => ({ settings: { baseUrl: fake.baseUrl, appId: 'cli_fake0000000001' }, secrets: { appSecret: 'fake-app-secret' } }),
  },
});
