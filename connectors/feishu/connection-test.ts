// Feishu's connection test: the tenant token (app id + secret), the app's contact visibility (the
// root "0" among its scopes = the whole company), reading the root's children and, for a downstream
// task, the write permission. That one is read, not tried: 查询租户授权状态 (GET
// /application/v6/scopes, callable without any scope) says whether the tenant granted 更新通讯录
// (contact:contact), which every contact write needs (99991672 without it).
import { VendorError } from '../errors';
import { probe, skipped } from '../shared/connection-checks';
import type { ConnectionCheck, ConnectionTestContext } from '../types';
import { FeishuClient } from './client';
import type { FeishuSecrets, FeishuSettings } from './index';
import { idTypes, rootDepartmentId } from './mapping';

const tokenPath = '/auth/v3/tenant_access_token/internal';
const writeScope = 'contact:contact';
const granted = 1;

export async function testFeishuConnection(settings: FeishuSettings, secrets: FeishuSecrets, context: ConnectionTestContext): Promise<ConnectionCheck[]> {
  const client = new FeishuClient({ baseUrl: settings.baseUrl, appId: settings.appId, appSecret: secrets.appSecret, timeoutMs: settings.timeoutMs ?? 10_000 });
  const downstream = context.direction === 'downstream';
  const scope = await probe('visibility_scope', async () => {
    const answer = await client.request<{ department_ids?: string[] }>('GET', '/contact/v3/scopes', { query: { department_id_type: 'department_id', page_size: 50 } });
    if (!(answer.department_ids ?? []).includes(rootDepartmentId)) {
      throw new VendorError('permanent', 'partial_scope', `the app sees departments ${(answer.department_ids ?? []).join(', ') || 'none'}, not the whole company (root "0"): widen its contact scope`);
    }
    return 'the app\'s contact scope includes the root department "0": the whole company';
  });
  if (scope.error instanceof VendorError && scope.error.message.includes(tokenPath)) {
    const later = ['visibility_scope', 'read_contacts', ...(downstream ? ['write_contacts' as const] : [])] as const;
    return [{ ...scope.check, name: 'credentials' }, ...later.map((name) => skipped(name, 'credentials refused'))];
  }
  const read = await probe('read_contacts', async () => {
    const page = await client.request<{ items?: unknown[] }>('GET', `/contact/v3/departments/${rootDepartmentId}/children`, { query: { ...idTypes, page_size: 1 } });
    return `departments/0/children answered (${page.items?.length ?? 0} on the first page)`;
  });
  const checks: ConnectionCheck[] = [{ name: 'credentials', ok: true, detail: 'tenant_access_token issued' }, scope.check, read.check];
  if (downstream) {
    const write = await probe('write_contacts', async () => {
      const answer = await client.request<{ scopes?: Array<{ scope_name?: string; grant_status?: number }> }>('GET', '/application/v6/scopes');
      const status = answer.scopes?.find((s) => s.scope_name === writeScope)?.grant_status;
      if (status !== granted) {
        throw new VendorError('permanent', 'scope_not_granted', `${writeScope} (更新通讯录) is ${status === undefined ? 'not requested by the app' : 'not granted by the tenant'}: add it to the app's permissions and publish a version`);
      }
      return `${writeScope} (更新通讯录) is granted`;
    });
    checks.push(write.check);
  }
  return checks;
}
