// LDAP's connection test: the bind (credentials, and TLS when asked), that each configured DN
// exists, a read of one user, and for a downstream task a write. An empty modify is no write test
// (slapd accepts it from a read-only account), so the probe adds an OU under departmentsDn and
// deletes it at once: the two rights a downstream sync needs there. AD refuses both alike.
import { randomUUID } from 'node:crypto';
import { probe, skipped } from '../shared/connection-checks';
import type { ConnectionCheck, ConnectionTestContext } from '../types';
import { LdapClient } from './client';
import { rdn } from './dn';
import type { LdapSecrets, LdapSettings } from './index';
import { profileOf } from './profile';

export async function testLdapConnection(settings: LdapSettings, secrets: LdapSecrets, context: ConnectionTestContext): Promise<ConnectionCheck[]> {
  const client = new LdapClient({ ...settings, bindPassword: secrets.bindPassword, timeoutMs: settings.timeoutMs ?? 10_000 });
  const later: ConnectionCheck['name'][] = ['read_contacts', ...(context.direction === 'downstream' ? (['write_contacts'] as const) : [])];
  try {
    const bind = await probe('credentials', async () => (await client.bind(), `bound as ${settings.bindDn}${settings.startTls ? ' after StartTLS' : ''}`));
    if (!bind.check.ok) return [bind.check, ...later.map((name) => skipped(name, 'bind refused'))];
    const departmentsDn = settings.departmentsDn ?? settings.baseDn;
    const usersDn = settings.usersDn ?? departmentsDn;
    const bases = [...new Set([settings.baseDn, departmentsDn, usersDn])];
    const read = await probe('read_contacts', async () => {
      for (const base of bases) await client.search(base, { scope: 'base', attributes: ['1.1'] });
      const users = await client.search(usersDn, { scope: 'sub', filter: settings.userFilter ?? profileOf(settings.profile).defaultUserFilter, attributes: ['1.1'], sizeLimit: 1 }).catch((error: unknown) => {
        // sizeLimitExceeded with one entry is the answer we asked for.
        if (error instanceof Error && /size ?limit/i.test(error.message)) return [{}];
        throw error;
      });
      return `${bases.join(', ')} exist; the user filter matches ${users.length === 0 ? 'no entry yet' : 'entries'}`;
    });
    const checks = [bind.check, read.check];
    if (context.direction === 'downstream') {
      if (!read.check.ok) return [...checks, skipped('write_contacts', 'the base DNs could not be read')];
      checks.push(
        (
          await probe('write_contacts', async () => {
            const dn = `${rdn('ou', `sync-center-probe-${randomUUID().slice(0, 8)}`)},${departmentsDn}`;
            await client.add(dn, { objectClass: ['top', 'organizationalUnit'], ou: dn.slice(3, dn.indexOf(',')) });
            await client.del(dn);
            return `added and deleted an OU under ${departmentsDn}`;
          })
        ).check,
      );
    }
    return checks;
  } finally {
    await client.close();
  }
}
