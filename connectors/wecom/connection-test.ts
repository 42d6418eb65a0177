// WeCom's connection test: the token (corp id + secret), whole-company visibility (the root department
// 1 is in the secret's visible range), reading members, and for a downstream task a write that changes
// nothing. WeCom documents no read-only probe of a contact secret's permissions (agent/get_permissions
// answers only 代开发 and third-party apps), so the write check is an update of the root naming no
// field: it needs the edit permission (48002 without it) and leaves the directory as it was.
import { VendorError } from '../errors';
import { probe, skipped } from '../shared/connection-checks';
import type { ConnectionCheck, ConnectionTestContext } from '../types';
import { WecomClient } from './client';
import type { WecomSecrets, WecomSettings } from './index';
import { rootDepartmentId } from './validation';

const fromTokenCall = (error: unknown) => error instanceof VendorError && error.message.includes('/gettoken');

export async function testWecomConnection(settings: WecomSettings, secrets: WecomSecrets, context: ConnectionTestContext): Promise<ConnectionCheck[]> {
  const client = new WecomClient({ baseUrl: settings.baseUrl, corpId: settings.corpId, corpSecret: secrets.corpSecret, timeoutMs: settings.timeoutMs ?? 10_000 });
  // The first call fetches the token: a refusal there is the credentials' fault, not the scope's.
  const scope = await probe(
    'visibility_scope',
    async () => {
      const answer = await client.get<{ department_id?: unknown[] }>('/department/simplelist', { id: rootDepartmentId });
      return `root department ${rootDepartmentId} is visible (${answer.department_id?.length ?? 0} departments): the whole company is in scope`;
    },
    { '60011': `the secret's visible range (应用可见范围) leaves out the root department ${rootDepartmentId}: a sync needs the whole company — widen the range or use the 通讯录同步 secret` },
  );
  if (fromTokenCall(scope.error)) {
    const later = ['visibility_scope', 'read_contacts', ...(context.direction === 'downstream' ? ['write_contacts' as const] : [])] as const;
    return [{ ...scope.check, name: 'credentials' }, ...later.map((name) => skipped(name, 'credentials refused'))];
  }
  const checks: ConnectionCheck[] = [{ name: 'credentials', ok: true, detail: 'gettoken issued an access token' }, scope.check];
  checks.push(
    (
      await probe('read_contacts', async () => {
        const page = await client.post<{ dept_user?: unknown[] }>('/user/list_id', { limit: 1 });
        return `user/list_id answered (${page.dept_user?.length ?? 0} member on the first page)`;
      })
    ).check,
  );
  if (context.direction === 'downstream') {
    // An update of the root with no fields changes nothing, yet needs the contact-sync write permission.
    checks.push(
      (
        await probe('write_contacts', async () => (await client.post('/department/update', { id: rootDepartmentId }), 'department/update accepted (no field changed)'), {
          '48002': 'the secret may only read: set 通讯录同步 to API编辑通讯录 and use its secret',
          '60011': `the root department ${rootDepartmentId} is outside the secret's visible range`,
        })
      ).check,
    );
  }
  return checks;
}
