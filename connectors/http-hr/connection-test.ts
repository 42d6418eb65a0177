// The generic HR source's connection test: the first page of employees answers with the
// credentials given (a token first, for OAuth2), and its records map to canonical users.
import { VendorError } from '../errors';
import { probe, skipped } from '../shared/connection-checks';
import type { ConnectionCheck } from '../types';
import { HttpHrClient } from './client';
import { mapUsers } from './mapping';
import type { HttpHrSecrets, HttpHrSettings } from './settings';

export async function testHttpHrConnection(settings: HttpHrSettings, secrets: HttpHrSecrets): Promise<ConnectionCheck[]> {
  let client: HttpHrClient;
  try {
    client = new HttpHrClient({ ...settings, timeoutMs: settings.timeoutMs ?? 10_000 }, secrets);
  } catch (error) {
    return [{ name: 'credentials', ok: false, detail: error instanceof VendorError ? error.vendorMessage : 'unusable settings' }, skipped('read_contacts', 'credentials missing')];
  }
  let first: unknown[] = [];
  const credentials = await probe('credentials', async () => {
    const page = await client.records(settings.usersUrl, settings.usersPath, 'users').next();
    first = page.done ? [] : page.value;
    return `the employees endpoint answered (${first.length} records on the first page)`;
  });
  if (!credentials.check.ok) return [credentials.check, skipped('read_contacts', 'the first page was refused')];
  const mapped = await probe('read_contacts', async () => `userMapping maps the first page (${(await mapUsers(first, settings.userMapping)).length} users)`);
  return [credentials.check, mapped.check];
}
