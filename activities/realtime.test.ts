// The activities called directly (no Temporal): a real-time run re-reads only its changed ids and
// plans only what they touch, even when other entities drifted meanwhile.
import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { startWecomFake, type RunningWecomFake } from '../connectors/wecom/fake';
import { fakeState } from '../connectors/wecom/fake/test-helpers';
import { openDatabase, type Database } from '../db/client';
import { createHubDirectory } from '../db/repos/hub-directory';
import { runItems, syncTasks } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import { parseTaskConfig, splitSecrets } from '../engine/task-config';
import { connectorCatalog } from '../connectors/definitions';
import { createActivities } from './index';
import type { SyncActivities } from './types';

let database: Database;
let wecom: RunningWecomFake;
let activities: SyncActivities;
let taskId: string;

async function runOnce(changedIds?: string[]) {
  const runId = randomUUID();
  await activities.startRun({ taskId, runId, workflowId: `wf-${runId}`, trigger: changedIds ? 'realtime' : 'manual', dryRun: false, changedIds });
  await activities.snapshot({ runId, changedIds });
  const plan = await activities.plan({ runId });
  for (let batch = 0; batch < plan.batches; batch++) await activities.applyBatch({ runId, batch });
  const { status } = await activities.finishRun({ runId });
  const items = await database.db.select().from(runItems).where(eq(runItems.runId, runId)).orderBy(runItems.seq);
  return { status, plan, items: items.map((i) => `${i.action}:${i.targetId}:${i.status}`) };
}

beforeAll(async () => {
  [database, wecom] = await Promise.all([openDatabase({}), startWecomFake({ corpId: 'ww-rt', corpSecret: 'rt-secret' })]);
  const secretBox = createSecretBox(randomBytes(32));
  activities = createActivities({ database, secretBox });
  const { publicConfig, secrets } = splitSecrets(
    parseTaskConfig({
      name: 'rt',
      direction: 'downstream',
      connector: { kind: 'wecom', settings: { baseUrl: wecom.baseUrl, corpId: 'ww-rt' }, secrets: { corpSecret: 'rt-secret' } },
    }, { kinds: connectorCatalog }),
  );
  taskId = `task-${randomUUID()}`;
  await database.db.insert(syncTasks).values({ id: taskId, name: 'rt', direction: 'downstream', connectorKind: 'wecom', config: publicConfig as never, secretsSealed: secretBox.seal(secrets) });
  const hub = createHubDirectory(database.db);
  await hub.createDepartment({ id: 'ops', name: 'Ops' }, 'seed');
  // Six people: one leaver is under the default guard's 20% of the accounts the task manages.
  for (const n of [1, 2, 3, 4, 5, 6]) await hub.createUser({ id: `p${n}`, username: `p${n}`, name: `P ${n}`, email: `p${n}@rt.test`, departmentIds: ['ops'] }, 'seed');
}, 60_000);

afterAll(async () => {
  await wecom?.close();
  await database?.close();
});

test('a full run provisions everything; a real-time run plans only its changed ids', async () => {
  expect(await runOnce()).toMatchObject({ status: 'succeeded', plan: { actions: 7 } });
  const hub = createHubDirectory(database.db);
  await hub.updateUser('p1', { title: 'Lead' }, 'test');
  await hub.updateUser('p2', { title: 'Drifted, not announced' }, 'test');
  await hub.deleteUser('p3', 'test');

  const realtime = await runOnce(['p1', 'p3']);
  expect(realtime.status).toBe('succeeded');
  // Deleted in the hub: frozen at once (one of six is not a mass offboarding, though the run read only two),
  // and a delete staged for an approver although the task's offboarding policy is disable.
  expect(realtime.items).toEqual(['UpdateUser:p1:succeeded', 'DisableUser:p3:succeeded', 'DeleteUser:p3:staged']);
  const users = (await fakeState(wecom)).userlist;
  expect(users.find((u) => u.userid === 'p1')).toMatchObject({ position: 'Lead' });
  expect(users.find((u) => u.userid === 'p2')?.position ?? '').toBe('');

  // The next full run catches the drift nobody announced; the delete still waits for its approver.
  expect((await runOnce()).items).toEqual(['UpdateUser:p2:succeeded', 'DeleteUser:p3:staged']);
});

test('realtimeRun walks the same steps in one call; a staged delete is handed back unapplied; a second attempt re-sends nothing', async () => {
  const hub = createHubDirectory(database.db);
  const start = async (changedIds: string[]) => {
    const runId = randomUUID();
    await activities.startRun({ taskId, runId, workflowId: `wf-${runId}`, trigger: 'realtime', dryRun: false, changedIds });
    return runId;
  };
  const itemsOf = async (runId: string) =>
    (await database.db.select().from(runItems).where(eq(runItems.runId, runId)).orderBy(runItems.seq)).map((i) => `${i.action}:${i.targetId}:${i.status}`);

  await hub.updateUser('p4', { title: 'Fast' }, 'test');
  const fast = await start(['p4']);
  const first = await activities.realtimeRun({ runId: fast, changedIds: ['p4'] });
  expect(first).toMatchObject({ applied: true, counters: { succeeded: 1, failed: 0, skipped: 0 }, batchesDone: 1, staged: 0, read: { kind: 'changed-ids' } });
  expect(await itemsOf(fast)).toEqual(['UpdateUser:p4:succeeded']);
  expect((await fakeState(wecom)).userlist.find((u) => u.userid === 'p4')).toMatchObject({ position: 'Fast' });
  // A retried attempt (the first one's answer lost) finds the plan stored: no second snapshot, nothing sent again.
  await hub.updateUser('p4', { title: 'Changed after the plan' }, 'test');
  const again = await activities.realtimeRun({ runId: fast, changedIds: ['p4'] });
  expect(again).toMatchObject({ applied: true, counters: { succeeded: 1, failed: 0, skipped: 0 } });
  expect(again.read).toBeUndefined();
  expect(await itemsOf(fast)).toEqual(['UpdateUser:p4:succeeded']);
  expect((await fakeState(wecom)).userlist.find((u) => u.userid === 'p4')).toMatchObject({ position: 'Fast' });
  expect(await activities.finishRun({ runId: fast })).toEqual({ status: 'succeeded' });

  // A leaver: the plan stages a delete, so nothing is applied here; the workflow's normal steps take it.
  await hub.deleteUser('p5', 'test');
  const staged = await start(['p5']);
  const handedBack = await activities.realtimeRun({ runId: staged, changedIds: ['p5'] });
  expect(handedBack).toMatchObject({ applied: false, batchesDone: 0, staged: 0, plan: { stagedDeletes: 1, batches: 1 } });
  expect(await itemsOf(staged)).toEqual(['DisableUser:p5:planned', 'DeleteUser:p5:staged']);
});
