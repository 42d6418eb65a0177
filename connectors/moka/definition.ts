// Everything the project knows about Moka People as a connector kind (docs/connectors.md).
import { z } from 'zod';
import { sameFieldMapping } from '../../engine/connector-kind';
import { httpUrl, positiveInt, requiredText, secret } from '../shared/settings-schema';
import { defineConnector } from '../types';
import { maxPageSize, mokaBaseUrl } from './client';
import { testMokaConnection } from './connection-test';
import { fakePrivateKey } from './fake/default-keys';
import { mokaDocumentedHosts } from './hosts';
import { createMokaConnector, mokaCapabilities } from './index';

export const MokaSettingsSchema = z.strictObject({
  baseUrl: httpUrl(`${mokaBaseUrl} (the default)`).default(mokaBaseUrl),
  entCode: requiredText('the enterprise code (entCode, 租户编码)'),
  departmentsApiCode: requiredText('the apiCode Moka issued for /v1/org/department/batchData'),
  employeesApiCode: requiredText('the apiCode Moka issued for /v1/batch/data'),
  userName: z.string().trim().min(1).describe('userName sent (and signed) with each call, when the API codes were issued for one').optional(),
  pageSize: z.number().int().min(1).max(maxPageSize).describe(`pageSize of list calls; default ${maxPageSize} (Moka's maximum)`).optional(),
  usernameFrom: z.enum(['employeeNo', 'emailLocalPart', 'employeeId']).describe('what a username is made of: employeeNo (工号, the default), emailLocalPart or employeeId').optional(),
  ratePerSecond: positiveInt('calls per second; default 2 (Moka allows 3)').optional(),
  ratePerMinute: positiveInt('calls per minute; default 50 (Moka allows 60)').optional(),
  timeoutMs: positiveInt('per-call timeout').optional(),
});

export const MokaSecretsSchema = z.strictObject({
  apiKey: secret('the API key (the HTTP Basic user name)'),
  privateKey: secret('the RSA private key that signs each call (MD5withRSA), PEM or base64 PKCS#8'),
});

export const mokaDefinition = defineConnector({
  kind: 'moka',
  directions: ['upstream'],
  capabilities: mokaCapabilities,
  rootId: null,
  settings: MokaSettingsSchema,
  secrets: MokaSecretsSchema,
  identifyingSettings: ['entCode'],
  tenantSettings: ['baseUrl', 'entCode'],
  allowedHosts: mokaDocumentedHosts,
  defaultMapping: sameFieldMapping({ username: 'employee_no', name: 'name', email: 'email', mobile: 'mobile', employeeNumber: 'employee_no', title: 'position_name' }),
  create: (settings, secrets, deps) => createMokaConnector(settings, secrets, { rateLimiters: deps.rateLimiters }),
  testConnection: testMokaConnection,
  fake: {
    description: 'Moka People open API under /api-platform/hcm/oapi (signed department and employee lists)',
    credentialFlags: [
      { flag: 'ent-code', option: 'entCode', description: 'entCode the fake accepts (default fake-ent-0001)' },
      { flag: 'api-key', option: 'apiKey', description: 'API key the fake accepts (default fake-moka-api-key)' },
    ],
    async start({ port, host, entCode, apiKey }) {
      const { startMokaFake } = await import('./fake');
      return startMokaFake({ port, host, entCode: entCode as string | undefined, apiKey: apiKey as string | undefined });
    },
    // The fake's default key pair is a fixed test key: the task signs with its private half.
    taskConnector: (fake) => ({
      settings: { baseUrl: fake.baseUrl, entCode: 'fake-ent-0001', departmentsApiCode: 'fake-dept-api', employeesApiCode: 'fake-emp-api' },
      secrets: { apiKey: 'fake-moka-api-key', privateKey: fakePrivateKey },
    }),
  },
});
