// A generic HTTP/JSON HR source as a connector kind (docs/connectors.md): any HR system with a REST
// export, read in pages and mapped by the task's JSONata under the expression sandbox.
import { defineConnector } from '../types';
import { testHttpHrConnection } from './connection-test';
import { httpHrDocumentedHosts } from './hosts';
import { createHttpHrConnector, httpHrCapabilities, httpHrSettingsIssues } from './index';
import { HttpHrSecretsSchema, HttpHrSettingsSchema } from './settings';

/** The fake's records as an in-house HR export shapes them, and the mapping that reads them. */
export const httpHrExampleMapping = {
  userMapping:
    '{"id": emp_no, "username": login, "name": full_name, "email": work_email, "mobile": phone, "employeeNumber": emp_no, "title": position, "departmentIds": dept_code, "managerId": manager_emp_no, "status": state = "ACTIVE" ? "active" : "disabled"}',
  departmentMapping: '{"id": code, "name": name, "parentId": parent_code, "order": sort}',
};

export const httpHrDefinition = defineConnector({
  kind: 'http-hr',
  directions: ['upstream'],
  capabilities: httpHrCapabilities,
  rootId: null,
  settings: HttpHrSettingsSchema,
  secrets: HttpHrSecretsSchema,
  identifyingSettings: ['usersUrl'],
  // Credentials go to these: changing one needs them given again.
  tenantSettings: ['usersUrl', 'departmentsUrl', 'tokenUrl', 'auth', 'headerName'],
  allowedHosts: httpHrDocumentedHosts,
  settingsIssues: httpHrSettingsIssues,
  defaultMapping: [],
  create: (settings, secrets) => createHttpHrConnector(settings, secrets),
  testConnection: (settings, secrets) => testHttpHrConnection(settings, secrets),
  fake: {
    description: 'an HR system with a REST export: /hr/employees and /hr/departments (offset, page or cursor paging), bearer key or OAuth2 client credentials at /hr/oauth/token',
    credentialFlags: [
      { flag: 'api-key', option: 'apiKey', description: 'bearer key the fake accepts (default fake-hr-api-key)' },
      { flag: 'client-id', option: 'clientId', description: 'OAuth2 client id (default fake-hr-client)' },
      { flag: 'client-secret', option: 'clientSecret', description: 'OAuth2 client secret (default fake-hr-client-secret)' },
    ],
    async start({ port, host, apiKey, clientId, clientSecret }) {
      const { startHttpHrFake } = await import('./fake');
      return startHttpHrFake({ port, host, apiKey: apiKey as string | undefined, clientId: clientId as string | undefined, clientSecret: clientSecret as string | undefined });
    },
    taskConnector: (fake) => ({
      settings: {
        usersUrl: `${fake.baseUrl}/employees`,
        usersPath: 'data.items',
        departmentsUrl: `${fake.baseUrl}/departments`,
        departmentsPath: 'data.items',
        paging: { style: 'offset', pageSize: 50 },
        ...httpHrExampleMapping,
      },
      secrets: { headerValue: 'Bearer fake-hr-api-key' },
    }),
  },
});
