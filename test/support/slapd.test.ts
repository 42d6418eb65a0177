// The slapd test support itself: a real server from a temporary cn=config, ready fast, gone after.
import { createConnection } from 'node:net';
import { Client } from 'ldapts';
import { slapdReader, slapdSyncAccount, startSlapd, type RunningSlapd } from './slapd';

const connects = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

test('starts on a loopback port with memberof, refint, ppolicy and the AD-like schema, and stops clean', async () => {
  const started = Date.now();
  const slapd: RunningSlapd = await startSlapd({ adSchema: true });
  const elapsed = Date.now() - started;
  try {
    // A guard against a start that waits on a timeout, not a speed claim (about 0.5 s quiet; 2 s seen at load 18).
    expect(elapsed).toBeLessThan(10_000);
    expect(slapd.url).toMatch(/^ldap:\/\/127\.0\.0\.1:\d+$/);
    const client = new Client({ url: slapd.url });
    await client.bind(slapdSyncAccount.dn, slapdSyncAccount.password);
    const { searchEntries } = await client.search(`cn=default,ou=policies,${slapd.suffix}`, { scope: 'base', attributes: ['pwdLockout'] });
    expect(searchEntries[0]).toMatchObject({ pwdLockout: 'TRUE' });
    await client.unbind();
    // The refint overlay follows a renamed manager; the AD-like class takes sAMAccountName.
    slapd.modify(`dn: uid=boss,${slapd.suffix}\nobjectClass: inetOrgPerson\nuid: boss\ncn: Boss\nsn: Boss\n\ndn: cn=Report,${slapd.suffix}\nobjectClass: user\ncn: Report\nsn: Report\nsAMAccountName: report\nuserAccountControl: 512\nmanager: uid=boss,${slapd.suffix}\n`);
    slapd.modify(`dn: uid=boss,${slapd.suffix}\nchangetype: modrdn\nnewrdn: uid=chief\ndeleteoldrdn: 1\n`);
    expect(slapd.searchLdif(slapd.suffix, '(sAMAccountName=report)', ['manager'])).toContain(`manager: uid=chief,${slapd.suffix}`);
    const reader = new Client({ url: slapd.url });
    await reader.bind(slapdReader.dn, slapdReader.password);
    // An empty modify succeeds even for a read-only account, so the connector's write probe adds and removes an OU instead.
    await expect(reader.modify(`cn=Report,${slapd.suffix}`, [])).resolves.toBeUndefined();
    await expect(reader.add(`ou=probe,${slapd.suffix}`, { objectClass: 'organizationalUnit', ou: 'probe' })).rejects.toThrow(/no write access/);
    await reader.unbind();
  } finally {
    await slapd.stop();
  }
  expect(await connects(slapd.port)).toBe(false);
});
