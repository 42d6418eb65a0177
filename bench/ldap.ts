// LDAP throughput against a real slapd (test/support/slapd.ts): a full upstream read of N users in
// N/100 OUs (seeded offline with slapadd), and a downstream write of the same directory into an
// empty slapd through the connector's apply(), sequentially and with calls in flight as the apply
// activity issues them. Reports entries/s and LDAP calls per entity (the connector counts each
// bind, search page, add, modify, modifyDN and delete).
import { performance } from 'node:perf_hooks';
import { createLdapConnector } from '../connectors/ldap';
import type { Department, User } from '../engine/model';
import { slapdSyncAccount, startSlapd, type RunningSlapd } from '../test/support/slapd';
import { describeMachine, machineInfo, positiveInt, table } from './report';

const directory = 'ou=directory,dc=acme,dc=test';

interface Company {
  departments: string[];
  users: { cn: string; uid: string; department: number; manager: number | null }[];
}

function company(users: number): Company {
  const departments = Array.from({ length: Math.max(1, Math.round(users / 100)) }, (_, i) => `Team ${i + 1}`);
  return {
    departments,
    users: Array.from({ length: users }, (_, i) => {
      const department = i % departments.length;
      // The first person of each team leads it; the others report to them.
      return { cn: `Person ${i + 1}`, uid: `user${i + 1}`, department, manager: i < departments.length ? null : department };
    }),
  };
}

function seedLdif(c: Company): string {
  const ou = (d: number) => `ou=${c.departments[d]},${directory}`;
  const out = [`dn: ${directory}\nobjectClass: organizationalUnit\nou: directory`];
  for (const d of c.departments) out.push(`dn: ou=${d},${directory}\nobjectClass: organizationalUnit\nou: ${d}`);
  for (const u of c.users) {
    const manager = u.manager === null ? '' : `\nmanager: cn=${c.users[u.manager].cn},${ou(c.users[u.manager].department)}`;
    out.push(`dn: cn=${u.cn},${ou(u.department)}\nobjectClass: inetOrgPerson\ncn: ${u.cn}\nsn: ${u.cn.split(' ')[1]}\nuid: ${u.uid}\nmail: ${u.uid}@acme.test\nemployeeNumber: E${u.uid.slice(4)}\ntitle: Engineer${manager}`);
  }
  return out.join('\n\n') + '\n';
}

const settings = (slapd: RunningSlapd, pageSize: number) => ({ url: slapd.url, bindDn: slapdSyncAccount.dn, baseDn: slapd.suffix, departmentsDn: directory, pageSize });

async function benchRead(c: Company, pageSize: number): Promise<(string | number)[]> {
  const seeded = performance.now();
  const slapd = await startSlapd({ seedLdif: seedLdif(c) });
  const seedMs = performance.now() - seeded;
  try {
    const connector = createLdapConnector(settings(slapd, pageSize), { bindPassword: slapdSyncAccount.password });
    const started = performance.now();
    let users = 0;
    let departments = 0;
    let managers = 0;
    for await (const page of connector.readSnapshot()) {
      users += page.users.length;
      departments += page.departments.length;
      managers += page.users.filter((u) => u.managerId !== null).length;
    }
    const ms = performance.now() - started;
    await connector.close();
    if (users !== c.users.length || departments !== c.departments.length || managers !== c.users.length - c.departments.length) {
      throw new Error(`read ${users} users, ${departments} departments, ${managers} managers`);
    }
    const entities = users + departments;
    return [`read, page size ${pageSize}`, entities, (ms / 1000).toFixed(2), Math.round(entities / (ms / 1000)), connector.client.calls, (connector.client.calls / entities).toFixed(3), `slapadd + start ${(seedMs / 1000).toFixed(1)} s`];
  } finally {
    await slapd.stop();
  }
}

/** What the apply activity does: departments top-down, then users managers first, `concurrency` calls in flight. */
async function benchWrite(c: Company, concurrency: number): Promise<(string | number)[]> {
  const slapd = await startSlapd({ seedLdif: `dn: ${directory}\nobjectClass: organizationalUnit\nou: directory\n` });
  try {
    const connector = createLdapConnector(settings(slapd, 500), { bindPassword: slapdSyncAccount.password });
    const started = performance.now();
    const departmentIds: string[] = [];
    await inParallel(c.departments, concurrency, async (name, i) => {
      const department: Department = { id: '', name, parentId: null, order: 0, leaderIds: [] };
      departmentIds[i] = (await connector.apply({ action: 'CreateDepartment', department })).externalId!;
    });
    const userIds: string[] = [];
    const create = async (u: Company['users'][number], i: number) => {
      const user: User = {
        id: '', username: u.uid, name: u.cn, email: `${u.uid}@acme.test`, mobile: null, employeeNumber: `E${u.uid.slice(4)}`, title: 'Engineer',
        departmentIds: [departmentIds[u.department]], mainDepartmentId: departmentIds[u.department], managerId: u.manager === null ? null : userIds[u.manager], status: 'active', attributes: {},
      };
      userIds[i] = (await connector.apply({ action: 'CreateUser', user })).externalId!;
    };
    const leads = c.users.slice(0, c.departments.length);
    await inParallel(leads, concurrency, create);
    await inParallel(c.users.slice(c.departments.length), concurrency, (u, i) => create(u, i + leads.length));
    const ms = performance.now() - started;
    const calls = connector.client.calls;
    await connector.close();
    const entities = c.users.length + c.departments.length;
    const count = slapd.searchLdif(directory, '(objectClass=inetOrgPerson)', ['1.1']).split('\n').filter((l) => l.startsWith('dn:')).length;
    if (count !== c.users.length) throw new Error(`wrote ${count} users`);
    return [`write, ${concurrency} in flight`, entities, (ms / 1000).toFixed(2), Math.round(entities / (ms / 1000)), calls, (calls / entities).toFixed(3), 'add + read-back of entryUUID per entity'];
  } finally {
    await slapd.stop();
  }
}

async function inParallel<T>(items: readonly T[], concurrency: number, run: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await run(items[i], i);
      }
    }),
  );
}

export async function runLdapBenchmark(argv: readonly string[]): Promise<void> {
  const users = positiveInt(argv, 'users', 10_000);
  const c = company(users);
  console.log(`## LDAP: ${users} users in ${c.departments.length} OUs, real slapd on 127.0.0.1\n\n${describeMachine(machineInfo())}\n`);
  const rows = [await benchRead(c, 500), await benchRead(c, 1000), await benchWrite(c, 1), await benchWrite(c, 8)];
  console.log(table(['case', 'entities', 'seconds', 'entities/s', 'LDAP calls', 'calls per entity', 'note'], rows));
  console.log(`\n${describeMachine(machineInfo())}`);
}
