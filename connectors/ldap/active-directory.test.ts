// The active-directory profile against slapd with the AD-like schema (test/support/slapd-ad-schema.ts):
// attribute mapping (sAMAccountName, userPrincipalName, employeeID), objectGUID ids and the
// userAccountControl logic. slapd is not AD: what that leaves untested is in ./README.md.
import { Client } from 'ldapts';
import type { User } from '../../engine/model';
import { vendorFailure } from '../shared/test-helpers';
import { slapdAdmin, slapdSyncAccount, startSlapd, type RunningSlapd } from '../../test/support/slapd';
import { createLdapConnector, upnSuffixOf, type LdapSettings } from './index';
import { guidToBytes, guidToString } from './profile';

let slapd: RunningSlapd;
const corp = 'ou=Corp,dc=acme,dc=test';
// AD writes a GUID with its first three groups little-endian: these bytes are 00112233-4455-6677-8899-aabbccddeeff.
const aliceGuid = '33221100-5544-7766-8899-aabbccddeeff';
const aliceBytes = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const bobGuid = '01020304-0506-0708-090a-0b0c0d0e0f10';

const seed = `dn: ${corp}
objectClass: organizationalUnit
ou: Corp

dn: ou=IT,${corp}
objectClass: organizationalUnit
objectClass: adObject
ou: IT
objectGUID:: ${Buffer.from('ffeeddccbbaa99887766554433221100', 'hex').toString('base64')}

dn: cn=Alice Wang,ou=IT,${corp}
objectClass: user
cn: Alice Wang
sn: Wang
displayName: Alice Wang
sAMAccountName: alice
userPrincipalName: alice@acme.test
employeeID: E1
mail: alice@acme.test
title: CTO
department: IT
userAccountControl: 512
objectGUID:: ${aliceBytes.toString('base64')}

dn: cn=Bob Li,ou=IT,${corp}
objectClass: user
cn: Bob Li
sn: Li
sAMAccountName: bob
employeeID: E2
manager: cn=Alice Wang,ou=IT,${corp}
userAccountControl: 66050
objectGUID:: ${guidToBytes(bobGuid)!.toString('base64')}
`;

const settings = (overrides: Partial<LdapSettings> = {}): LdapSettings => ({
  url: slapd.url,
  profile: 'active-directory',
  bindDn: slapdSyncAccount.dn,
  baseDn: slapd.suffix,
  departmentsDn: corp,
  ...overrides,
});
const secrets = { bindPassword: slapdSyncAccount.password };

async function entry(dn: string): Promise<Record<string, unknown>> {
  const admin = new Client({ url: slapd.url });
  await admin.bind(slapdAdmin.dn, slapdAdmin.password);
  try {
    return (await admin.search(dn, { scope: 'base', attributes: ['*'] })).searchEntries[0];
  } finally {
    await admin.unbind();
  }
}

beforeAll(async () => {
  slapd = await startSlapd({ adSchema: true, seedLdif: seed });
});
afterAll(() => slapd?.stop());

it('writes and reads objectGUID in AD\'s byte order', () => {
  expect(guidToString(aliceBytes)).toBe(aliceGuid);
  expect(guidToBytes(aliceGuid)).toEqual(aliceBytes);
  expect(guidToBytes('not-a-guid')).toBeNull();
  expect(upnSuffixOf('DC=corp,DC=acme,DC=test')).toBe('corp.acme.test');
});

it('reads users with objectGUID ids, sAMAccountName, employeeID, and bit 2 of userAccountControl as disabled', async () => {
  const connector = createLdapConnector(settings(), secrets);
  const users: User[] = [];
  const departments = [];
  for await (const page of connector.readSnapshot()) {
    users.push(...page.users);
    departments.push(...page.departments);
  }
  await connector.close();
  expect(departments).toEqual([{ id: 'ccddeeff-aabb-8899-7766-554433221100', name: 'IT', parentId: null, order: 0, leaderIds: [] }]);
  const it = departments[0].id;
  expect(users.sort((a, b) => a.username.localeCompare(b.username))).toEqual([
    { id: aliceGuid, username: 'alice', name: 'Alice Wang', email: 'alice@acme.test', mobile: null, employeeNumber: 'E1', title: 'CTO', departmentIds: [it], mainDepartmentId: it, managerId: null, status: 'active', attributes: {} },
    // 66050 = 0x10202: NORMAL_ACCOUNT | ACCOUNTDISABLE | DONT_EXPIRE_PASSWORD
    { id: bobGuid, username: 'bob', name: 'Bob Li', email: null, mobile: null, employeeNumber: 'E2', title: null, departmentIds: [it], mainDepartmentId: it, managerId: aliceGuid, status: 'disabled', attributes: {} },
  ]);
  const byId = await createLdapConnector(settings(), secrets).readByIds({ departmentIds: [], userIds: [bobGuid, 'not-a-guid', '00000000-0000-0000-0000-000000000000'] });
  expect(byId.users.map((u) => u.username)).toEqual(['bob']);
  expect(byId.missing.userIds).toEqual(['not-a-guid', '00000000-0000-0000-0000-000000000000']);
});

it('freezes and unfreezes by bit 2 only, keeping the other userAccountControl flags', async () => {
  const connector = createLdapConnector(settings(), secrets);
  await connector.apply({ action: 'EnableUser', id: bobGuid });
  expect(await entry(`cn=Bob Li,ou=IT,${corp}`)).toMatchObject({ userAccountControl: '66048' });
  await connector.apply({ action: 'DisableUser', id: aliceGuid });
  expect(await entry(`cn=Alice Wang,ou=IT,${corp}`)).toMatchObject({ userAccountControl: '514' });
  await connector.apply({ action: 'EnableUser', id: aliceGuid });
  expect(await entry(`cn=Alice Wang,ou=IT,${corp}`)).toMatchObject({ userAccountControl: '512' });
  await connector.close();
});

// slapd generates no objectGUID (AD does), so accounts created here are read back by entryUUID.
it('creates a user (objectClass user, sAMAccountName, userPrincipalName, employeeID, 512) and updates the AD attributes', async () => {
  const connector = createLdapConnector(settings({ idAttribute: 'entryUUID', upnSuffix: 'corp.acme.test' }), secrets);
  const itOu = (await connector.apply({ action: 'CreateDepartment', department: { id: '', name: '研发', parentId: null, order: 0, leaderIds: [] } })).externalId!;
  const base = { mobile: null, title: null, managerId: null, status: 'active' as const, attributes: {}, mainDepartmentId: null };
  const { externalId } = await connector.apply({
    action: 'CreateUser',
    user: { ...base, id: '', username: 'zhang.wei', name: '张伟', email: 'zhang.wei@acme.test', employeeNumber: 'E9', title: 'Engineer', departmentIds: [itOu] },
  });
  const dn = `cn=张伟,ou=研发,${corp}`;
  expect(await entry(dn)).toMatchObject({
    objectClass: ['top', 'person', 'organizationalPerson', 'user'],
    cn: '张伟',
    sn: '张伟',
    displayName: '张伟',
    sAMAccountName: 'zhang.wei',
    userPrincipalName: 'zhang.wei@corp.acme.test',
    employeeID: 'E9',
    mail: 'zhang.wei@acme.test',
    title: 'Engineer',
    userAccountControl: '512',
  });
  await connector.apply({ action: 'UpdateUser', id: externalId!, changes: { username: 'wei.zhang', employeeNumber: 'E10' } });
  expect(await entry(dn)).toMatchObject({ sAMAccountName: 'wei.zhang', userPrincipalName: 'wei.zhang@corp.acme.test', employeeID: 'E10' });
  await connector.apply({ action: 'DisableUser', id: externalId! });
  expect(await entry(dn)).toMatchObject({ userAccountControl: '514' });
  await connector.close();
});

it('refuses a sAMAccountName longer than 20 characters or holding a character AD forbids, before calling the server', async () => {
  const connector = createLdapConnector(settings({ idAttribute: 'entryUUID' }), secrets);
  const user = { id: '', name: 'Long Name', email: null, mobile: null, employeeNumber: null, title: null, departmentIds: [], mainDepartmentId: null, managerId: null, status: 'active' as const, attributes: {} };
  const calls = connector.client.calls;
  expect(await vendorFailure(connector.apply({ action: 'CreateUser', user: { ...user, username: 'a-very-long-user-name-x' } }))).toMatchObject({ kind: 'permanent', vendorCode: 'invalid_input', vendorMessage: expect.stringContaining('at most 20') });
  expect(await vendorFailure(connector.apply({ action: 'CreateUser', user: { ...user, username: 'dom\\user' } }))).toMatchObject({ vendorCode: 'invalid_input' });
  expect(connector.client.calls).toBe(calls);
  await connector.close();
});

// slapd keeps no uSNChanged: each write below sets it as the domain controller would (its next USN).
it('lists the users and OUs changed at or after a uSNChanged watermark (computers and entries without one are not), the highest USN as the next one', async () => {
  const usn = (dn: string, value: number) => slapd.modify(`dn: ${dn}\nchangetype: modify\nreplace: uSNChanged\nuSNChanged: ${value}\n`);
  // Users, none with a uSNChanged the bind DN can read: no watermark rather than one no filter would ever pass.
  const unreadable = createLdapConnector(settings(), secrets);
  expect(await vendorFailure(unreadable.changeWatermark!())).toMatchObject({ kind: 'permanent', vendorCode: 'no_change_attribute', vendorMessage: expect.stringMatching(/^uSNChanged: /) });
  await unreadable.close();
  const itDn = `ou=IT,${corp}`;
  usn(itDn, 90);
  usn(`cn=Alice Wang,ou=IT,${corp}`, 99);
  usn(`cn=Bob Li,ou=IT,${corp}`, 100);
  const connector = createLdapConnector(settings(), secrets);
  // 99 < 100 as numbers, not as text.
  const watermark = await connector.changeWatermark!();
  expect(watermark).toBe('100');

  slapd.modify(`dn: cn=Alice Wang,ou=IT,${corp}\nchangetype: modify\nreplace: title\ntitle: CEO\n-\nreplace: uSNChanged\nuSNChanged: 1001\n`);
  slapd.modify(`dn: cn=WS-01,ou=IT,${corp}\nchangetype: add\nobjectClass: computer\ncn: WS-01\nsn: WS-01\nsAMAccountName: WS-01$\nuSNChanged: 1002\n`);
  const searches: string[] = [];
  const original = connector.client.searchPages.bind(connector.client);
  connector.client.searchPages = (base, options) => {
    searches.push(String(options.filter));
    return original(base, options);
  };
  const changes = await connector.readChangesSince!(watermark);
  // Bob at 100 is the watermark's own USN: listed again (≥), harmless.
  expect(changes).toEqual({ changedIds: expect.arrayContaining([aliceGuid, bobGuid]), watermark: '1001' });
  expect(changes.changedIds).toHaveLength(2);
  expect(searches).toContain('(&(&(objectClass=user)(!(objectClass=computer)))(uSNChanged>=100))');
  expect(searches).toContain('(&(objectClass=organizationalUnit)(uSNChanged>=100))');
  expect((await connector.readChangesSince!('1001')).changedIds).toEqual([aliceGuid]);
  expect(await vendorFailure(connector.readChangesSince!('100)(uSNChanged=*'))).toMatchObject({ vendorCode: 'invalid_input', vendorMessage: expect.stringContaining('watermark: not a uSNChanged value') });
  await connector.close();
});
