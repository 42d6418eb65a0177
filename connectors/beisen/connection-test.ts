// Beisen's connection test: the token (app id, tenant id, secret), then one page of the newest
// window of employees and of organisations, which is what every run reads.
import { probe, skipped } from '../shared/connection-checks';
import type { ConnectionCheck } from '../types';
import { BeisenClient, employeeWindowPath, organizationWindowPath } from './client';
import type { BeisenSecrets, BeisenSettings } from './index';
import { chinaDateTime } from './time-window';

export async function testBeisenConnection(settings: BeisenSettings, secrets: BeisenSecrets): Promise<ConnectionCheck[]> {
  const client = new BeisenClient({ baseUrl: settings.baseUrl, tenantId: settings.tenantId, appId: settings.appId, secret: secrets.secret, timeoutMs: settings.timeoutMs ?? 10_000 });
  const stop = new Date();
  const window = { startTime: chinaDateTime(new Date(stop.getTime() - 30 * 86_400_000)), stopTime: chinaDateTime(stop), timeWindowQueryType: '1', capacity: 1, scrollId: '' };
  const organizations = await probe('read_contacts', async () => {
    const answer = await client.post<{ code?: string; total?: number }>(organizationWindowPath, window);
    return `Organization/GetByTimeWindow answered (${answer.total ?? 0} changed in the last 30 days)`;
  });
  // A refused token fails the first call before it reaches Beisen's API: that is the credentials check.
  const message = organizations.error instanceof Error ? organizations.error.message : '';
  if (organizations.error && message.includes('/OAuth/Token')) {
    return [{ ...organizations.check, name: 'credentials' }, skipped('read_contacts', 'credentials refused')];
  }
  if (organizations.error) return [{ name: 'credentials', ok: true, detail: 'access token issued' }, organizations.check];
  const employees = await probe('read_contacts', async () => {
    const answer = await client.post<{ code?: string; total?: number }>(employeeWindowPath, { ...window, withDisabled: true });
    return `Employee/GetByTimeWindow answered (${answer.total ?? 0} changed in the last 30 days)`;
  });
  return [{ name: 'credentials', ok: true, detail: 'access token issued' }, employees.error ? employees.check : { ...organizations.check, detail: `${organizations.check.detail}; ${employees.check.detail}` }];
}
