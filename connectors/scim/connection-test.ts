// The SCIM connection test: the token (or Zoom's OAuth token) is accepted, Users can be read, and
// for a downstream task that writes are allowed - without changing data: a PATCH with no operation
// is refused (400 invalidValue/noTarget) by a server that let the token write, and refused with
// 401/403 by one that did not, so the status alone tells the permission.
import { VendorError } from '../errors';
import { probe, refusalDetail, skipped } from '../shared/connection-checks';
import type { ConnectionCheck, ConnectionTestContext } from '../types';
import type { ListResponse } from './client';
import { createScimClient, type ScimSecrets, type ScimSettings } from './index';

const refusedCredentials = (err: unknown) => err instanceof VendorError && (/^40[13]/.test(err.vendorCode) || err.vendorCode.startsWith('oauth_'));

export async function testScimConnection(settings: ScimSettings, secrets: ScimSecrets, context: ConnectionTestContext): Promise<ConnectionCheck[]> {
  let client;
  try {
    client = createScimClient({ ...settings, timeoutMs: settings.timeoutMs ?? 10_000 }, secrets);
  } catch (err) {
    return [{ name: 'credentials', ok: false, detail: refusalDetail(err) }];
  }
  // A one-user list: the one call every profile answers (Aliyun and Atlassian serve no /Me, not all serve /ServiceProviderConfig alike).
  let firstId: string | undefined;
  const read = await probe('read_contacts', async () => {
    const page = await client.get<ListResponse<{ id: string }>>('/Users', { startIndex: 1, count: 1 });
    firstId = page.Resources?.[0]?.id;
    return `GET /Users answered (${page.totalResults ?? 0} users)`;
  });
  const later = context.direction === 'downstream' ? (['write_contacts'] as const) : [];
  if (refusedCredentials(read.error)) {
    return [{ ...read.check, name: 'credentials' }, skipped('read_contacts', 'credentials refused'), ...later.map((n) => skipped(n, 'credentials refused'))];
  }
  const checks: ConnectionCheck[] = [{ name: 'credentials', ok: read.check.ok, detail: read.check.ok ? 'the token was accepted' : read.check.detail }, read.check];
  if (context.direction !== 'downstream') return checks;
  if (!read.check.ok) return [...checks, skipped('write_contacts', 'reading failed')];
  if (firstId === undefined) {
    checks.push({ name: 'write_contacts', ok: true, detail: 'not checked: the directory has no user to aim an empty PATCH at; the first run shows whether writes are allowed' });
    return checks;
  }
  const target = firstId;
  const write = await probe('write_contacts', async () => {
    try {
      await client.patch(`/Users/${encodeURIComponent(target)}`, []);
      return 'an empty PATCH was accepted (nothing changed)';
    } catch (err) {
      // 400: the token may write, the empty request is what was refused.
      if (err instanceof VendorError && err.vendorCode.startsWith('400')) return `an empty PATCH was refused as empty (${err.vendorCode}), not for permission: writes are allowed`;
      throw err;
    }
  });
  checks.push(write.check);
  return checks;
}
