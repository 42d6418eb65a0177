// ldaps:// and StartTLS against slapd with a certificate signed by a CA of the test's own: the
// caCertificate setting is what makes the server trusted.
import { vendorFailure } from '../shared/test-helpers';
import { slapdSyncAccount, startSlapd, type RunningSlapd } from '../../test/support/slapd';
import { testLdapConnection } from './connection-test';
import { createLdapConnector, type LdapSettings } from './index';

let slapd: RunningSlapd;
const directory = 'ou=directory,dc=acme,dc=test';

beforeAll(async () => {
  slapd = await startSlapd({ tls: true, seedLdif: `dn: ${directory}\nobjectClass: organizationalUnit\nou: directory\n\ndn: ou=Sales,${directory}\nobjectClass: organizationalUnit\nou: Sales\n` });
});
afterAll(() => slapd?.stop());

const settings = (overrides: Partial<LdapSettings>): LdapSettings => ({ url: slapd.url, bindDn: slapdSyncAccount.dn, baseDn: slapd.suffix, departmentsDn: directory, ...overrides });
const secrets = { bindPassword: slapdSyncAccount.password };

async function departmentNames(s: LdapSettings): Promise<string[]> {
  const connector = createLdapConnector(s, secrets);
  const names: string[] = [];
  try {
    for await (const page of connector.readSnapshot()) names.push(...page.departments.map((d) => d.name));
  } finally {
    await connector.close();
  }
  return names;
}

it('reads over ldaps:// and over StartTLS when the CA is given', async () => {
  expect(await departmentNames(settings({ url: slapd.ldapsUrl!, caCertificate: slapd.caPem }))).toEqual(['Sales']);
  expect(await departmentNames(settings({ startTls: true, caCertificate: slapd.caPem }))).toEqual(['Sales']);
  const checks = await testLdapConnection(settings({ startTls: true, caCertificate: slapd.caPem }), secrets, { direction: 'downstream', realtime: false });
  expect(checks.map((c) => [c.name, c.ok])).toEqual([['credentials', true], ['read_contacts', true], ['write_contacts', true]]);
  expect(checks[0].detail).toContain('after StartTLS');
});

it('refuses a server whose certificate no trusted CA signed, as a permanent error that names no secret', async () => {
  for (const s of [settings({ url: slapd.ldapsUrl! }), settings({ startTls: true })]) {
    const error = await vendorFailure(departmentNames(s));
    expect(error).toMatchObject({ kind: 'permanent' });
    expect(error.message).toMatch(/certificate/i);
    expect(error.message).not.toContain(secrets.bindPassword);
  }
});
