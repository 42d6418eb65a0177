// Moka's connection test: one signed call per API the runs use (a page of one). Moka has no token:
// a wrong API key (HTTP 401) or a key pair it does not know (a refused signature) fails the first call.
import { probe, skipped } from '../shared/connection-checks';
import type { ConnectionCheck } from '../types';
import { MokaClient, departmentsPath, employeesPath } from './client';
import type { MokaSecrets, MokaSettings } from './index';

const credentialCodes = new Set(['401', '403']);

export async function testMokaConnection(settings: MokaSettings, secrets: MokaSecrets): Promise<ConnectionCheck[]> {
  let client: MokaClient;
  try {
    client = new MokaClient({ baseUrl: settings.baseUrl, entCode: settings.entCode, apiKey: secrets.apiKey, privateKey: secrets.privateKey, userName: settings.userName, timeoutMs: settings.timeoutMs ?? 10_000 });
  } catch (error) {
    const first = await probe('credentials', () => Promise.reject(error));
    return [first.check, skipped('read_contacts', 'credentials refused')];
  }
  const departments = await probe('credentials', async () => {
    await client.post(departmentsPath, settings.departmentsApiCode, { pageNum: 1, pageSize: 1 });
    return 'the signed department list call was accepted';
  });
  const refusedCode = (departments.error as { vendorCode?: string } | undefined)?.vendorCode;
  if (departments.error && refusedCode && credentialCodes.has(refusedCode)) return [departments.check, skipped('read_contacts', 'credentials refused')];
  const employees = await probe('read_contacts', async () => {
    const page = await client.post<{ total?: number }>(employeesPath, settings.employeesApiCode, { pageNum: 1, pageSize: 1 });
    return `department and employee lists answered (${page.total ?? 0} employees)`;
  });
  if (departments.error) return [{ name: 'credentials', ok: true, detail: 'API key and signature accepted' }, { ...departments.check, name: 'read_contacts' }];
  return [departments.check, employees.check];
}
