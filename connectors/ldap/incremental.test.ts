// Incremental reads (./changes.ts) against a real slapd: which users and OUs changed at or after a
// watermark by modifyTimestamp, the searches that lists them, and the watermark for next time.
// The tests share one directory and run in order; each waits for a new second (modifyTimestamp has
// whole seconds) so the changes of a step are told apart from the ones before.
import type { SearchOptions } from 'ldapts';
import { vendorFailure } from '../shared/test-helpers';
import { slapdSyncAccount, startSlapd, type RunningSlapd } from '../../test/support/slapd';
import { createLdapConnector, type LdapSettings } from './index';
import { openldapProfile } from './profile';

jest.setTimeout(30_000);

let slapd: RunningSlapd;
const directory = 'ou=directory,dc=acme,dc=test';
const person = (cn: string, ou: string, uid: string, extra = '') =>
  `dn: cn=${cn},${ou}${directory}\nobjectClass: inetOrgPerson\ncn: ${cn}\nsn: ${cn.split(' ').pop()}\nuid: ${uid}\n${extra}`;
const seed = [
  `dn: ${directory}\nobjectClass: organizationalUnit\nou: directory`,
  `dn: ou=Engineering,${directory}\nobjectClass: organizationalUnit\nou: Engineering`,
  `dn: ou=Sales,${directory}\nobjectClass: organizationalUnit\nou: Sales`,
  person('Alice Wang', 'ou=Engineering,', 'alice', 'title: CTO'),
  person('Bob Li', 'ou=Engineering,', 'bob', `manager: cn=Alice Wang,ou=Engineering,${directory}`),
  person('Carol Zhang', 'ou=Sales,', 'carol'),
  person('Erin Zhou', 'ou=Sales,', 'erin'),
  person('Frank Wu', 'ou=Sales,', 'frank'),
  person('Gus Liu', 'ou=Engineering,', 'gus'),
  person('Zed Sentinel', 'ou=Engineering,', 'zed'),
  // Not a user (no inetOrgPerson): never listed, whatever it changes.
  `dn: cn=printer,ou=Sales,${directory}\nobjectClass: device\ncn: printer`,
].join('\n\n') + '\n';

const settings = (overrides: Partial<LdapSettings> = {}): LdapSettings => ({
  url: slapd.url,
  bindDn: slapdSyncAccount.dn,
  baseDn: slapd.suffix,
  departmentsDn: directory,
  pageSize: 2,
  ...overrides,
});
const secrets = { bindPassword: slapdSyncAccount.password };

/** entryUUID by uid (or OU name), read as the rootdn. */
function uuidOf(filter: string): string {
  const match = /entryUUID: (\S+)/.exec(slapd.searchLdif(directory, filter, ['entryUUID']));
  if (!match) throw new Error(`no entry ${filter}`);
  return match[1];
}
const modifyTimestampOf = (filter: string) => /modifyTimestamp: (\S+)/.exec(slapd.searchLdif(directory, filter, ['modifyTimestamp']))![1];

/** Waits for the next second of the server's clock (the same host), so what is written next carries a later modifyTimestamp. */
async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1050 - (Date.now() % 1000)));
}

/** Every paged search the connector makes, with its base and filter text (ldapts writes a filter object with its values escaped). */
function recordSearches(connector: ReturnType<typeof createLdapConnector>) {
  const searches: { base: string; filter: string }[] = [];
  const original = connector.client.searchPages.bind(connector.client);
  connector.client.searchPages = (base: string, options: SearchOptions & { pageSize: number }) => {
    searches.push({ base, filter: String(options.filter) });
    return original(base, options);
  };
  return searches;
}

let watermark: string;

beforeAll(async () => {
  slapd = await startSlapd({ seedLdif: seed });
});
afterAll(() => slapd?.stop());

test('the watermark of a full read is the highest modifyTimestamp of the users and OUs, taken with one search of each', async () => {
  await nextSecond();
  // The last write before the full read: its second is the watermark, so it is listed again next time (≥).
  slapd.modify(`dn: cn=Zed Sentinel,ou=Engineering,${directory}\nchangetype: modify\nreplace: title\ntitle: Sentinel\n`);
  const connector = createLdapConnector(settings(), secrets);
  const searches = recordSearches(connector);
  watermark = await connector.changeWatermark!();
  await connector.close();
  expect(watermark).toBe(modifyTimestampOf('(uid=zed)'));
  expect(searches).toEqual([
    { base: directory, filter: '(&(objectClass=organizationalUnit)(modifyTimestamp=*))' },
    { base: directory, filter: '(&(objectClass=inetOrgPerson)(modifyTimestamp=*))' },
  ]);
});

test('a new user, a rename, a move, a manager change and a lock are listed, and nothing unchanged but the watermark\'s own second', async () => {
  await nextSecond();
  slapd.modify(`${person('Dave Chen', 'ou=Sales,', 'dave')}\n`);
  slapd.modify(`dn: cn=Carol Zhang,ou=Sales,${directory}\nchangetype: modrdn\nnewrdn: cn=Carol Zhang-Li\ndeleteoldrdn: 1\n`);
  slapd.modify(`dn: cn=Gus Liu,ou=Engineering,${directory}\nchangetype: modrdn\nnewrdn: cn=Gus Liu\ndeleteoldrdn: 1\nnewsuperior: ou=Sales,${directory}\n`);
  slapd.modify(`dn: cn=Erin Zhou,ou=Sales,${directory}\nchangetype: modify\nreplace: manager\nmanager: cn=Alice Wang,ou=Engineering,${directory}\n`);
  slapd.modify(`dn: cn=Frank Wu,ou=Sales,${directory}\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`);
  slapd.modify(`dn: cn=printer,ou=Sales,${directory}\nchangetype: modify\nreplace: description\ndescription: moved to floor 2\n`);

  const connector = createLdapConnector(settings(), secrets);
  const searches = recordSearches(connector);
  const calls = connector.client.calls;
  const changes = await connector.readChangesSince!(watermark);
  const changed = ['dave', 'carol', 'gus', 'erin', 'frank'].map((uid) => uuidOf(`(uid=${uid})`));
  expect(changes.changedIds.sort()).toEqual([...changed, uuidOf('(uid=zed)')].sort());
  // The highest modifyTimestamp among them, from the first pair of searches; the ids from the second.
  expect(changes.watermark).toBe([...['dave', 'carol', 'gus', 'erin', 'frank'].map((uid) => modifyTimestampOf(`(uid=${uid})`))].sort().at(-1));
  expect(changes.watermark > watermark).toBe(true);
  const since = `(modifyTimestamp>=${watermark})`;
  expect(searches).toEqual([
    { base: directory, filter: `(&(objectClass=organizationalUnit)${since})` },
    { base: directory, filter: `(&(objectClass=inetOrgPerson)${since})` },
    { base: directory, filter: `(&(objectClass=organizationalUnit)${since})` },
    { base: directory, filter: `(&(objectClass=inetOrgPerson)${since})` },
  ]);
  // Paged (2 per page): 6 users are 3 pages in each user search, no OU changed (1 empty page each).
  expect(connector.client.calls - calls).toBe(1 + 3 + 1 + 3 + 1);

  const read = await connector.readByIds({ departmentIds: changes.changedIds, userIds: changes.changedIds });
  const byUsername = new Map(read.users.map((u) => [u.username, u]));
  const sales = uuidOf('(ou=Sales)');
  expect(byUsername.get('dave')).toMatchObject({ departmentIds: [sales] });
  expect(byUsername.get('carol')).toMatchObject({ name: 'Carol Zhang-Li' });
  expect(byUsername.get('gus')).toMatchObject({ departmentIds: [sales] });
  expect(byUsername.get('erin')).toMatchObject({ managerId: uuidOf('(uid=alice)') });
  expect(byUsername.get('frank')).toMatchObject({ status: 'disabled' });
  await connector.close();
  watermark = changes.watermark;
});

test('an OU renamed and moved is listed without the people in it (their entries did not change); a deleted user is never listed', async () => {
  await nextSecond();
  slapd.modify(`dn: ou=Sales,${directory}\nchangetype: modrdn\nnewrdn: ou=Sales & Marketing\ndeleteoldrdn: 1\nnewsuperior: ou=Engineering,${directory}\n`);
  slapd.modify(`dn: cn=Bob Li,ou=Engineering,${directory}\nchangetype: delete\n`);
  const connector = createLdapConnector(settings(), secrets);
  const boundary = ['dave', 'carol', 'gus', 'erin', 'frank'].filter((uid) => modifyTimestampOf(`(uid=${uid})`) === watermark).map((uid) => uuidOf(`(uid=${uid})`));
  const changes = await connector.readChangesSince!(watermark);
  expect(changes.changedIds.sort()).toEqual([uuidOf('(ou=Sales & Marketing)'), ...boundary].sort());
  expect(changes.watermark).toBe(modifyTimestampOf('(ou=Sales & Marketing)'));
  const read = await connector.readByIds({ departmentIds: changes.changedIds, userIds: [] });
  expect(read.departments).toEqual([expect.objectContaining({ name: 'Sales & Marketing', parentId: uuidOf('(ou=Engineering)') })]);
  await connector.close();
  watermark = changes.watermark;
});

test('with nothing changed, the watermark stays and only the entries of its own second are listed again', async () => {
  await nextSecond();
  const connector = createLdapConnector(settings(), secrets);
  const changes = await connector.readChangesSince!(watermark);
  expect(changes).toEqual({ changedIds: [uuidOf('(ou=Sales & Marketing)')], watermark });
  await connector.close();
});

test('a watermark that is not a modifyTimestamp value is refused before any search, naming it (no filter text is built from it)', async () => {
  const connector = createLdapConnector(settings(), secrets);
  const calls = connector.client.calls;
  for (const bad of ['*', '20260101000000Z)(objectClass=*', '2026-01-01T00:00:00Z', '']) {
    expect(await vendorFailure(connector.readChangesSince!(bad))).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_input', vendorMessage: expect.stringMatching(/^watermark: /) });
  }
  expect(connector.client.calls).toBe(calls);
  await connector.close();
});

test('modifyTimestamp values compare as instants (a fraction sorts after its whole second)', () => {
  const { compare } = openldapProfile.change;
  expect(compare('20261201120000Z', '20261201120001Z')).toBeLessThan(0);
  expect(compare('20261201120000.5Z', '20261201120000Z')).toBeGreaterThan(0);
  expect(compare('20261201120000Z', '20261201120000.000000Z')).toBe(0);
});
