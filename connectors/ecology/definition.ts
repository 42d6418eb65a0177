// Everything the project knows about 泛微 e-cology E9 (its HRM REST API) as a connector kind (docs/connectors.md).
import { z } from 'zod';
import { sameFieldMapping } from '../../engine/connector-kind';
import { httpUrl, positiveInt, requiredText, secret } from '../shared/settings-schema';
import { defineConnector } from '../types';
import { testEcologyConnection } from './connection-test';
import { ecologyDocumentedHosts } from './hosts';
import { createEcologyConnector, ecologyCapabilities } from './index';

export const EcologySettingsSchema = z.strictObject({
  baseUrl: httpUrl('the e-cology server root, e.g. https://oa.example.com (self-hosted: allow its host in SYNC_CENTER_ALLOWED_HOSTS)'),
  auth: z
    .enum(['token', 'ip-allowlist'])
    .describe('token: {key: UPPER(MD5(tokenKey + ts)), ts} on every call (needs secrets.tokenKey); ip-allowlist: this server is in HrmWebserviceIP.properties')
    .default('token'),
  subcompanyId: positiveInt('the subcompany (分部) id whose departments and people are synced'),
  defaultDepartmentCode: requiredText('where people in no department are put (e-cology needs one); Sync Center does not manage that department').max(100).optional(),
  pageSize: positiveInt('records per page of the paged reads; default 100').max(1000).optional(),
  timeoutMs: positiveInt('per-call timeout').optional(),
});

export const EcologySecretsSchema = z.strictObject({
  tokenKey: secret('the token key of /hrm/websevice/hrm_webservice_config.jsp (auth "token")').optional(),
});

export const ecologyDefinition = defineConnector({
  kind: 'ecology',
  directions: ['upstream', 'downstream'],
  capabilities: ecologyCapabilities,
  rootId: null,
  settings: EcologySettingsSchema,
  secrets: EcologySecretsSchema,
  // One e-cology server is one app (its subcompanies share people and managers): never both up- and downstream.
  identifyingSettings: ['baseUrl'],
  tenantSettings: ['baseUrl'],
  allowedHosts: ecologyDocumentedHosts,
  defaultMapping: sameFieldMapping({ username: 'loginid', name: 'lastname', email: 'email', mobile: 'mobile', title: 'jobtitle', employeeNumber: 'workcode' }),
  // A created person's id is the workcode we send: the employee number.
  createdUserId: (user) => user.id || user.employeeNumber || '',
  create: (settings, secrets) => createEcologyConnector(settings, secrets),
  testConnection: testEcologyConnection,
  fake: {
    description: '泛微 e-cology E9 HRM REST API under /api/hrm/resful',
    credentialFlags: [
      { flag: 'token-key', option: 'tokenKey', description: 'token key the fake accepts (default fake-ecology-token-key)' },
      { flag: 'allowed-ips', option: 'allowedIps', description: 'comma-separated client IPs that need no token (default none)' },
    ],
    async start({ port, host, tokenKey, allowedIps }) {
      const { startEcologyFake, withUnassignedDepartment } = await import('./fake');
      return withUnassignedDepartment(await startEcologyFake({
        port,
        host,
        tokenKey: tokenKey as string | undefined,
        allowedIps: typeof allowedIps === 'string' ? allowedIps.split(',').map((ip) => ip.trim()).filter(Boolean) : undefined,
      }));
    },
    taskConnector: (fake) => ({ settings: { baseUrl: fake.baseUrl, auth: 'token', subcompanyId: 1, defaultDepartmentCode: 'UNASSIGNED' }, secrets: { tokenKey: 'fake-ecology-token-key' } }),
  },
});
