// e-cology's connection test: the first paged read proves the address is allow-listed or the token
// accepted, then that the configured subcompany exists and people can be read. e-cology has no
// dry-run write, so write permission is not probed (the HRM sync APIs take no read-only credential:
// whoever may read through them may also write).
import { probe, skipped } from '../shared/connection-checks';
import type { ConnectionCheck, ConnectionTestContext } from '../types';
import { EcologyClient } from './client';
import type { EcologySecrets, EcologySettings } from './index';
import type { EcologySubcompany } from './mapping';

export async function testEcologyConnection(settings: EcologySettings, secrets: EcologySecrets, context: ConnectionTestContext): Promise<ConnectionCheck[]> {
  const later = ['visibility_scope', 'read_contacts', ...(context.direction === 'downstream' ? ['write_contacts' as const] : [])] as const;
  if (settings.auth === 'token' && !secrets.tokenKey) {
    return [{ name: 'credentials', ok: false, detail: 'connector.secrets.tokenKey is required when auth is "token"' }, ...later.map((name) => skipped(name, 'credentials missing'))];
  }
  const client = new EcologyClient({ baseUrl: settings.baseUrl, auth: settings.auth, tokenKey: secrets.tokenKey, timeoutMs: settings.timeoutMs ?? 10_000 });
  const subcompanies: EcologySubcompany[] = [];
  const credentials = await probe('credentials', async () => {
    for await (const page of client.readAll<EcologySubcompany>('getHrmsubcompanyWithPage', 100)) subcompanies.push(...page);
    return settings.auth === 'token' ? 'the token was accepted' : 'this address is on the IP allow-list';
  });
  if (!credentials.check.ok) return [credentials.check, ...later.map((name) => skipped(name, 'credentials refused'))];
  const found = subcompanies.find((s) => Number(s.id) === Number(settings.subcompanyId) && String(s.canceled) !== '1');
  const checks: ConnectionCheck[] = [
    credentials.check,
    found
      ? { name: 'visibility_scope', ok: true, detail: `subcompany ${found.id} (${found.subcompanyname}) exists` }
      : { name: 'visibility_scope', ok: false, detail: `subcompany ${settings.subcompanyId} does not exist or is canceled (${subcompanies.length} subcompanies read)` },
  ];
  checks.push(
    (
      await probe('read_contacts', async () => {
        const first = await client.readAll<unknown>('getHrmUserInfoWithPage', 1).next();
        return `getHrmUserInfoWithPage answered (${first.done ? 0 : first.value.length} person on the first page)`;
      })
    ).check,
  );
  if (context.direction === 'downstream') checks.push({ name: 'write_contacts', ok: true, detail: 'not probed: e-cology has no write that changes nothing; the first run shows refusals per record' });
  return checks;
}
