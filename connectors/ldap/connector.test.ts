// The LDAP connector (openldap profile) against a real slapd: reads, every operation, DN edge cases,
// error classes. The tests share one directory and run in order.
import { execFileSync } from 'node:child_process';
import { Client } from 'ldapts';
import type { Connector } from '../types';
import { vendorFailure } from '../shared/test-helpers';
import { slapdAdmin, slapdReader, slapdSyncAccount, startSlapd, type RunningSlapd } from '../../test/support/slapd';
import type { Department, User } from '../../engine/model';
import { createLdapConnector, type LdapSettings } from './index';
import { testLdapConnection } from './connection-test';

jest.setTimeout(30_000);

let slapd: RunningSlapd;
const directory = 'ou=directory,dc=acme,dc=test';

const seed = `dn: ${directory}
objectClass: organizationalUnit
ou: directory

dn: ou=Engineering,${directory}
objectClass: organizationalUnit
ou: Engineering

dn: ou=Platform,ou=Engineering,${directory}
objectClass: organizationalUnit
ou: Platform

dn: ou=Sales,${directory}
objectClass: organizationalUnit
ou: Sales

dn: cn=Alice Wang,ou=Engineering,${directory}
objectClass: inetOrgPerson
cn: Alice Wang
sn: Wang
uid: alice
mail: alice@acme.test
mobile: +86 138 0000 0001
employeeNumber: E1
title: CTO

dn: cn=Bob Li,ou=Platform,ou=Engineering,${directory}
objectClass: inetOrgPerson
cn: Bob Li
sn: Li
uid: bob
mail: bob@acme.test
employeeNumber: E2
manager: cn=Alice Wang,ou=Engineering,${directory}

dn: cn=Carol Zhang,ou=Sales,${directory}
objectClass: inetOrgPerson
cn: Carol Zhang
sn: Zhang
uid: carol
manager: cn=Alice Wang,ou=Engineering,${directory}
pwdAccountLockedTime: 000001010000Z

dn: cn=Dave Chen,${directory}
objectClass: inetOrgPerson
cn: Dave Chen
sn: Chen
displayName: David Chen
uid: dave
`;

const settings = (overrides: Partial<LdapSettings> = {}): LdapSettings => ({
  url: slapd.url,
  bindDn: slapdSyncAccount.dn,
  baseDn: slapd.suffix,
  departmentsDn: directory,
  ...overrides,
});
const secrets = { bindPassword: slapdSyncAccount.password };

let connector: ReturnType<typeof createLdapConnector>;
const open: Connector[] = [];
function newConnector(overrides: Partial<LdapSettings> = {}, password = secrets.bindPassword) {
  const c = createLdapConnector(settings(overrides), { bindPassword: password });
  open.push(c);
  return c;
}

async function snapshot(c: Connector = newConnector()): Promise<{ departments: Department[]; users: User[]; pages: number }> {
  const departments: Department[] = [];
  const users: User[] = [];
  let pages = 0;
  for await (const page of c.readSnapshot()) {
    pages++;
    departments.push(...page.departments);
    users.push(...page.users);
  }
  return { departments, users, pages };
}

/** The entry as the rootdn sees it (ldapts, so attribute values come back as arrays of strings). */
async function entry(dn: string, attributes = ['*', '+']): Promise<Record<string, unknown> | undefined> {
  const admin = new Client({ url: slapd.url });
  await admin.bind(slapdAdmin.dn, slapdAdmin.password);
  try {
    const { searchEntries } = await admin.search(dn, { scope: 'base', attributes });
    return searchEntries[0];
  } catch {
    return undefined;
  } finally {
    await admin.unbind();
  }
}

async function dnsUnder(base: string, filter = '(objectClass=*)'): Promise<string[]> {
  return slapd
    .searchLdif(base, filter, ['1.1'])
    .split('\n')
    .filter((l) => l.startsWith('dn: ') || l.startsWith('dn:: '))
    .map((l) => (l.startsWith('dn:: ') ? Buffer.from(l.slice(5), 'base64').toString('utf8') : l.slice(4)));
}

const uuidOf = (dn: string) => /entryUUID: (\S+)/.exec(slapd.searchLdif(dn, '(objectClass=*)', ['entryUUID'], 'base'))![1];
const canBind = (dn: string, password: string) => {
  try {
    execFileSync('ldapwhoami', ['-x', '-H', slapd.url, '-D', dn, '-w', password], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  slapd = await startSlapd({ seedLdif: seed });
  connector = newConnector();
});

afterAll(async () => {
  for (const c of open) await c.close?.();
  await slapd?.stop();
});

describe('upstream', () => {
  it('reads the OU tree as departments and users in pages, with entryUUID ids, OU departments, manager DNs resolved and the ppolicy lock as disabled', async () => {
    const read = await snapshot(newConnector({ pageSize: 2 }));
    const id = (dn: string) => uuidOf(dn);
    const engineering = id(`ou=Engineering,${directory}`);
    expect(read.departments.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { id: engineering, name: 'Engineering', parentId: null, order: 0, leaderIds: [] },
      { id: id(`ou=Platform,ou=Engineering,${directory}`), name: 'Platform', parentId: engineering, order: 0, leaderIds: [] },
      { id: id(`ou=Sales,${directory}`), name: 'Sales', parentId: null, order: 0, leaderIds: [] },
    ]);
    expect(read.pages).toBe(3); // the departments, then 4 users in pages of 2
    const alice = read.users.find((u) => u.username === 'alice')!;
    expect(alice).toEqual({
      id: id(`cn=Alice Wang,ou=Engineering,${directory}`),
      username: 'alice',
      name: 'Alice Wang',
      email: 'alice@acme.test',
      mobile: '+8613800000001',
      employeeNumber: 'E1',
      title: 'CTO',
      departmentIds: [engineering],
      mainDepartmentId: engineering,
      managerId: null,
      status: 'active',
      attributes: {},
    });
    expect(read.users.find((u) => u.username === 'bob')).toMatchObject({ managerId: alice.id, departmentIds: [id(`ou=Platform,ou=Engineering,${directory}`)] });
    expect(read.users.find((u) => u.username === 'carol')).toMatchObject({ status: 'disabled', managerId: alice.id });
    expect(read.users.find((u) => u.username === 'dave')).toMatchObject({ name: 'David Chen', departmentIds: [], mainDepartmentId: null });
  });

  it('keeps ids across a rename and a move made in the directory: they are updates, not delete + create', async () => {
    const before = await snapshot();
    slapd.modify(`dn: ou=Platform,ou=Engineering,${directory}\nchangetype: modrdn\nnewrdn: ou=Infrastructure\ndeleteoldrdn: 1\nnewsuperior: ${directory}\n`);
    const after = await snapshot();
    const platform = before.departments.find((d) => d.name === 'Platform')!;
    expect(after.departments.find((d) => d.id === platform.id)).toEqual({ ...platform, name: 'Infrastructure', parentId: null });
    const bob = before.users.find((u) => u.username === 'bob')!;
    // refint rewrote nothing here (bob's manager did not move), and bob's id is the same under the moved OU.
    expect(after.users.find((u) => u.id === bob.id)).toEqual(bob);
    slapd.modify(`dn: ou=Infrastructure,${directory}\nchangetype: modrdn\nnewrdn: ou=Platform\ndeleteoldrdn: 1\nnewsuperior: ou=Engineering,${directory}\n`);
  });

  it('reads by ids, reporting the ones gone as missing', async () => {
    const aliceId = uuidOf(`cn=Alice Wang,ou=Engineering,${directory}`);
    const bobId = uuidOf(`cn=Bob Li,ou=Platform,ou=Engineering,${directory}`);
    const platformId = uuidOf(`ou=Platform,ou=Engineering,${directory}`);
    const gone = '00000000-0000-1000-8000-000000000000';
    const result = await newConnector().readByIds({ departmentIds: [platformId, gone, 'not-a-uuid'], userIds: [bobId, gone] });
    expect(result.departments).toEqual([{ id: platformId, name: 'Platform', parentId: uuidOf(`ou=Engineering,${directory}`), order: 0, leaderIds: [] }]);
    expect(result.users).toEqual([expect.objectContaining({ id: bobId, username: 'bob', managerId: aliceId })]);
    expect(result.missing).toEqual({ departmentIds: [gone, 'not-a-uuid'], userIds: [gone] });
  });
});

describe('downstream', () => {
  const ids: Record<string, string> = {};

  it('creates nested OUs and users in them with their fields, manager DN and an unlocked account', async () => {
    ids.hq = (await connector.apply({ action: 'CreateDepartment', department: { id: '', name: 'HQ', parentId: null, order: 3, leaderIds: [] } })).externalId!;
    ids.ops = (await connector.apply({ action: 'CreateDepartment', department: { id: '', name: 'Ops', parentId: ids.hq, order: 0, leaderIds: [] } })).externalId!;
    expect(await dnsUnder(`ou=HQ,${directory}`, '(objectClass=organizationalUnit)')).toEqual([`ou=HQ,${directory}`, `ou=Ops,ou=HQ,${directory}`]);
    const base = { email: null, mobile: null, employeeNumber: null, title: null, managerId: null, status: 'active' as const, attributes: {} };
    ids.erin = (await connector.apply({ action: 'CreateUser', user: { ...base, id: '', username: 'erin', name: 'Erin Zhou', email: 'erin@acme.test', mobile: '+8613800000005', employeeNumber: 'E5', title: 'COO', departmentIds: [ids.hq], mainDepartmentId: ids.hq } })).externalId!;
    ids.frank = (await connector.apply({ action: 'CreateUser', user: { ...base, id: '', username: 'frank', name: 'Frank Wu', departmentIds: [ids.ops], mainDepartmentId: null, managerId: ids.erin } })).externalId!;
    expect(ids.erin).toBe(uuidOf(`cn=Erin Zhou,ou=HQ,${directory}`));
    expect(await entry(`cn=Frank Wu,ou=Ops,ou=HQ,${directory}`, ['*'])).toMatchObject({
      objectClass: expect.arrayContaining(['inetOrgPerson']),
      cn: 'Frank Wu',
      sn: 'Wu',
      displayName: 'Frank Wu',
      uid: 'frank',
      manager: `cn=Erin Zhou,ou=HQ,${directory}`,
    });
    const erin = (await snapshot()).users.find((u) => u.id === ids.erin);
    expect(erin).toMatchObject({ username: 'erin', email: 'erin@acme.test', mobile: '+8613800000005', employeeNumber: 'E5', title: 'COO', departmentIds: [ids.hq], status: 'active' });
  });

  it('updates fields, clears an emptied one, and renames (cn is the RDN) with one modify and one modifyDN', async () => {
    const calls = connector.client.calls;
    await connector.apply({ action: 'UpdateUser', id: ids.frank, changes: { name: 'Frank Wu Jr', title: 'SRE', email: 'frank@acme.test' } });
    expect(connector.client.calls - calls).toBe(3); // modify, modifyDN, the search for reports naming the old DN
    await connector.apply({ action: 'UpdateUser', id: ids.frank, changes: { email: null } });
    const frank = await entry(`cn=Frank Wu Jr,ou=Ops,ou=HQ,${directory}`, ['*']);
    expect(frank).toMatchObject({ cn: 'Frank Wu Jr', displayName: 'Frank Wu Jr', sn: 'Jr', title: 'SRE' });
    expect(frank).not.toHaveProperty('mail');
  });

  it('moves an OU with modifyDN: every DN under it follows, later operations find them, and manager DNs follow a moved manager', async () => {
    await connector.apply({ action: 'UpdateUser', id: ids.frank, changes: { managerId: ids.erin } });
    // Ops moves out of HQ to the top, renamed; Erin then moves into it.
    await connector.apply({ action: 'UpdateDepartment', id: ids.ops, changes: { name: 'Operations', parentId: null } });
    expect(await dnsUnder(`ou=Operations,${directory}`)).toEqual([`ou=Operations,${directory}`, `cn=Frank Wu Jr,ou=Operations,${directory}`]);
    await connector.apply({ action: 'UpdateUser', id: ids.erin, changes: { departmentIds: [ids.ops], mainDepartmentId: ids.ops } });
    expect(await entry(`cn=Frank Wu Jr,ou=Operations,${directory}`, ['manager'])).toMatchObject({ manager: `cn=Erin Zhou,ou=Operations,${directory}` });
    // HQ moves under Engineering: nothing under it now, but the cache must still resolve Ops's users by id.
    await connector.apply({ action: 'UpdateDepartment', id: ids.ops, changes: { parentId: ids.hq } });
    await connector.apply({ action: 'UpdateDepartment', id: ids.hq, changes: { parentId: uuidOf(`ou=Engineering,${directory}`) } });
    await connector.apply({ action: 'UpdateUser', id: ids.frank, changes: { title: 'Lead SRE' } });
    expect(await entry(`cn=Frank Wu Jr,ou=Operations,ou=HQ,ou=Engineering,${directory}`, ['title', 'manager'])).toMatchObject({
      title: 'Lead SRE',
      manager: `cn=Erin Zhou,ou=Operations,ou=HQ,ou=Engineering,${directory}`,
    });
    // A fresh connector (a new activity) has no cache: it looks the ids up.
    const reread = await snapshot();
    expect(reread.users.find((u) => u.id === ids.frank)).toMatchObject({ managerId: ids.erin, departmentIds: [ids.ops], title: 'Lead SRE' });
    expect(reread.departments.find((d) => d.id === ids.ops)).toMatchObject({ name: 'Operations', parentId: ids.hq });
  });

  it('refuses to move an OU under itself', async () => {
    const error = await vendorFailure(connector.apply({ action: 'UpdateDepartment', id: ids.hq, changes: { parentId: ids.ops } }));
    expect(error).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_input' });
  });

  it('freezes with a ppolicy lock (binds refused) and unfreezes', async () => {
    const dn = `cn=Frank Wu Jr,ou=Operations,ou=HQ,ou=Engineering,${directory}`;
    slapd.modify(`dn: ${dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: frank-pw\n`);
    expect(canBind(dn, 'frank-pw')).toBe(true);
    await newConnector().apply({ action: 'DisableUser', id: ids.frank });
    expect(await entry(dn, ['pwdAccountLockedTime'])).toMatchObject({ pwdAccountLockedTime: '000001010000Z' });
    expect((await newConnector().readByIds({ departmentIds: [], userIds: [ids.frank] })).users[0].status).toBe('disabled');
    expect(canBind(dn, 'frank-pw')).toBe(false);
    await connector.apply({ action: 'EnableUser', id: ids.frank });
    await connector.apply({ action: 'EnableUser', id: ids.frank }); // twice: no error for a lock already gone
    expect((await entry(dn, ['pwdAccountLockedTime']))?.pwdAccountLockedTime).toEqual([]); // ldapts: a requested attribute the entry lacks
    expect(canBind(dn, 'frank-pw')).toBe(true);
  });

  it('deletes only an empty OU: a non-empty one is refused (66 notAllowedOnNonLeaf)', async () => {
    const error = await vendorFailure(connector.apply({ action: 'DeleteDepartment', id: ids.ops }));
    expect(error).toMatchObject({ kind: 'permanent', vendorCode: '66' });
    await connector.apply({ action: 'DeleteUser', id: ids.frank });
    await connector.apply({ action: 'UpdateUser', id: ids.erin, changes: { departmentIds: [], mainDepartmentId: null } });
    await connector.apply({ action: 'DeleteDepartment', id: ids.ops });
    expect(await dnsUnder(`ou=HQ,ou=Engineering,${directory}`)).toEqual([`ou=HQ,ou=Engineering,${directory}`]);
    expect(await entry(`cn=Erin Zhou,${directory}`, ['cn'])).toBeDefined();
    const gone = await vendorFailure(newConnector().apply({ action: 'DeleteUser', id: ids.frank }));
    expect(gone).toMatchObject({ kind: 'permanent', vendorCode: '32' });
  });
});

describe('DN escaping (RFC 4514) on the real server', () => {
  const names = ['Smith, John', 'R+D', 'say "hi"', 'back\\slash', '<team>', 'a;b', 'a=b', '#1 team', ' leading', 'trailing ', '张伟', '研发部（北京）', 'ends with \\'];

  it.each(names)('an OU and a user named %j are created, read back, renamed and moved', async (name) => {
    const c = newConnector();
    const parent = (await c.apply({ action: 'CreateDepartment', department: { id: '', name: `P ${name}`, parentId: null, order: 0, leaderIds: [] } })).externalId!;
    const ou = (await c.apply({ action: 'CreateDepartment', department: { id: '', name, parentId: parent, order: 0, leaderIds: [] } })).externalId!;
    const other = (await c.apply({ action: 'CreateDepartment', department: { id: '', name: `Q ${name}`, parentId: null, order: 0, leaderIds: [] } })).externalId!;
    const base = { email: null, mobile: null, employeeNumber: null, title: null, managerId: null, status: 'active' as const, attributes: {} };
    const user = (await c.apply({ action: 'CreateUser', user: { ...base, id: '', username: `u${names.indexOf(name)}`, name, departmentIds: [ou], mainDepartmentId: ou } })).externalId!;
    let read = await newConnector().readByIds({ departmentIds: [ou], userIds: [user] });
    expect(read.departments[0]).toMatchObject({ name, parentId: parent });
    expect(read.users[0]).toMatchObject({ name, departmentIds: [ou] });
    // Move the OU (its user follows) with a new name; then move the user by itself.
    await c.apply({ action: 'UpdateDepartment', id: ou, changes: { name: `${name} 2`, parentId: other } });
    await c.apply({ action: 'UpdateUser', id: user, changes: { name: `${name}!`, departmentIds: [parent], mainDepartmentId: parent } });
    read = await newConnector().readByIds({ departmentIds: [ou], userIds: [user] });
    expect(read.departments[0]).toMatchObject({ name: `${name} 2`, parentId: other });
    expect(read.users[0]).toMatchObject({ name: `${name}!`, departmentIds: [parent] });
    await c.apply({ action: 'DeleteUser', id: user });
    for (const id of [ou, parent, other]) await c.apply({ action: 'DeleteDepartment', id });
  });
});

describe('errors and the connection test', () => {
  it('a wrong password is a permanent 49; a server that is not there is transient', async () => {
    expect(await vendorFailure(snapshot(newConnector({}, 'wrong')))).toMatchObject({ kind: 'permanent', vendorCode: '49' });
    const refused = await vendorFailure(snapshot(newConnector({ url: 'ldap://127.0.0.1:1' })));
    expect(refused).toMatchObject({ kind: 'transient', vendorCode: 'connection' });
    expect(refused.message).not.toContain(secrets.bindPassword);
  });

  it('passes for the sync account both ways, fails the write probe for a read-only account, and skips the rest after a refused bind', async () => {
    const down = { direction: 'downstream' as const, realtime: false };
    expect((await testLdapConnection(settings(), secrets, down)).map((c) => [c.name, c.ok])).toEqual([
      ['credentials', true],
      ['read_contacts', true],
      ['write_contacts', true],
    ]);
    expect(await dnsUnder(directory, '(ou=sync-center-probe-*)')).toEqual([]);
    const reader = await testLdapConnection(settings({ bindDn: slapdReader.dn }), { bindPassword: slapdReader.password }, down);
    expect(reader.map((c) => [c.name, c.ok])).toEqual([
      ['credentials', true],
      ['read_contacts', true],
      ['write_contacts', false],
    ]);
    expect(reader[2].detail).toMatch(/^50: /);
    const wrong = await testLdapConnection(settings(), { bindPassword: 'wrong' }, { direction: 'upstream', realtime: false });
    expect(wrong).toEqual([
      { name: 'credentials', ok: false, detail: expect.stringMatching(/^49: bind: invalidCredentials/) },
      { name: 'read_contacts', ok: false, detail: 'not checked: bind refused' },
    ]);
    const missingBase = await testLdapConnection(settings({ departmentsDn: `ou=nowhere,${slapd.suffix}` }), secrets, { direction: 'upstream', realtime: false });
    expect(missingBase[1]).toMatchObject({ name: 'read_contacts', ok: false, detail: expect.stringMatching(/^32: /) });
  });
});
