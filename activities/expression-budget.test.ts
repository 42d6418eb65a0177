// The activities called directly (no Temporal): a field-mapping expression that backtracks
// catastrophically for one person fails only that person's item, with the budget named; the
// others are provisioned, the snapshot step returns, and the event loop ticks throughout.
import { randomBytes, randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
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
const taskId = `task-${randomUUID()}`;
const hostileForP1 = `name = "P 1" ? $string($match("${'a'.repeat(40)}!", /(a+)+$/)) : "Staff"`;

beforeAll(async () => {
  [database, wecom] = await Promise.all([openDatabase({}), startWecomFake({ corpId: 'ww-budget', corpSecret: 'budget-secret' })]);
  const secretBox = createSecretBox(randomBytes(32));
  activities = createActivities({ database, secretBox });
  const { publicConfig, secrets } = splitSecrets(
    parseTaskConfig({
      name: 'budget',
      direction: 'downstream',
      connector: { kind: 'wecom', settings: { baseUrl: wecom.baseUrl, corpId: 'ww-budget' }, secrets: { corpSecret: 'budget-secret' } },
      fieldMapping: [{ target: 'position', expression: hostileForP1 }],
    }, { kinds: connectorCatalog }),
  );
  await database.db.insert(syncTasks).values({ id: taskId, name: 'budget', direction: 'downstream', connectorKind: 'wecom', config: publicConfig as never, secretsSealed: secretBox.seal(secrets) });
  const hub = createHubDirectory(database.db);
  await hub.createDepartment({ id: 'ops', name: 'Ops' }, 'seed');
  for (const n of [1, 2, 3]) await hub.createUser({ id: `p${n}`, username: `p${n}`, name: `P ${n}`, email: `p${n}@budget.test`, departmentIds: ['ops'] }, 'seed');
}, 60_000);

afterAll(async () => {
  await wecom?.close();
  await database?.close();
});

test('the hostile expression fails its own item; the run goes on and the event loop stays free', async () => {
  let last = Date.now();
  let longestGap = 0;
  const ticker = setInterval(() => {
    longestGap = Math.max(longestGap, Date.now() - last);
    last = Date.now();
  }, 20);
  const runId = randomUUID();
  const started = Date.now();
  try {
    await activities.startRun({ taskId, runId, workflowId: `wf-${runId}`, trigger: 'manual', dryRun: false });
    await activities.snapshot({ runId });
    const plan = await activities.plan({ runId });
    for (let batch = 0; batch < plan.batches; batch++) await activities.applyBatch({ runId, batch });
    expect((await activities.finishRun({ runId })).status).toBe('partially_failed');
  } finally {
    clearInterval(ticker);
  }
  expect(Date.now() - started).toBeLessThan(15_000);
  // On the main thread the expression would block it for its whole 1,000 ms budget at least; below
  // that, a gap is the machine (PGlite runs on the main thread too: 544 ms seen in CI at load 18).
  expect(longestGap).toBeLessThan(900);

  const items = await database.db.select().from(runItems).where(eq(runItems.runId, runId));
  const p1 = items.find((item) => item.sourceId === 'p1');
  expect(p1).toMatchObject({ status: 'failed', reason: expect.stringContaining('fieldMapping.0.expression exceeded its 1000 ms budget') });
  const users = (await fakeState(wecom)).userlist;
  expect(users.filter((u) => u.userid !== 'p1').map((u) => [u.userid, u.position])).toEqual([['p2', 'Staff'], ['p3', 'Staff']]);
  expect(users.some((u) => u.userid === 'p1')).toBe(false);
});

test('a cancelled snapshot attempt drops its mapping rather than finish it', async () => {
  const runId = randomUUID();
  await activities.startRun({ taskId, runId, workflowId: `wf-${runId}`, trigger: 'manual', dryRun: false });
  const env = new MockActivityEnvironment();
  let cancelledAt = 0;
  env.on('heartbeat', (details: { side?: string; users?: number }) => {
    // The source is read; the mapping (whose hostile expression spends a second on P 1) starts now.
    if (details?.side === 'source' && details.users !== undefined && cancelledAt === 0) {
      cancelledAt = Date.now();
      env.cancel('TIMED_OUT');
    }
  });
  await expect(env.run(activities.snapshot, { runId })).rejects.toMatchObject({ name: 'CancelledFailure', message: 'TIMED_OUT' });
  expect(cancelledAt).toBeGreaterThan(0);
  expect(Date.now() - cancelledAt).toBeLessThan(500);
});

