// The activities called directly (no Temporal) for an upstream task with incremental reads, its source
// an in-memory directory that lists changes by a version counter: what a scheduled run reads and
// plans, and when the watermark moves. The LDAP side is tested on slapd (connectors/ldap/incremental.test.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { VendorError } from '../connectors/errors';
import { createConnector } from '../connectors/registry';
import { ldapCapabilities } from '../connectors/ldap';
import type { Connector } from '../connectors/types';
import { openDatabase, type Database } from '../db/client';
import { createHubDirectory } from '../db/repos/hub-directory';
import { getReadWatermark } from '../db/repos/read-watermarks';
import { getRun, loadSnapshot } from '../db/repos/sync-runs';
import { runItems, syncTasks, taskReadWatermarks } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import type { User } from '../engine/model';
import { parseTaskConfig, splitSecrets } from '../engine/task-config';
import { connectorCatalog } from '../connectors/definitions';
import { createActivities } from './index';
import type { RunTrigger, SyncActivities } from './types';

let database: Database;
let activities: SyncActivities;
let taskId: string;

/** The source: people with the version of their last write; a deleted person is simply gone. */
const directory = new Map<string, { user: User; version: number }>();
let version = 0;
const listed: string[][] = [];
let watermarkRefused = false;
/** full garbage collections the plan step asked for (activities/memory.ts) */
let collections = 0;
const person = (id: string, title: string | null = null): User => ({
  id, username: id, name: `Person ${id}`, email: `${id}@inc.test`, mobile: null, employeeNumber: null, title,
  departmentIds: [], mainDepartmentId: null, managerId: null, status: 'active', attributes: {},
});
const write = (user: User) => directory.set(user.id, { user, version: ++version });

const source: Connector = {
  kind: 'ldap',
  capabilities: ldapCapabilities,
  async *readSnapshot() {
    yield { departments: [], users: [...directory.values()].map((e) => e.user) };
  },
  async readByIds({ userIds }) {
    const users = userIds.flatMap((id) => (directory.has(id) ? [directory.get(id)!.user] : []));
    return { departments: [], users, missing: { departmentIds: [], userIds: userIds.filter((id) => !directory.has(id)) } };
  },
  async changeWatermark() {
    if (watermarkRefused) throw new VendorError('permanent', 'no_change_attribute', 'modifyTimestamp: no user or OU carries a readable value');
    return String(version + 1);
  },
  async readChangesSince(watermark) {
    const next = String(version + 1);
    const changedIds = [...directory.values()].filter((e) => e.version >= Number(watermark)).map((e) => e.user.id);
    listed.push(changedIds);
    return { changedIds, watermark: next };
  },
  async apply() {
    throw new Error('a source is not written');
  },
};

async function run(trigger: RunTrigger, options: { dryRun?: boolean; finish?: 'failed' } = {}) {
  const runId = randomUUID();
  await activities.startRun({ taskId, runId, workflowId: `wf-${runId}`, trigger, dryRun: options.dryRun ?? false });
  const snapshot = await activities.snapshot({ runId });
  const plan = await activities.plan({ runId });
  // A run forced to fail stops before its writes, as one whose apply step failed for good.
  if (!options.dryRun && !options.finish) for (let batch = 0; batch < plan.batches; batch++) await activities.applyBatch({ runId, batch });
  const { status } = await activities.finishRun({ runId, ...(options.finish ? { status: options.finish, error: 'test' } : {}) });
  const items = await database.db.select().from(runItems).where(eq(runItems.runId, runId)).orderBy(runItems.seq);
  return { runId, status, read: snapshot.read, batches: plan.batches, actions: items.map((i) => `${i.action}:${i.sourceId}`) };
}
const hubUsers = async () => new Map((await createHubDirectory(database.db).listUsersPage(null, 100)).map((u) => [u.username, u]));
const watermark = async () => (await getReadWatermark(database.db, taskId))?.watermark;

beforeAll(async () => {
  database = await openDatabase({});
  const secretBox = createSecretBox(randomBytes(32));
  const factory: typeof createConnector = (kind, settings, secrets, deps) => (kind === 'ldap' ? source : createConnector(kind, settings, secrets, deps));
  activities = createActivities({ database, secretBox, connectorFactory: factory, collectGarbage: () => (collections += 1) });
  const { publicConfig, secrets } = splitSecrets(
    parseTaskConfig(
      {
        name: 'inc',
        direction: 'upstream',
        connector: { kind: 'ldap', settings: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=sync,dc=inc,dc=test', baseDn: 'dc=inc,dc=test' }, secrets: { bindPassword: 'p' } },
        triggers: { schedule: { every: '2h' } },
        incremental: { enabled: true, fullRunEveryHours: 24 },
      },
      { kinds: connectorCatalog },
    ),
  );
  taskId = `task-${randomUUID()}`;
  await database.db.insert(syncTasks).values({ id: taskId, name: 'inc', direction: 'upstream', connectorKind: 'ldap', config: publicConfig as never, secretsSealed: secretBox.seal(secrets) });
  for (const id of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6']) write(person(id));
}, 60_000);

afterAll(async () => {
  await database?.close();
});

test('the first scheduled run reads everything and stores the watermark taken before it', async () => {
  const first = await run('schedule');
  expect(first).toMatchObject({ status: 'succeeded', read: { kind: 'full', reason: 'no watermark yet (first run, or none succeeded)' } });
  expect(first.actions).toHaveLength(6);
  expect(await watermark()).toBe('7');
});

test('a scheduled run that lists no change reads nothing and plans nothing (nobody absent is offboarded)', async () => {
  const quiet = await run('schedule');
  expect(quiet).toMatchObject({ status: 'succeeded', read: { kind: 'incremental', changed: 0 }, actions: [] });
  expect(await loadSnapshot(database.db, quiet.runId, 'source')).toEqual({ departments: [], users: [] });
  expect([...(await hubUsers()).values()].every((u) => u.status === 'active')).toBe(true);
});

test('a scheduled run reads and plans only the changed; a dry run and a failed run leave the watermark', async () => {
  write(person('p1', 'Lead'));
  directory.delete('p2');
  const dry = await run('schedule', { dryRun: true });
  expect(dry).toMatchObject({ read: { kind: 'incremental', changed: 1 }, actions: ['UpdateUser:p1'] });
  const failed = await run('schedule', { finish: 'failed' });
  expect(failed.status).toBe('failed');
  expect(await watermark()).toBe('7');

  const incremental = await run('schedule');
  expect(incremental).toMatchObject({ status: 'succeeded', read: { kind: 'incremental', changed: 1 }, actions: ['UpdateUser:p1'] });
  expect(listed.at(-1)).toEqual(['p1']);
  expect(await watermark()).toBe('8');
  const users = await hubUsers();
  expect(users.get('p1')).toMatchObject({ title: 'Lead' });
  // Gone from the source, but an incremental read cannot see that.
  expect(users.get('p2')).toMatchObject({ status: 'active' });
});

test('a manual run reads everything: the deletion is seen, and it counts as the full run', async () => {
  const before = (await getReadWatermark(database.db, taskId))!;
  const manual = await run('manual');
  expect(manual).toMatchObject({ status: 'succeeded', read: { kind: 'full', reason: 'manual run' }, actions: ['DisableUser:p2'] });
  expect((await getReadWatermark(database.db, taskId))!.fullReadAt.getTime()).toBeGreaterThan(before.fullReadAt.getTime());
});

test('a retried snapshot step that reads in full after an attempt that read incrementally is a full run (the earlier ids do not stay)', async () => {
  write(person('p3', 'Changed'));
  const runId = randomUUID();
  await activities.startRun({ taskId, runId, workflowId: `wf-${runId}`, trigger: 'schedule', dryRun: false });
  expect((await activities.snapshot({ runId })).read).toMatchObject({ kind: 'incremental', changed: 1 });
  expect((await getRun(database.db, runId))!.changedIds).toEqual({ departmentIds: ['p3'], userIds: ['p3'] });
  // Between the attempts the full run fell due.
  await database.db.update(taskReadWatermarks).set({ fullReadAt: new Date(Date.now() - 25 * 3_600_000) }).where(eq(taskReadWatermarks.taskId, taskId));
  expect((await activities.snapshot({ runId })).read).toMatchObject({ kind: 'full', reason: 'full run due (every 24 h)' });
  expect((await getRun(database.db, runId))!.changedIds).toBeNull();
  expect((await loadSnapshot(database.db, runId, 'source')).users).toHaveLength(5);
});

test('a full read whose watermark the source refuses still syncs, stores no watermark and says why; the next scheduled run reads in full', async () => {
  await database.db.delete(taskReadWatermarks).where(eq(taskReadWatermarks.taskId, taskId));
  write(person('p4', 'Synced anyway'));
  watermarkRefused = true;
  try {
    const full = await run('schedule');
    expect(full).toMatchObject({ status: 'succeeded', read: { kind: 'full', reason: expect.stringContaining('no watermark: modifyTimestamp: no user or OU carries a readable value') } });
    expect(full.actions).toContain('UpdateUser:p4');
    expect(await watermark()).toBeUndefined();
    expect((await run('schedule')).read).toMatchObject({ kind: 'full' });
  } finally {
    watermarkRefused = false;
  }
});

test('the plan step asks for a full garbage collection before it loads the snapshots, before it stores the plan and once stored; each apply batch once done', async () => {
  collections = 0;
  const dry = await run('manual', { dryRun: true });
  expect(dry.status).toBe('succeeded');
  // only the plan step asks: before loading, before storing, after storing
  expect(collections).toBe(3);
  write(person('gc-1', 'Collected'));
  collections = 0;
  const real = await run('manual');
  expect(real.status).toBe('succeeded');
  expect(real.batches).toBeGreaterThan(0);
  expect(collections).toBe(3 + real.batches);
});
