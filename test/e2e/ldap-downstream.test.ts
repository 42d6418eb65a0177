/**
 * End to end on the real Temporal dev server and PGlite: the hub provisions a real OpenLDAP server
 * (slapd) through the real workflows and activities — onboarding with managers, correlation by the
 * match rules, an OU move that every DN under it follows, renames, a freeze, and a department
 * delete staged until an approver executes it. The tests share one story and run in order.
 */
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { normalizeDn } from '../../connectors/ldap/dn';
import { slapdSyncAccount, startSlapd, type RunningSlapd } from '../support/slapd';
import { E2eStack, seedHubCompany, startE2eSuite, type E2eSuite } from './harness';

jest.setTimeout(60_000);

const directory = 'ou=directory,dc=acme,dc=test';
// An account that predates the sync: the hub's fay (employee number E6) must adopt it, not add a second.
const seed = `dn: ${directory}
objectClass: organizationalUnit
ou: directory

dn: cn=F. Sun,${directory}
objectClass: inetOrgPerson
cn: F. Sun
sn: Sun
uid: fsun
employeeNumber: E6
`;

let suite: E2eSuite<RunningSlapd & { close(): Promise<void> }>;
let database: Database;
let slapd: RunningSlapd;
let stack: E2eStack;
let taskId: string;
let hubIds: Map<string, string>;

const hub = () => createHubDirectory(database.db);

/** Every entry under the directory as LDIF-ish records: dn → attributes (the rootdn's view). */
function entries(filter = '(objectClass=*)', attributes = ['uid', 'manager', 'mail', 'employeeNumber', 'title', 'pwdAccountLockedTime', 'ou']): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const block of slapd.searchLdif(directory, filter, attributes).split('\n\n')) {
    const lines = block.split('\n').filter(Boolean);
    if (lines.length === 0) continue;
    const record: Record<string, string> = {};
    for (const line of lines) {
      const [, name, b64, value] = /^([^:]+):(:?) ?(.*)$/.exec(line)!;
      record[name] = b64 ? Buffer.from(value, 'base64').toString('utf8') : value;
    }
    out.set(record.dn, record);
  }
  return out;
}
// slapd answers DNs in its own spelling (a comma as \2C): compare them normalized.
const keys = (m: Map<string, Record<string, string>>) => [...m.keys()].map(normalizeDn);
const get = (m: Map<string, Record<string, string>>, dn: string) => {
  const found = [...m.entries()].find(([key]) => normalizeDn(key) === normalizeDn(dn))?.[1];
  return found && { ...found, ...(found.manager ? { manager: normalizeDn(found.manager) } : {}) };
};
const userDn = (uid: string) => keys(entries(`(uid=${uid})`))[0];

beforeAll(async () => {
  suite = await startE2eSuite('pglite', async () => {
    const server = await startSlapd({ seedLdif: seed });
    return Object.assign(server, { close: () => server.stop() });
  });
  ({ database, fake: slapd, stack } = suite);
  hubIds = await seedHubCompany(hub());
  const fay = await hub().createUser({ username: 'fay', name: 'Fay Sun', email: 'fay@acme.test', employeeNumber: 'E6', title: 'Engineer', departmentIds: [hubIds.get('Engineering')!], mainDepartmentId: hubIds.get('Engineering')!, managerId: hubIds.get('alice')! }, 'test');
  hubIds.set('fay', fay.id);
  const connector = { kind: 'ldap' as const, settings: { url: slapd.url, bindDn: slapdSyncAccount.dn, baseDn: slapd.suffix, departmentsDn: directory }, secrets: { bindPassword: slapdSyncAccount.password } };
  taskId = await stack.insertTask(stack.downstreamTask('LDAP', connector, { offboarding: 'disable', matchRules: ['employeeNumber', 'email'] }));
}, 120_000);

afterAll(() => suite?.close());

test('onboarding creates the OU tree and each person in their OU as inetOrgPerson, with the manager as a DN; fay adopts her existing entry', async () => {
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0, skipped: 0 } });
  const actions = (await stack.items(run.runId)).map((i) => [i.action, i.displayName]);
  expect(actions.filter(([action]) => action === 'CreateUser')).toHaveLength(5);
  expect(actions).not.toContainEqual(['CreateUser', 'Fay Sun']);
  const all = entries();
  const engineering = `ou=Engineering,ou=Acme,${directory}`;
  expect(keys(all).filter((dn) => dn.startsWith('ou=')).sort()).toEqual([`ou=Acme,${directory}`, engineering, `ou=Sales,ou=Acme,${directory}`, directory].map(normalizeDn).sort());
  expect(get(all, `cn=Bob Li,${engineering}`)).toMatchObject({ uid: 'bob', mail: 'bob@acme.test', employeeNumber: 'E2', title: 'Engineer', manager: normalizeDn(`cn=Alice Wang,${engineering}`) });
  expect(get(all, `cn=Dave Chen,ou=Sales,ou=Acme,${directory}`)).toMatchObject({ manager: normalizeDn(`cn=Carol Zhang,ou=Sales,ou=Acme,${directory}`) });
  // The entry that predates the sync, matched by employee number: renamed (a new RDN), moved and updated, one account.
  expect(keys(entries('(employeeNumber=E6)'))).toEqual([normalizeDn(`cn=Fay Sun,${engineering}`)]);
  expect(get(all, `cn=Fay Sun,${engineering}`)).toMatchObject({ uid: 'fay', mail: 'fay@acme.test', manager: normalizeDn(`cn=Alice Wang,${engineering}`) });
});

test('a second run right after is a no-op (an OU keeps no order or leader, so neither is compared)', async () => {
  await stack.expectNoOpRun(taskId);
});

test('moving and renaming an OU in the hub moves every DN under it, manager DNs included', async () => {
  await hub().updateDepartment(hubIds.get('Sales')!, { parentId: hubIds.get('Engineering')! }, 'test');
  await hub().updateDepartment(hubIds.get('Engineering')!, { name: 'R&D, Platform + Tools' }, 'test');
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  const rd = `ou=R&D\\, Platform \\+ Tools,ou=Acme,${directory}`;
  const all = entries();
  expect(keys(all).sort()).toEqual(
    [
      directory,
      `ou=Acme,${directory}`,
      rd,
      `ou=Sales,${rd}`,
      `cn=Alice Wang,${rd}`,
      `cn=Bob Li,${rd}`,
      `cn=Fay Sun,${rd}`,
      `cn=Carol Zhang,ou=Sales,${rd}`,
      `cn=Dave Chen,ou=Sales,${rd}`,
      `cn=Erin Zhou,ou=Sales,${rd}`,
    ]
      .map(normalizeDn)
      .sort(),
  );
  expect(get(all, `cn=Dave Chen,ou=Sales,${rd}`)).toMatchObject({ manager: normalizeDn(`cn=Carol Zhang,ou=Sales,${rd}`) });
  expect(get(all, `cn=Bob Li,${rd}`)).toMatchObject({ manager: normalizeDn(`cn=Alice Wang,${rd}`) });
  await stack.expectNoOpRun(taskId);
});

test('renaming a manager renames the entry (cn is the RDN); reports follow the new DN', async () => {
  await hub().updateUser(hubIds.get('carol')!, { name: 'Carol Zhang-Wu' }, 'test');
  await hub().updateUser(hubIds.get('bob')!, { departmentIds: [hubIds.get('Sales')!], mainDepartmentId: hubIds.get('Sales')!, title: 'Sales engineer' }, 'test');
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  const sales = `ou=Sales,ou=R&D\\, Platform \\+ Tools,ou=Acme,${directory}`;
  expect(userDn('carol')).toBe(normalizeDn(`cn=Carol Zhang-Wu,${sales}`));
  expect(userDn('bob')).toBe(normalizeDn(`cn=Bob Li,${sales}`));
  expect(get(entries('(uid=dave)'), `cn=Dave Chen,${sales}`)).toMatchObject({ manager: normalizeDn(`cn=Carol Zhang-Wu,${sales}`) });
  await stack.expectNoOpRun(taskId);
});

test('offboarding freezes the account with a ppolicy lock; back in the hub, it is unlocked', async () => {
  await hub().offboard(hubIds.get('erin')!, 'test');
  const run = await stack.run(taskId);
  expect(run).toMatchObject({ status: 'succeeded', counters: { failed: 0 } });
  expect((await stack.items(run.runId)).map((i) => [i.action, i.status])).toEqual([['DisableUser', 'succeeded']]);
  expect([...entries('(uid=erin)').values()][0]).toMatchObject({ pwdAccountLockedTime: '000001010000Z' });
  await stack.expectNoOpRun(taskId);
  await hub().updateUser(hubIds.get('erin')!, { status: 'active' }, 'test');
  expect((await stack.run(taskId)).status).toBe('succeeded');
  expect([...entries('(uid=erin)').values()][0]).not.toHaveProperty('pwdAccountLockedTime');
  await stack.expectNoOpRun(taskId);
});

test('a department deleted in the hub is staged; the OU goes only once an approver executes it', async () => {
  const temp = await hub().createDepartment({ name: 'Temp', parentId: hubIds.get('Acme')! }, 'test');
  expect((await stack.run(taskId)).status).toBe('succeeded');
  expect(entries('(ou=Temp)').size).toBe(1);
  await hub().deleteDepartment(temp.id, 'test');
  const taskQueue = stack.newTaskQueue();
  const run = await stack.run(taskId, {}, taskQueue);
  expect(run).toMatchObject({ status: 'succeeded', pendingDeletions: 1 });
  const [pending] = await stack.pendingDeletionsOf(run.runId);
  expect(pending).toMatchObject({ action: 'DeleteDepartment', status: 'PENDING' });
  expect(entries('(ou=Temp)').size).toBe(1);
  const result = await stack.decideDeletions(taskQueue, run.approvalWorkflowId!, { execute: [pending.id] });
  expect(result).toMatchObject({ succeeded: 1, failed: 0 });
  expect(entries('(ou=Temp)').size).toBe(0);
  await stack.expectNoOpRun(taskId);
});
