// DingTalk's connection test: the token (app key + secret), reading the root department's children
// and members (50004 when the app's contact scope leaves them out) and, for a downstream task, the
// write permission. DingTalk documents no call that lists an internal app's permissions, so the write
// check updates a member that cannot exist: DingTalk refuses the call for want of the permission
// (88 / sub_code 60011) before it looks the member up, and with the permission it answers 60121
// (no such member) — either way nothing in the directory changes.
import { VendorError } from '../errors';
import { probe, skipped } from '../shared/connection-checks';
import type { ConnectionCheck, ConnectionTestContext } from '../types';
import { DingtalkClient } from './client';
import type { DingtalkSecrets, DingtalkSettings } from './index';
import { rootDepartmentId } from './mapping';

/** a userid no member has: DingTalk userids are the admin's or its own, never this */
const probeUserid = 'sync-center-connection-test-no-such-member';
const userMissing = '60121';

export async function testDingtalkConnection(settings: DingtalkSettings, secrets: DingtalkSecrets, context: ConnectionTestContext): Promise<ConnectionCheck[]> {
  const client = new DingtalkClient({ oapiBaseUrl: settings.oapiBaseUrl, apiBaseUrl: settings.apiBaseUrl, appKey: settings.appKey, appSecret: secrets.appSecret, timeoutMs: settings.timeoutMs ?? 10_000, maxRateLimitRetries: 0 });
  const downstream = context.direction === 'downstream';
  const departments = await probe('read_contacts', async () => {
    const children = await client.post<unknown[]>('/topapi/v2/department/listsub', { dept_id: rootDepartmentId });
    return `department/listsub of the root answered (${Array.isArray(children) ? children.length : 0} departments)`;
  });
  if (departments.error instanceof VendorError && departments.error.message.includes('/gettoken')) {
    return [{ ...departments.check, name: 'credentials' }, skipped('read_contacts', 'credentials refused'), ...(downstream ? [skipped('write_contacts', 'credentials refused')] : [])];
  }
  const members = await probe('read_contacts', async () => {
    await client.post('/topapi/v2/user/list', { dept_id: rootDepartmentId, cursor: 0, size: 1 });
    return 'user/list of the root answered';
  });
  const read: ConnectionCheck = departments.check.ok ? members.check : departments.check;
  const checks: ConnectionCheck[] = [{ name: 'credentials', ok: true, detail: 'gettoken issued an access token' }, read];
  if (downstream) {
    const write = await probe(
      'write_contacts',
      async () => {
        try {
          await client.post('/topapi/v2/user/update', { userid: probeUserid });
        } catch (error) {
          if (error instanceof VendorError && error.vendorCode === userMissing) return 'user/update passed the permission check (60121 for a member that does not exist; nothing changed)';
          throw error;
        }
        return 'user/update accepted (no field changed)';
      },
      { '60011': "the app lacks 通讯录管理's write permission (成员信息读写权限): grant it in the developer console" },
    );
    checks.push(write.check);
  }
  return checks;
}
