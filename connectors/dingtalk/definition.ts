// Everything the project knows about DingTalk (钉钉) as a connector kind (docs/connectors.md).
import { z } from 'zod';
import { sameFieldMapping } from '../../engine/connector-kind';
import { httpUrl, positiveInt, requiredText, secret } from '../shared/settings-schema';
import { onboardingWebhookUrl } from '../shared/onboarding-webhook';
import { defineConnector } from '../types';
import { dingtalkDocumentedHosts } from './hosts';
import { testDingtalkConnection } from './connection-test';
import { createDingtalkConnector, dingtalkCapabilities } from './index';
import { rootDepartmentId } from './mapping';
import { createDingtalkReceiver } from './webhook';

export const DingtalkSettingsSchema = z.strictObject({
  oapiBaseUrl: httpUrl('the oapi base; default https://oapi.dingtalk.com').default('https://oapi.dingtalk.com'),
  apiBaseUrl: httpUrl('the new API, default https://api.dingtalk.com').optional(),
  appKey: requiredText('the app key (Client ID)'),
  corpId: requiredText('the corp id of the tenant; not needed for API calls').optional(),
  callbackReceiveId: requiredText('receive id of callbacks: the corp id of a legacy registration or the suite key of an ISV app; default the app key').optional(),
  ratePerSecond: positiveInt('per API; default 35 (DingTalk: 40/s)').optional(),
  ratePerMinute: positiveInt('per API; default 1,400 (DingTalk: 1,500/min)').optional(),
  rateLimitBackoffMs: z.number().int().min(0).describe('overrides the wait after a rate-limit code').optional(),
  listPageSize: z.number().int().min(1).max(100).describe('user/list page size; default 100').optional(),
  readConcurrency: z.number().int().min(1).max(16).describe('calls in flight while reading; default 8').optional(),
  timeoutMs: positiveInt('per-call timeout').optional(),
});

export const DingtalkSecretsSchema = z.strictObject({
  appSecret: secret('the app secret (Client Secret)'),
  callbackToken: secret('callback token, for real-time events').optional(),
  callbackAesKey: secret('callback aes_key (43 characters), for real-time events').optional(),
  onboardingWebhookUrl: onboardingWebhookUrl(),
});

export const dingtalkDefinition = defineConnector({
  kind: 'dingtalk',
  directions: ['upstream', 'downstream'],
  capabilities: dingtalkCapabilities,
  rootId: String(rootDepartmentId),
  settings: DingtalkSettingsSchema,
  secrets: DingtalkSecretsSchema,
  identifyingSettings: ['appKey'],
  tenantSettings: ['oapiBaseUrl', 'apiBaseUrl', 'appKey', 'corpId'],
  allowedHosts: dingtalkDocumentedHosts,
  defaultMapping: sameFieldMapping({ username: 'userid', name: 'name', email: 'email', mobile: 'mobile', title: 'title', employeeNumber: 'job_number' }),
  // A created member's userid is the one we send (the connector sends id or username).
  createdUserId: (user) => user.id || user.username,
  create: (settings, secrets, deps) => createDingtalkConnector(settings, secrets, deps.rateLimiters),
  testConnection: testDingtalkConnection,
  webhook: { secretNames: ['callbackToken', 'callbackAesKey'], createReceiver: createDingtalkReceiver },
  fake: {
    description: 'DingTalk (钉钉) oapi under / (gettoken, topapi/v2) and the new API under /v1.0',
    credentialFlags: [
      { flag: 'app-key', option: 'appKey', description: 'app key the fake accepts (default dingfakeappkey0001)' },
      { flag: 'app-secret', option: 'appSecret', description: 'app secret the fake accepts (default fake-app-secret)' },
      { flag: 'corp-id', option: 'corpId', description: 'corp id of the fake tenant (default dingfakecorp0001)' },
      { flag: 'callback-token', option: 'callbackToken', description: 'callback token, for POST /__fake/emit' },
      { flag: 'callback-aes-key', option: 'callbackAesKey', description: 'callback aes_key (43 chars), for POST /__fake/emit' },
    ],
    async start({ port, host, appKey, appSecret, corpId, callbackToken, callbackAesKey }) {
      const { startDingtalkFake } = await import('./fake');
      if ((callbackToken === undefined) !== (callbackAesKey === undefined)) {
        throw new Error('fake dingtalk: --callback-token and --callback-aes-key go together');
      }
      return startDingtalkFake({
        port,
        host,
        appKey: appKey as string | undefined,
        appSecret: appSecret as string | undefined,
        corpId: corpId as string | undefined,
        callback: callbackToken ? { token: String(callbackToken), aesKey: String(callbackAesKey) } : undefined,
      });
    },
    taskConnector: (fake) => ({ settings: { oapiBaseUrl: fake.baseUrl, apiBaseUrl: fake.baseUrl, appKey: 'dingfakeappkey0001' }, secrets: { appSecret: 'fake-app-secret' } }),
  },
});
