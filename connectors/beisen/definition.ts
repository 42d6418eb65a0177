// Everything the project knows about Beisen iTalent as a connector kind (docs/connectors.md).
import { z } from 'zod';
import { sameFieldMapping } from '../../engine/connector-kind';
import { httpUrl, positiveInt, requiredText, secret } from '../shared/settings-schema';
import { defineConnector } from '../types';
import { testBeisenConnection } from './connection-test';
import { beisenDocumentedHosts } from './hosts';
import { beisenCapabilities, createBeisenConnector, defaultHistoryStart } from './index';
import { maxCapacity } from './client';
import { maxWindowDays } from './time-window';

export const BeisenSettingsSchema = z.strictObject({
  baseUrl: httpUrl('https://openapi.italent.cn (the default)').default('https://openapi.italent.cn'),
  tenantId: requiredText('the tenant id (租户ID)'),
  appId: requiredText('the app id of the open-platform app'),
  historyStart: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date such as 2015-01-01')
    .describe(`the first day the time windows cover, before the tenant's oldest record; default ${defaultHistoryStart}`)
    .optional(),
  windowDays: z.number().int().min(1).max(maxWindowDays).describe(`days per time window; default ${maxWindowDays} (Beisen's maximum)`).optional(),
  capacity: z.number().int().min(1).max(maxCapacity).describe(`records per page; default ${maxCapacity} (Beisen's maximum)`).optional(),
  usernameFrom: z.enum(['jobNumber', 'emailLocalPart', 'userID']).describe('what a username is made of: jobNumber (工号, the default), emailLocalPart or userID').optional(),
  ratePerSecond: positiveInt('API calls per second; default 40 (Beisen allows about 50)').optional(),
  ratePerMinute: positiveInt('API calls per minute; default 1,200 (Beisen allows about 1,500)').optional(),
  timeoutMs: positiveInt('per-call timeout').optional(),
});

export const BeisenSecretsSchema = z.strictObject({ secret: secret('the app secret') });

export const beisenDefinition = defineConnector({
  kind: 'beisen',
  directions: ['upstream'],
  capabilities: beisenCapabilities,
  rootId: null,
  settings: BeisenSettingsSchema,
  secrets: BeisenSecretsSchema,
  identifyingSettings: ['tenantId'],
  tenantSettings: ['baseUrl', 'tenantId', 'appId'],
  allowedHosts: beisenDocumentedHosts,
  defaultMapping: sameFieldMapping({ username: 'recordInfo.jobNumber', name: 'employeeInfo.name', email: 'employeeInfo.email', mobile: 'employeeInfo.mobilePhone', employeeNumber: 'recordInfo.jobNumber' }),
  create: (settings, secrets, deps) => createBeisenConnector(settings, secrets, { rateLimiters: deps.rateLimiters }),
  testConnection: testBeisenConnection,
  fake: {
    description: 'Beisen iTalent open API (token, employee and organisation time windows)',
    credentialFlags: [
      { flag: 'tenant-id', option: 'tenantId', description: 'tenant id the fake accepts (default 100001)' },
      { flag: 'app-id', option: 'appId', description: 'app id the fake accepts (default fake-beisen-app)' },
      { flag: 'secret', option: 'secret', description: 'secret the fake accepts (default fake-beisen-secret)' },
    ],
    async start({ port, host, tenantId, appId, secret: appSecret }) {
      const { startBeisenFake } = await import('./fake');
      return startBeisenFake({ port, host, tenantId: tenantId as string | undefined, appId: appId as string | undefined, secret: appSecret as string | undefined });
    },
    taskConnector: (fake) => ({ settings: { baseUrl: fake.baseUrl, tenantId: '100001', appId: 'fake-beisen-app', historyStart: '2020-01-01' }, secrets: { secret: 'fake-beisen-secret' } }),
  },
});
