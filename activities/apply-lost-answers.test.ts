// A write the vendor carried out whose answer never came back (the fake's dropResponses fault: the
// connection is cut after the vendor committed), retried by applyBatch, on each IM vendor's fake:
// a create is found again with at most two cheap calls (the id we sent, or a department by name
// under its parent) and adopted, never made twice; a delete of the already-absent account
// succeeds and forgets its link (threshold mode applies deletes directly).
import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { connectorCatalog, definitionOf } from '../connectors/definitions';
import { createConnector } from '../connectors/registry';
import type { Connector, RunningFake } from '../connectors/types';
import { openDatabase, type Database } from '../db/client';
import { listTaskLinks } from '../db/repos/task-links';
import { hubUsers, runItems, syncTasks } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import { parseTaskConfig, splitSecrets } from '../engine/task-config';
import { seedHub } from '../bench/seed-hub';
import type { DirectorySnapshot } from '../engine/model';
import { createActivities } from './index';
import type { SyncActivities } from './types';

jest.setTimeout(60_000);

const secretBox = createSecretBox(randomBytes(32));

type ImKind = 'wecom' | 'feishu' | 'dingtalk';
/** each vendor's routes, as its fake declares them */
const routes: Record<ImKind, { deleteUser: string; createUser: string; createDepartment: string; tokens: string[] }> = {
  wecom: { deleteUser: 'GET /user/delete', createUser: 'POST /user/create', createDepartment: 'POST /department/create', tokens: ['GET /gettoken'] },
  feishu: {
    deleteUser: 'DELETE /contact/v3/users/:id',
    createUser: 'POST /contact/v3/users',
    createDepartment: 'POST /contact/v3/departments',
    tokens: ['POST /auth/v3/tenant_access_token/internal'],
  },
  dingtalk: {
    deleteUser: 'POST /topapi/v2/user/delete',
    createUser: 'POST /topapi/v2/user/create',
    createDepartment: 'POST /topapi/v2/department/create',
    tokens: ['GET /gettoken', 'POST /v1.0/oauth2/accessToken'],
  },
};

/** Numbers the directories of this file: their mobiles must never collide in the shared hub (a random part did, 1 run in ~300). */
let directories = 0;

/** Ten people in one department: deleting one stays under the mass-offboarding guard's 20 %. */
function hubDirectory(prefix: string): DirectorySnapshot {
  const departmentId = `${prefix}-eng`;
  const directory = ++directories;
  return {
    departments: [{ id: departmentId, name: `Engineering ${prefix}`, parentId: null, order: 1, leaderIds: [] }],
    users: Array.from({ length: 10 }, (_, i) => ({
      id: `${prefix}-u${i}`,
      username: `${prefix}-u${i}`,
      name: `Person ${i}`,
      email: `${prefix}-u${i}@acme.test`,
      mobile: `+86139${String(directory).padStart(4, '0')}${String(i).padStart(4, '0')}`,
      employeeNumber: `${prefix}-E${i}`,
      title: 'Engineer',
      departmentIds: [departmentId],
      mainDepartmentId: departmentId,
      managerId: null,
      status: 'active' as const,
      attributes: {},
    })),
  };
}

async function fakeFaults(fake: RunningFake, faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${fake.url}/__fake/faults`, { method: 'POST', body: JSON.stringify(faults), headers: { 'content-type': 'application/json' } });
  if (res.status !== 200) throw new Error(`faults: ${res.status} ${await res.text()}`);
}

async function fakeCalls(fake: RunningFake): Promise<Record<string, number>> {
  return ((await (await fetch(`${fake.url}/__fake/calls`)).json()) as { calls: Record<string, number> }).calls;
}

/** Calls made between two counts, leaving out the creates themselves and token fetches: what finding earlier creates cost. */
function lookupCalls(kind: ImKind, before: Record<string, number>, after: Record<string, number>): number {
  const { createUser, createDepartment, tokens } = routes[kind];
  const skip = new Set([createUser, createDepartment, ...tokens]);
  return Object.entries(after).reduce((sum, [route, n]) => sum + (skip.has(route) ? 0 : n - (before[route] ?? 0)), 0);
}

/** What the target holds: each hub person and department once. */
async function targetCounts(target: Connector, directory: DirectorySnapshot) {
  const usernames = new Map<string, number>();
  const departments = new Map<string, number>();
  for await (const page of target.readSnapshot()) {
    for (const u of page.users) usernames.set(u.username, (usernames.get(u.username) ?? 0) + 1);
    for (const d of page.departments) departments.set(d.name, (departments.get(d.name) ?? 0) + 1);
  }
  return {
    users: directory.users.map((u) => [u.username, usernames.get(u.username) ?? 0]),
    departments: directory.departments.map((d) => [d.name, departments.get(d.name) ?? 0]),
  };
}

const once = (directory: DirectorySnapshot) => ({ users: directory.users.map((u) => [u.username, 1]), departments: directory.departments.map((d) => [d.name, 1]) });

let database: Database;
const fakes: RunningFake[] = [];

beforeAll(async () => {
  database = await openDatabase({});
});

afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  await database?.close();
});

async function world(kind: ImKind) {
  const definition = definitionOf(kind);
  if (!definition?.fake) throw new Error(`${kind} has no fake`);
  const fake = await definition.fake.start({});
  fakes.push(fake);
  const connector = definition.fake.taskConnector(fake);
  const prefix = `${kind}${randomBytes(3).toString('hex')}`;
  const directory = hubDirectory(prefix);
  await seedHub(database.db, directory);
  const { publicConfig, secrets } = splitSecrets(
    parseTaskConfig(
      {
        name: `lost answers ${kind}`,
        direction: 'downstream',
        connector: { kind, ...connector },
        scope: { departmentIds: [directory.departments[0].id] },
        offboarding: 'delete',
        deletionProtection: { mode: 'threshold', minCount: 5 },
      },
      { kinds: connectorCatalog },
    ),
  );
  const taskId = `task-${randomUUID()}`;
  await database.db.insert(syncTasks).values({ id: taskId, name: 'lost answers', direction: 'downstream', connectorKind: kind, config: publicConfig as never, secretsSealed: secretBox.seal(secrets) });
  const activities = createActivities({ database, secretBox });
  const target = createConnector(kind, connector.settings, connector.secrets, { database, actor: 'test' });
  return { fake, activities, taskId, directory, target };
}

async function planRun(activities: SyncActivities, taskId: string) {
  const runId = randomUUID();
  await activities.startRun({ taskId, runId, workflowId: `wf-${runId}`, trigger: 'manual', dryRun: false });
  await activities.snapshot({ runId });
  return { runId, plan: await activities.plan({ runId }) };
}

async function applyAll(activities: SyncActivities, runId: string, batches: number) {
  for (let batch = 0; batch < batches; batch++) await activities.applyBatch({ runId, batch });
}

const itemsOf = (runId: string) => database.db.select().from(runItems).where(eq(runItems.runId, runId)).orderBy(runItems.seq);

describe.each<ImKind>(['wecom', 'feishu', 'dingtalk'])('%s', (kind) => {
  test('predicts created user ids and finds a department under its parent with one call', async () => {
    const { target } = await world(kind);
    expect(definitionOf(kind)?.createdUserId?.({ id: '', username: 'amy' } as never)).toBe('amy');
    expect(typeof target.findChildDepartment).toBe('function');
  });

  test.each(['createDepartment', 'createUser'] as const)('a %s whose answer was lost is adopted on retry with at most 2 lookup calls each, never made twice', async (route) => {
    const { fake, activities, taskId, directory, target } = await world(kind);
    const { runId, plan } = await planRun(activities, taskId);
    expect(plan.batches).toBe(1);
    await fakeFaults(fake, { dropResponses: 1, dropRoute: routes[kind][route] });
    await expect(activities.applyBatch({ runId, batch: 0 })).rejects.toMatchObject({ type: 'VendorTransient' });
    // Every create marked as sent but not recorded is looked up by the retry.
    const inDoubt = (await itemsOf(runId)).filter((i) => i.status === 'planned' && i.attemptedAt !== null);
    expect(inDoubt.length).toBeGreaterThan(0);

    const before = await fakeCalls(fake);
    await activities.applyBatch({ runId, batch: 0 });
    const cost = lookupCalls(kind, before, await fakeCalls(fake));
    expect(cost).toBeLessThanOrEqual(2 * inDoubt.length);

    const stored = await itemsOf(runId);
    expect(stored.filter((i) => i.status !== 'succeeded').map((i) => `${i.key} ${i.status} ${i.errorCode} ${i.errorMessage}`)).toEqual([]);
    expect(stored.filter((i) => i.reason === 'created by an earlier attempt; adopted')).toHaveLength(1);
    expect(await targetCounts(target, directory)).toEqual(once(directory));
    expect((await planRun(activities, taskId)).plan.actions).toBe(0);
  });

  test('a retried DeleteUser whose first attempt deleted (answer lost) succeeds and forgets the link', async () => {
    const { fake, activities, taskId, directory, target } = await world(kind);
    const first = await planRun(activities, taskId);
    await applyAll(activities, first.runId, first.plan.batches);
    expect((await itemsOf(first.runId)).filter((i) => i.status !== 'succeeded')).toEqual([]);

    const leaver = directory.users[3];
    await database.db.delete(hubUsers).where(eq(hubUsers.id, leaver.id));
    const second = await planRun(activities, taskId);
    const [deleteItem] = (await itemsOf(second.runId)).filter((i) => i.action === 'DeleteUser');
    expect(deleteItem).toMatchObject({ status: 'planned', sourceId: leaver.id });

    await fakeFaults(fake, { dropResponses: 1, dropRoute: routes[kind].deleteUser });
    await expect(activities.applyBatch({ runId: second.runId, batch: deleteItem.batch })).rejects.toMatchObject({ type: 'VendorTransient' });
    const read = await target.readByIds({ departmentIds: [], userIds: [deleteItem.targetId as string] });
    expect(read.missing.userIds).toEqual([deleteItem.targetId]);

    await activities.applyBatch({ runId: second.runId, batch: deleteItem.batch });
    const [after] = (await itemsOf(second.runId)).filter((i) => i.id === deleteItem.id);
    expect({ status: after.status, errorCode: after.errorCode }).toEqual({ status: 'succeeded', errorCode: null });
    expect((await listTaskLinks(database.db, taskId)).filter((l) => l.entity === 'user' && l.sourceId === leaver.id)).toEqual([]);
  });
});
