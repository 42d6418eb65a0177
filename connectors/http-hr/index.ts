// A generic HTTP/JSON HR source (upstream only): employees and, optionally, departments read in pages
// from the endpoints a task names, each record mapped to the canonical model by the task's JSONata
// under the expression sandbox. For any HR system with a REST export (SuccessFactors, Workday RaaS,
// 嘉扬, in-house systems). It writes nothing.
import type { Department, DirectoryPage, User } from '../../engine/model';
import { invalidInput } from '../errors';
import type { ApplyResult, Connector, ConnectorCapabilities, ConnectorOperation, ReadByIdsResult } from '../types';
import { readOnlySourceCapabilities } from '../types';
import { HttpHrClient } from './client';
import { mapDepartments, mapUsers, mappingProblem } from './mapping';
import type { HttpHrSecrets, HttpHrSettings } from './settings';

export type { HttpHrSecrets, HttpHrSettings } from './settings';

export const httpHrCapabilities: ConnectorCapabilities = readOnlySourceCapabilities;

/** What the settings schema cannot say: expressions that compile and pass the sandbox rules, and settings that go together. */
export function httpHrSettingsIssues(settings: HttpHrSettings): { field: string; message: string }[] {
  const issues: { field: string; message: string }[] = [];
  for (const field of ['userMapping', 'departmentMapping'] as const) {
    const problem = mappingProblem(settings[field]);
    if (problem) issues.push({ field: `connector.settings.${field}`, message: problem });
  }
  if (settings.departmentsUrl && !settings.departmentMapping) issues.push({ field: 'connector.settings.departmentMapping', message: 'is required with departmentsUrl' });
  if (settings.departmentMapping && !settings.departmentsUrl) issues.push({ field: 'connector.settings.departmentsUrl', message: 'is required with departmentMapping' });
  if (settings.auth === 'oauth2-client-credentials' && !settings.tokenUrl) issues.push({ field: 'connector.settings.tokenUrl', message: 'is required when auth is "oauth2-client-credentials"' });
  if (settings.requestBody && settings.method !== 'POST') issues.push({ field: 'connector.settings.requestBody', message: 'is sent only with method POST' });
  return issues;
}

export function createHttpHrConnector(settings: HttpHrSettings, secrets: HttpHrSecrets): Connector {
  const [issue] = httpHrSettingsIssues(settings);
  if (issue) throw invalidInput(issue.field, issue.message);
  const client = new HttpHrClient(settings, secrets ?? {});

  async function* departments(): AsyncGenerator<Department[]> {
    if (!settings.departmentsUrl || !settings.departmentMapping) return;
    let seen = 0;
    for await (const records of client.records(settings.departmentsUrl, settings.departmentsPath, 'departments')) {
      yield await mapDepartments(records, settings.departmentMapping, seen);
      seen += records.length;
    }
  }

  async function* users(): AsyncGenerator<User[]> {
    let seen = 0;
    for await (const records of client.records(settings.usersUrl, settings.usersPath, 'users')) {
      yield await mapUsers(records, settings.userMapping, seen);
      seen += records.length;
    }
  }

  async function* readSnapshot(): AsyncIterable<DirectoryPage> {
    for await (const page of departments()) yield { departments: page, users: [] };
    for await (const page of users()) yield { departments: [], users: page };
  }

  // An HR export offers no look-up by id we could rely on: one full read answers any ids.
  async function readByIds(ids: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult> {
    const wantedDepartments = new Set(ids.departmentIds);
    const wantedUsers = new Set(ids.userIds);
    const result: ReadByIdsResult = { departments: [], users: [], missing: { departmentIds: [], userIds: [] } };
    for await (const page of readSnapshot()) {
      result.departments.push(...page.departments.filter((d) => wantedDepartments.has(d.id)));
      result.users.push(...page.users.filter((u) => wantedUsers.has(u.id)));
    }
    const foundDepartments = new Set(result.departments.map((d) => d.id));
    const foundUsers = new Set(result.users.map((u) => u.id));
    result.missing.departmentIds = ids.departmentIds.filter((id) => !foundDepartments.has(id));
    result.missing.userIds = ids.userIds.filter((id) => !foundUsers.has(id));
    return result;
  }

  async function apply(op: ConnectorOperation): Promise<ApplyResult> {
    throw invalidInput('action', `an HTTP HR source is read-only (${op.action})`);
  }

  return { kind: 'http-hr', capabilities: httpHrCapabilities, readSnapshot, readByIds, apply };
}
