/**
 * End to end on the real Temporal dev server and Postgres: a real OpenLDAP server (slapd) is the
 * identity source. A full read fills the hub (the OU tree as departments, managers from their DNs,
 * a ppolicy-locked account as disabled), and the hub provisions a WeCom fake. Renames and moves made
 * in LDAP keep their entryUUID, so they reach WeCom as updates. Then the task reads incrementally:
 * scheduled runs read only what changed by modifyTimestamp, never offboard the absent, and the
 * periodic full run catches a deletion. The tests share one story and run in order.
 */
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import type { Database } from '../../db/client';
import { eq } from 'drizzle-orm';
import { connectorCatalog } from '../../connectors/definitions';
import { VendorError } from '../../connectors/errors';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { getReadWatermark } from '../../db/repos/read-watermarks';
import { loadSnapshot } from '../../db/repos/sync-runs';
import { syncTasks, taskReadWatermarks } from '../../db/schema';
import { parseTaskConfig, splitSecrets, withSecrets, type PublicTaskConfig } from '../../engine/task-config';
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

describe('incremental reads (modifyTimestamp) on scheduled runs', () => {
  const usernames = (users: { username: string }[]) => users.map((u) => u.username).sort();
  const hubUser = async (username: string) => (await hub().listUsersPage(null, 100)).find((u) => u.username === username);
  const watermark = async () => (await getReadWatermark(database.db, upstreamId))!;
  const scheduled = () => stack.run(upstreamId, { trigger: 'schedule' });
  /** The LDAP users whose modifyTimestamp is the watermark's second: an incremental read lists them again (≥), harmless. */
  const boundary = (mark: string) => [...slapd.searchLdif(directory, `(&(objectClass=inetOrgPerson)(modifyTimestamp=${mark}))`, ['uid']).matchAll(/^uid: (\S+)$/gm)].map((m) => m[1]);
  const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1050 - (Date.now() % 1000)));

  test('the task is saved with incremental reads; its first scheduled run reads everything and stores a watermark', async () => {
    const [row] = await database.db.select().from(syncTasks).where(eq(syncTasks.id, upstreamId));
    const body = withSecrets(row.config as PublicTaskConfig, { bindPassword: slapdSyncAccount.password });
    const { publicConfig } = splitSecrets(
      parseTaskConfig({ ...body, triggers: { manual: true, realtime: false, schedule: { every: '2h' } }, incremental: { enabled: true } }, { kinds: connectorCatalog }),
    );
    expect(publicConfig.incremental).toEqual({ enabled: true, fullRunEveryHours: 24 });
    await database.db.update(syncTasks).set({ config: publicConfig }).where(eq(syncTasks.id, upstreamId));

    const up = await scheduled();
    expect(up).toMatchObject({ status: 'succeeded', plan: { actions: 0 }, read: { kind: 'full', reason: expect.stringContaining('no watermark yet') } });
    expect(await watermark()).toMatchObject({ runId: up.runId, watermark: expect.stringMatching(/^\d{14}Z$/) });
  });

  test('a new user, a rename, a move, a manager change and a lock reach the hub and WeCom through a scheduled run that read only them', async () => {
    const before = await watermark();
    await nextSecond();
    const sales = `ou=Sales & Marketing,ou=Engineering,${directory}`;
    slapd.modify(`${person('Ivy Sun', 'ou=Engineering,', 'ivy', `mobile: 13800000009\nmanager: cn=Alice Wang,ou=Engineering,${directory}`)}\n`);
    slapd.modify(`dn: cn=Bob Li,ou=Engineering,${directory}\nchangetype: modrdn\nnewrdn: cn=Bob Lee\ndeleteoldrdn: 1\n`);
    slapd.modify(`dn: cn=Gus Liu-Ma,${sales}\nchangetype: modrdn\nnewrdn: cn=Gus Liu-Ma\ndeleteoldrdn: 1\nnewsuperior: ou=Engineering,${directory}\n`);
    slapd.modify(`dn: cn=Dave Chen,${sales}\nchangetype: modify\nreplace: manager\nmanager: cn=Alice Wang,ou=Engineering,${directory}\n`);
    slapd.modify(`dn: cn=Carol Zhang,${sales}\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`);

    const up = await scheduled();
    const changed = ['bob', 'carol', 'dave', 'gus', 'ivy'];
    const relisted = boundary(before.watermark).filter((uid) => !changed.includes(uid));
    expect(up).toMatchObject({ status: 'succeeded', read: { kind: 'incremental', changed: changed.length + relisted.length } });
    // Read: the changed entries and the manager they point at (alice), not the rest of the directory (hal, erin unless re-listed).
    const source = await loadSnapshot(database.db, up.runId, 'source');
    expect(usernames(source.users)).toEqual([...new Set([...changed, ...relisted, 'alice'])].sort());
    expect(source.departments.map((d) => d.name).sort()).toEqual(['Engineering', 'Sales & Marketing']);
    const actions = (await stack.items(up.runId)).map((i) => `${i.action}:${i.displayName}`).sort();
    expect(actions).toEqual(expect.arrayContaining(['CreateUser:Ivy Sun', 'DisableUser:Carol Zhang']));
    expect(actions.filter((a) => /Delete|Disable/.test(a))).toEqual(['DisableUser:Carol Zhang']);
    const mark = await watermark();
    expect(mark.watermark > before.watermark).toBe(true);
    expect(mark.fullReadAt).toEqual(before.fullReadAt);

    const alice = (await hubUser('alice'))!;
    expect(await hubUser('ivy')).toMatchObject({ name: 'Ivy Sun', managerId: alice.id, status: 'active' });
    expect(await hubUser('bob')).toMatchObject({ name: 'Bob Lee' });
    expect(await hubUser('dave')).toMatchObject({ managerId: alice.id });
    expect(await hubUser('carol')).toMatchObject({ status: 'disabled' });
    const engineering = (await wecomDepartment('Engineering'))!.id;
    expect((await hubUser('gus'))!.departmentIds).toEqual([(await hub().listAllDepartments()).find((d) => d.name === 'Engineering')!.id]);

    const down = await stack.run(downstreamId);
    expect(down.status).toBe('succeeded');
    expect(await member('ivy')).toMatchObject({ name: 'Ivy Sun', department: [engineering], direct_leader: ['alice'] });
    expect(await member('bob')).toMatchObject({ name: 'Bob Lee' });
    expect(await member('gus')).toMatchObject({ department: [engineering] });
    expect(await member('dave')).toMatchObject({ direct_leader: ['alice'] });
    expect(await member('carol')).toMatchObject({ enable: 0 });
    // A full read by hand finds nothing the incremental run missed.
    await stack.expectNoOpRun(upstreamId);
  });

  test('a failed incremental run leaves the watermark where it was; the next scheduled run reads the same window again', async () => {
    await nextSecond();
    slapd.modify(`dn: cn=Alice Wang,ou=Engineering,${directory}\nchangetype: modify\nreplace: title\ntitle: CEO\n`);
    const before = await watermark();
    stack.hooks.beforeReadByIds = () => {
      throw new VendorError('permanent', '52', 'search: unavailable (test)');
    };
    try {
      const failed = await scheduled().catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(Error);
    } finally {
      stack.hooks.beforeReadByIds = undefined;
    }
    expect(await watermark()).toEqual(before);
    expect((await hubUser('alice'))!.title).toBe('CTO');

    const up = await scheduled();
    expect(up).toMatchObject({ status: 'succeeded', read: { kind: 'incremental' } });
    expect(await stack.runRow(up.runId)).toMatchObject({ read: expect.objectContaining({ since: before.watermark }) });
    expect((await hubUser('alice'))!.title).toBe('CEO');
    expect((await watermark()).watermark > before.watermark).toBe(true);
  });

  test('a person deleted in LDAP is not offboarded by an incremental run, only by the periodic full run', async () => {
    await nextSecond();
    slapd.modify(`dn: cn=Dave Chen,ou=Sales & Marketing,ou=Engineering,${directory}\nchangetype: delete\n`);
    const incremental = await scheduled();
    expect(incremental).toMatchObject({ status: 'succeeded', read: { kind: 'incremental' }, plan: { actions: 0 } });
    expect(await hubUser('dave')).toMatchObject({ status: 'active' });

    // fullRunEveryHours (24) has passed since the last full read.
    await database.db.update(taskReadWatermarks).set({ fullReadAt: new Date(Date.now() - 25 * 3_600_000) }).where(eq(taskReadWatermarks.taskId, upstreamId));
    const full = await scheduled();
    expect(full).toMatchObject({ status: 'succeeded', read: { kind: 'full', reason: 'full run due (every 24 h)' } });
    expect((await stack.items(full.runId)).map((i) => `${i.action}:${i.displayName}`)).toEqual(['DisableUser:Dave Chen']);
    expect(await hubUser('dave')).toMatchObject({ status: 'disabled' });
    expect((await watermark()).fullReadAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    await stack.run(downstreamId);
    expect(await member('dave')).toMatchObject({ enable: 0 });
  });
});
