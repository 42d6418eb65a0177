// Feishu's connection test: the tenant token (app id + secret), the app's contact visibility (the
// root "0" among its scopes = the whole company) and reading the root's children.
import { VendorError } from '../errors';
import { probe, skipped } from '../shared/connection-checks';
import type { ConnectionCheck, ConnectionTestContext } from '../types';
import { FeishuClient } from './client';
import type { FeishuSecrets, FeishuSettings } from './index';
import { idTypes, rootDepartmentId } from './mapping';

const tokenPath = '/auth/v3/tenant_access_token/internal';

export async function testFeishuConnection(settings: FeishuSettings, secrets: FeishuSecrets, _context: ConnectionTestContext): Promise<ConnectionCheck[]> {
  const client = new FeishuClient({ baseUrl: settings.baseUrl, appId: settings.appId, appSecret: secrets.appSecret, timeoutMs: settings.timeoutMs ?? 10_000 });
  const scope = await probe('visibility_scope', async () => {
    const answer = await client.request<{ department_ids?: string[] }>('GET', '/contact/v3/scopes', { query: { department_id_type: 'department_id', page_size: 50 } });
    if (!(answer.department_ids ?? []).includes(rootDepartmentId)) {
      throw new VendorError('permanent', 'partial_scope', `the app sees departments ${(answer.department_ids ?? []).join(', ') || 'none'}, not the whole company (root "0"): widen its contact scope`);
    }
    return 'the app\'s contact scope includes the root department "0": the whole company';
  });
  if (scope.error instanceof VendorError && scope.error.message.includes(tokenPath)) {
    return [{ ...scope.check, name: 'credentials' }, skipped('visibility_scope', 'credentials refused'), skipped('read_contacts', 'credentials refused')];
  }
  const read = await probe('read_contacts', async () => {
    const page = await client.request<{ items?: unknown[] }>('GET', `/contact/v3/departments/${rootDepartmentId}/children`, { query: { ...idTypes, page_size: 1 } });
    return `departments/0/children answered (${page.items?.length ?? 0} on the first page)`;
  });
  return [{ name: 'credentials', ok: true, detail: 'tenant_access_token issued' }, scope.check, read.check];
}
