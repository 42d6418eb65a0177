/**
 * End to end on the real Temporal dev server and Postgres: a real OpenLDAP server (slapd) is the
 * identity source. A full read fills the hub (the OU tree as departments, managers from their DNs,
 * a ppolicy-locked account as disabled), and the hub provisions a WeCom fake. Renames and moves made
 * in LDAP keep their entryUUID, so they reach WeCom as updates. The tests share one story and run in order.
 */
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { slapdSyncAccount, startSlapd, type RunningSlapd } from '../support/slapd';
import { E2eStack, startE2eSuite, wecomDirectory, type E2eSuite } from './harness';

jest.setTimeout(60_000);

const directory = 'ou=directory,dc=acme,dc=test';
const person = (cn: string, ou: string, uid: string, extra: string) =>
  `dn: cn=${cn},${ou}${directory}\nobjectClass: inetOrgPerson\ncn: ${cn}\nsn: ${cn.split(' ').pop()}\nuid: ${uid}\nmail: ${uid}@acme.test\n${extra}`;
const seed = [
  `dn: ${directory}\nobjectClass: organizationalUnit\nou: directory`,
  `dn: ou=Engineering,${directory}\nobjectClass: organizationalUnit\nou: Engineering`,
  `dn: ou=Sales,${directory}\nobjectClass: organizationalUnit\nou: Sales`,
  person('Alice Wang', 'ou=Engineering,', 'alice', 'mobile: +86 138 0000 0001\ntitle: CTO\nemployeeNumber: E1'),
  person('Bob Li', 'ou=Engineering,', 'bob', `mobile: 13800000002\ntitle: Engineer\nemployeeNumber: E2\nmanager: cn=Alice Wang,ou=Engineering,${directory}`),
  person('Carol Zhang', 'ou=Sales,', 'carol', `mobile: 13800000003\ntitle: Sales lead\nmanager: cn=Alice Wang,ou=Engineering,${directory}`),
  person('Dave Chen', 'ou=Sales,', 'dave', `mobile: 13800000004\nmanager: cn=Carol Zhang,ou=Sales,${directory}`),
  person('Erin Zhou', 'ou=Sales,', 'erin', `mobile: 13800000005\nmanager: cn=Carol Zhang,ou=Sales,${directory}`),
  person('Gus Liu', 'ou=Engineering,', 'gus', `mobile: 13800000007\nmanager: cn=Alice Wang,ou=Engineering,${directory}`),
  person('Hal Ma', 'ou=Engineering,', 'hal', `mobile: 13800000008\nmanager: cn=Alice Wang,ou=Engineering,${directory}\npwdAccountLockedTime: 000001010000Z`),
].join('\n\n') + '\n';

interface WecomMember {
  userid: string;
  name: string;
  position?: string;
  mobile?: string;
  department: number[];
  direct_leader?: string[];
  enable?: number;
}

let suite: E2eSuite<RunningWecomFake>;
let database: Database;
let wecom: RunningWecomFake;
let slapd: RunningSlapd;
let stack: E2eStack;
let upstreamId: string;
let downstreamId: string;

const hub = () => createHubDirectory(database.db);
const members = async () => ((await wecomDirectory(wecom)) as unknown as { userlist: WecomMember[] }).userlist;
const member = async (userid: string) => (await members()).find((m) => m.userid === userid);
const wecomDepartment = async (name: string) => (await wecomDirectory(wecom)).department.find((d) => d.name === name);

async function syncAll() {
  const up = await stack.run(upstreamId);
  const down = await stack.run(downstreamId);
  expect([up.status, down.status]).toEqual(['succeeded', 'succeeded']);
  return { up, down };
}

beforeAll(async () => {
  suite = await startE2eSuite('postgres', E2eStack.startWecom);
  ({ database, fake: wecom, stack } = suite);
  slapd = await startSlapd({ seedLdif: seed });
  upstreamId = await stack.insertTask({
    name: 'LDAP to hub',
    direction: 'upstream',
    connector: { kind: 'ldap', settings: { url: slapd.url, bindDn: slapdSyncAccount.dn, baseDn: slapd.suffix, departmentsDn: directory, pageSize: 3 }, secrets: { bindPassword: slapdSyncAccount.password } },
  });
  downstreamId = await stack.insertTask(stack.wecomTask(wecom, { offboarding: 'disable' }));
}, 120_000);

afterAll(async () => {
  await slapd?.stop();
  await suite?.close();
});

test('a full read fills the hub from the OU tree (managers from DNs; the locked account, disabled, is not onboarded), and WeCom follows', async () => {
  const { up } = await syncAll();
  expect(up.counters).toMatchObject({ failed: 0 });
  expect((await hub().listAllDepartments()).map((d) => [d.name, d.parentId]).sort()).toEqual([
    ['Engineering', null],
    ['Sales', null],
  ]);
  const users = await hub().listUsersPage(null, 100);
  const byName = new Map(users.map((u) => [u.username, u]));
  // hal is locked (ppolicy): read as disabled, and a disabled person without an account gets none, in the hub as in WeCom.
  expect(users.map((u) => u.username).sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'gus']);
  expect(byName.get('bob')).toMatchObject({ mobile: '+8613800000002', title: 'Engineer', employeeNumber: 'E2', managerId: byName.get('alice')!.id, status: 'active' });

  const engineering = (await wecomDepartment('Engineering'))!.id;
  expect(await member('bob')).toMatchObject({ name: 'Bob Li', position: 'Engineer', department: [engineering], direct_leader: ['alice'], mobile: '13800000002' });
  expect(await member('dave')).toMatchObject({ department: [(await wecomDepartment('Sales'))!.id], direct_leader: ['carol'] });
  expect(await member('hal')).toBeUndefined();
});

test('a second run of either task is a no-op', async () => {
  await stack.expectNoOpRun(upstreamId);
  await stack.expectNoOpRun(downstreamId);
});

test('an OU renamed and moved, and a person moved and renamed in LDAP, are updates in the hub and in WeCom (same ids)', async () => {
  const hubBefore = await hub().listUsersPage(null, 100);
  const salesBefore = (await wecomDepartment('Sales'))!;
  slapd.modify(`dn: ou=Sales,${directory}\nchangetype: modrdn\nnewrdn: ou=Sales & Marketing\ndeleteoldrdn: 1\nnewsuperior: ou=Engineering,${directory}\n`);
  slapd.modify(`dn: cn=Gus Liu,ou=Engineering,${directory}\nchangetype: modrdn\nnewrdn: cn=Gus Liu-Ma\ndeleteoldrdn: 1\nnewsuperior: ou=Sales & Marketing,ou=Engineering,${directory}\n`);
  slapd.modify(`dn: cn=Gus Liu-Ma,ou=Sales & Marketing,ou=Engineering,${directory}\nchangetype: modify\nreplace: title\ntitle: Solutions engineer\n`);
  const { up, down } = await syncAll();
  expect(up.counters).toMatchObject({ failed: 0 });
  const upActions = (await stack.items(up.runId)).map((i) => i.action);
  expect(upActions).not.toContain('CreateUser');
  expect(upActions).not.toContain('DeleteUser');
  expect(upActions).not.toContain('CreateDepartment');
  const hubAfter = await hub().listUsersPage(null, 100);
  expect(hubAfter.map((u) => u.id).sort()).toEqual(hubBefore.map((u) => u.id).sort());

  const sales = (await wecomDepartment('Sales & Marketing'))!;
  expect(sales).toMatchObject({ id: salesBefore.id, parentid: (await wecomDepartment('Engineering'))!.id });
  expect(await member('gus')).toMatchObject({ name: 'Gus Liu-Ma', position: 'Solutions engineer', department: [sales.id] });
  // The managers' DNs changed with the move (slapd's refint rewrote them): still the same managers.
  expect(await member('dave')).toMatchObject({ direct_leader: ['carol'], department: [sales.id] });
  expect((await stack.items(down.runId)).map((i) => i.action)).not.toContain('CreateUser');
  await stack.expectNoOpRun(upstreamId);
  await stack.expectNoOpRun(downstreamId);
});

test('a ppolicy lock in LDAP disables the person in the hub and freezes them in WeCom', async () => {
  slapd.modify(`dn: cn=Erin Zhou,ou=Sales & Marketing,ou=Engineering,${directory}\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`);
  await syncAll();
  expect((await hub().listUsersPage(null, 100)).find((u) => u.username === 'erin')).toMatchObject({ status: 'disabled' });
  expect(await member('erin')).toMatchObject({ enable: 0 });
  await stack.expectNoOpRun(upstreamId);
  await stack.expectNoOpRun(downstreamId);
});
