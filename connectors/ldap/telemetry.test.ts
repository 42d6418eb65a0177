// LDAP calls are vendor calls too: each operation against a real slapd is counted by operation and
// result class (sync_center_vendor_requests_total{connector="ldap"}), timed, and traced in a client
// span that carries no DN.
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { slapdSyncAccount, startSlapd, type RunningSlapd } from '../../test/support/slapd';
import { startTracing } from '../../telemetry/otel';
import { vendorRequests, vendorRequestSeconds } from '../../telemetry/metrics';
import { Attribute, Change } from 'ldapts';
import { LdapClient } from './client';

jest.setTimeout(30_000);

const exporter = new InMemorySpanExporter();
startTracing({ exporter });

let slapd: RunningSlapd;
const people = 'ou=people,dc=acme,dc=test';
beforeAll(async () => {
  slapd = await startSlapd({ seedLdif: `dn: ${people}\nobjectClass: organizationalUnit\nou: people\n` });
});
afterAll(async () => {
  await slapd?.stop();
});

async function counts(): Promise<Record<string, number>> {
  const metric = await vendorRequests.get();
  const out: Record<string, number> = {};
  for (const v of metric.values) if (v.labels.connector === 'ldap') out[`${v.labels.api} ${v.labels.result}`] = v.value;
  return out;
}

async function delta(run: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await counts();
  await run().catch(() => undefined);
  const after = await counts();
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, d]) => d !== 0));
}

test('bind, search, add, modify, modifyDN and delete are each counted ok, and timed', async () => {
  const client = new LdapClient({ url: slapd.url, bindDn: slapdSyncAccount.dn, bindPassword: slapdSyncAccount.password });
  const dn = `uid=zoe,${people}`;
  try {
    const moved = await delta(async () => {
      await client.search(people, { scope: 'one', filter: '(objectClass=*)' });
      await client.add(dn, { objectClass: ['inetOrgPerson'], uid: 'zoe', cn: 'Zoe', sn: 'Zhao' });
      await client.modify(dn, [new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: ['Engineer'] }) })]);
      await client.modifyDn(dn, 'uid=zoe2');
      await client.del(`uid=zoe2,${people}`);
    });
    expect(moved).toEqual({ 'bind ok': 1, 'search ok': 1, 'add ok': 1, 'modify ok': 1, 'modifyDN ok': 1, 'delete ok': 1 });
    const timed = (await vendorRequestSeconds.get()).values.filter((v) => v.labels.connector === 'ldap' && v.labels.api === 'add' && v.metricName?.endsWith('_count'));
    expect(timed[0]?.value).toBeGreaterThanOrEqual(1);
  } finally {
    await client.close();
  }
});

test('paged search counts one call per page', async () => {
  const client = new LdapClient({ url: slapd.url, bindDn: slapdSyncAccount.dn, bindPassword: slapdSyncAccount.password });
  try {
    for (const uid of ['p1', 'p2', 'p3']) await client.add(`uid=${uid},${people}`, { objectClass: ['inetOrgPerson'], uid, cn: uid, sn: uid });
    const moved = await delta(async () => {
      for await (const page of client.searchPages(people, { scope: 'one', filter: '(uid=p*)', pageSize: 2 })) void page;
    });
    expect(moved).toEqual({ 'search ok': 2 });
  } finally {
    await client.close();
  }
});

test('a refusal, a wrong password and an unreachable server get their result classes; spans name the operation, never the DN', async () => {
  const client = new LdapClient({ url: slapd.url, bindDn: slapdSyncAccount.dn, bindPassword: slapdSyncAccount.password });
  try {
    await client.bind();
    exporter.reset();
    expect(await delta(() => client.add(`uid=ghost,ou=nowhere,${people}`, { objectClass: ['inetOrgPerson'], uid: 'ghost', cn: 'g', sn: 'g' }))).toEqual({ 'add refused': 1 });
    const [span] = exporter.getFinishedSpans();
    expect(span.name).toBe('ldap add');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({ 'sync_center.connector': 'ldap', 'sync_center.vendor_api': 'add', 'sync_center.vendor_result': 'refused', 'sync_center.vendor_code': '32' });
    expect(JSON.stringify(span.attributes)).not.toContain('ghost');
  } finally {
    await client.close();
  }
  const wrong = new LdapClient({ url: slapd.url, bindDn: slapdSyncAccount.dn, bindPassword: 'not-the-password' });
  expect(await delta(() => wrong.search(people, { scope: 'base' }))).toEqual({ 'bind auth_failed': 1 });
  const down = new LdapClient({ url: 'ldap://127.0.0.1:1', bindDn: slapdSyncAccount.dn, bindPassword: 'x', timeoutMs: 2_000 });
  expect(await delta(() => down.bind())).toEqual({ 'bind transport_error': 1 });
});
