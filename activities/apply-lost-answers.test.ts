// A write the vendor carried out whose answer never came back (the fake's dropResponses fault: the
// connection is cut after the vendor committed), retried by applyBatch, on each IM vendor's fake:
// a delete of the already-absent account succeeds and forgets its link (threshold mode applies
// deletes directly).
import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { connectorCatalog, definitionOf } from '../connectors/definitions';
import { createConnector } from '../connectors/registry';
import type { RunningFake } from '../connectors/types';
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
const routes: Record<ImKind, { deleteUser: string }> = {
  wecom: { deleteUser: 'GET /user/delete' },
  feishu: { deleteUser: 'DELETE /contact/v3/users/:id' },
  dingtalk: { deleteUser: 'POST /topapi/v2/user/delete' },
};

/** Ten people in one department: deleting one stays under the mass-offboarding guard's 20 %. */
function hubDirectory(prefix: string): DirectorySnapshot {
  const departmentId = `${prefix}-eng`;
  return {
    departments: [{ id: departmentId, name: `Engineering ${prefix}`, parentId: null, order: 1, leaderIds: [] }],
    users: Array.from({ length: 10 }, (_, i) => ({
      id: `${prefix}-u${i}`,
      username: `${prefix}-u${i}`,
      name: `Person ${i}`,
      email: `${prefix}-u${i}@acme.test`,
      mobile: `+86139${String(Math.floor(Math.random() * 1e4)).padStart(4, '0')}${String(i).padStart(4, '0')}`,
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
