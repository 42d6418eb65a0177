// Everything the project knows about WeCom (企业微信) as a connector kind (docs/connectors.md).
import { z } from 'zod';
import { sameFieldMapping } from '../../engine/connector-kind';
import { httpUrl, positiveInt, requiredText, secret } from '../shared/settings-schema';
import { onboardingWebhookUrl } from '../shared/onboarding-webhook';
import { defineConnector } from '../types';
import { wecomDocumentedHosts } from './hosts';
import { testWecomConnection } from './connection-test';
import { createWecomConnector, wecomCapabilities } from './index';
import { defaultEmployeeNumberAttribute } from './mapping';
import { rootDepartmentId } from './validation';
import { createWecomReceiver } from './webhook';

export const WecomSettingsSchema = z.strictObject({
  baseUrl: httpUrl('the API base; default WeCom\'s own').default('https://qyapi.weixin.qq.com/cgi-bin'),
  corpId: requiredText('the corp id (企业ID), e.g. ww0000000000000001'),
  rateLimitPerMinute: positiveInt('calls per API per minute; default 9,000 (WeCom allows 10,000)').optional(),
  rateLimitBackoffMs: z.number().int().min(0).describe('wait after a rate-limit refusal; default 60,000 (WeCom blocks a minute)').optional(),
  listPageSize: z.number().int().min(1).max(10_000).describe('user/list_id page size; default 10,000').optional(),
  employeeNumberAttribute: requiredText(`the extattr holding the employee number; default "${defaultEmployeeNumberAttribute}"`).optional(),
  inviteOnCreate: z.boolean().describe("send WeCom's invitation (to_invite) to each member a run creates; default false (off), though WeCom's own default is to invite").optional(),
  timeoutMs: positiveInt('per-call timeout').optional(),
});

export const WecomSecretsSchema = z.strictObject({
  corpSecret: secret('the contact-sync (通讯录同步) secret'),
  callbackToken: secret('callback Token, for real-time events').optional(),
  callbackEncodingAesKey: secret('callback EncodingAESKey (43 characters), for real-time events').optional(),
  onboardingWebhookUrl: onboardingWebhookUrl(),
});

export const wecomDefinition = defineConnector({
  kind: 'wecom',
  directions: ['upstream', 'downstream'],
  capabilities: wecomCapabilities,
  rootId: String(rootDepartmentId),
  settings: WecomSettingsSchema,
  secrets: WecomSecretsSchema,
  identifyingSettings: ['corpId'],
  tenantSettings: ['baseUrl', 'corpId'],
  allowedHosts: wecomDocumentedHosts,
  // WeCom has no employee-number field: the connector keeps it in an extattr.
  defaultMapping: sameFieldMapping({ username: 'userid', name: 'name', email: 'email', mobile: 'mobile', title: 'position', employeeNumber: 'extattr.employeeNumber' }),
  // A created member's userid is the one we send: the hub id or, for a new one, the username.
  createdUserId: (user) => user.id || user.username,
  create: (settings, secrets, deps) => createWecomConnector(settings, secrets, deps.rateLimiters),
  testConnection: testWecomConnection,
  webhook: { secretNames: ['callbackToken', 'callbackEncodingAesKey'], createReceiver: createWecomReceiver },
  fake: {
    description: 'WeCom (企业微信) contacts API under /cgi-bin',
    credentialFlags: [
      { flag: 'corp-id', option: 'corpId', description: 'corp id the fake accepts (default ww0000000000000001)' },
      { flag: 'corp-secret', option: 'corpSecret', description: 'contacts secret the fake accepts (default fake-corp-secret)' },
      { flag: 'callback-token', option: 'callbackToken', description: 'callback Token, for POST /__fake/emit' },
      { flag: 'callback-aes-key', option: 'callbackAesKey', description: 'callback EncodingAESKey (43 chars), for POST /__fake/emit' },
    ],
    async start({ port, host, corpId, corpSecret, callbackToken, callbackAesKey }) {
      const { startWecomFake } = await import('./fake');
      if ((callbackToken === undefined) !== (callbackAesKey === undefined)) {
        throw new Error('fake wecom: --callback-token and --callback-aes-key go together');
      }
      return startWecomFake({
        port,
        host,
        corpId: corpId as string | undefined,
        corpSecret: corpSecret as string | undefined,
        callback: callbackToken ? { token: String(callbackToken), encodingAesKey: String(callbackAesKey) } : undefined,
      });
    },
    taskConnector: (fake) => ({ settings: { baseUrl: fake.baseUrl, corpId: 'ww0000000000000001' }, secrets: { corpSecret: 'fake-corp-secret' } }),
  },
});
