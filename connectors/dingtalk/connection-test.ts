// DingTalk's connection test: the token (app key + secret), then reading the root department's
// children and members (50004 when the app's contact scope leaves them out).
import { VendorError } from '../errors';
import { probe, skipped } from '../shared/connection-checks';
import type { ConnectionCheck, ConnectionTestContext } from '../types';
import { DingtalkClient } from './client';
import type { DingtalkSecrets, DingtalkSettings } from './index';
import { rootDepartmentId } from './mapping';

export async function testDingtalkConnection(settings: DingtalkSettings, secrets: DingtalkSecrets, _context: ConnectionTestContext): Promise<ConnectionCheck[]> {
  const client = new DingtalkClient({ oapiBaseUrl: settings.oapiBaseUrl, apiBaseUrl: settings.apiBaseUrl, appKey: settings.appKey, appSecret: secrets.appSecret, timeoutMs: settings.timeoutMs ?? 10_000, maxRateLimitRetries: 0 });
  const departments = await probe('read_contacts', async () => {
    const children = await client.post<unknown[]>('/topapi/v2/department/listsub', { dept_id: rootDepartmentId });
    return `department/listsub of the root answered (${Array.isArray(children) ? children.length : 0} departments)`;
  });
  if (departments.error instanceof VendorError && departments.error.message.includes('/gettoken')) {
    return [{ ...departments.check, name: 'credentials' }, skipped('read_contacts', 'credentials refused')];
  }
  const members = await probe('read_contacts', async () => {
    await client.post('/topapi/v2/user/list', { dept_id: rootDepartmentId, cursor: 0, size: 1 });
    return 'user/list of the root answered';
  });
  const read: ConnectionCheck = departments.check.ok ? members.check : departments.check;
  return [{ name: 'credentials', ok: true, detail: 'gettoken issued an access token' }, read];
}
