// applyBatch with concurrent items, called directly (no Temporal) against PGlite and the WeCom fake:
// references are created before the calls that need them, a crash with several creates in flight
// leaves no duplicate, a rate-limit refusal mid-batch becomes a retryable failure, and one
// connector (one token) serves every batch of a task.
import { randomBytes, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { generateDirectory } from '../bench/synthetic-directory';
import { seedHub } from '../bench/seed-hub';
import { createConnector } from '../connectors/registry';
import type { Connector, ConnectorOperation } from '../connectors/types';
import { startWecomFake, type RunningWecomFake } from '../connectors/wecom/fake';
import { fakeControl, fakeState } from '../connectors/wecom/fake/test-helpers';
import { openDatabase, type Database } from '../db/client';
import { runItems, syncTasks } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import type { DirectorySnapshot } from '../engine/model';
import { parseTaskConfig, splitSecrets } from '../engine/task-config';
import { connectorCatalog } from '../connectors/definitions';
import { createActivities } from './index';
import type { SyncActivities } from './types';

jest.setTimeout(120_000);

const secretBox = createSecretBox(randomBytes(32));
// WeCom has no field for the synthetic people's free attributes: without them a second run is empty.
const generated = generateDirectory({ users: 260, departments: 30 });
const directory: DirectorySnapshot = { departments: generated.departments, users: generated.users.map((u) => ({ ...u, attributes: {} })) };
let database: Database;
const fakes: RunningWecomFake[] = [];

/** What the wrapped WeCom connector saw: calls in flight, references sent before they existed, connectors built. */
class VendorProbe {
  inFlight = 0;
  maxInFlight = 0;
  connectorsBuilt = 0;
  creates = 0;
  readonly created = new Set<string>();
  readonly violations: string[] = [];
  /** after the vendor accepted create number n (1-based): throw, as if the worker died before recording it */
  crashAfterCreate?: (n: number) => boolean;
  afterApply?: (op: ConnectorOperation) => Promise<void>;

  private checkReferences(op: ConnectorOperation): void {
    const known = (kind: string, id: string | null | undefined) => {
      if (id && id !== '1' && !this.created.has(`${kind}:${id}`)) this.violations.push(`${op.action} sent ${kind} ${id} before it was created`);
    };
    if (op.action === 'CreateDepartment') known('department', op.department.parentId);
    if (op.action === 'CreateUser') {
      op.user.departmentIds.forEach((id) => known('department', id));
      known('user', op.user.managerId);
    }
    if (op.action === 'UpdateDepartment') (op.changes.leaderIds ?? []).forEach((id) => known('user', id));
  }

  readonly factory: typeof createConnector = (kind, settings, secrets, deps) => {
    const inner = createConnector(kind, settings, secrets, deps);
    if (kind === 'hub') return inner;
    this.connectorsBuilt += 1;
    const wrapped: Connector = {
      ...inner,
      apply: async (op) => {
        this.checkReferences(op);
        this.inFlight += 1;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          const result = await inner.apply(op);
          if (op.action === 'CreateDepartment' || op.action === 'CreateUser') {
            this.created.add(`${op.action === 'CreateUser' ? 'user' : 'department'}:${result.externalId}`);
            if (this.crashAfterCreate?.(++this.creates)) throw new Error('worker died after the vendor accepted the create');
          }
          await this.afterApply?.(op);
          return result;
        } finally {
          this.inFlight -= 1;
        }
      },
    };
    return wrapped;
  };
}

async function newTask(fake: RunningWecomFake, corpSecret: string): Promise<string> {
  const { publicConfig, secrets } = splitSecrets(
    parseTaskConfig({
      name: 'apply test',
      direction: 'downstream',
      connector: { kind: 'wecom', settings: { baseUrl: fake.baseUrl, corpId: 'ww-apply', rateLimitBackoffMs: 200 }, secrets: { corpSecret } },
    }, { kinds: connectorCatalog }),
  );
  const taskId = `task-${randomUUID()}`;
  await database.db.insert(syncTasks).values({ id: taskId, name: 'apply test', direction: 'downstream', connectorKind: 'wecom', config: publicConfig as never, secretsSealed: secretBox.seal(secrets) });
  return taskId;
}

async function setup(concurrency: number) {
  const corpSecret = randomBytes(8).toString('hex');
  const fake = await startWecomFake({ corpId: 'ww-apply', corpSecret });
  fakes.push(fake);
  const probe = new VendorProbe();
  const activities = createActivities({ database, secretBox, connectorFactory: probe.factory, applyConcurrency: concurrency });
  const taskId = await newTask(fake, corpSecret);
  return { fake, probe, activities, taskId };
}

async function planRun(activities: SyncActivities, taskId: string) {
  const runId = randomUUID();
  await activities.startRun({ taskId, runId, workflowId: `wf-${runId}`, trigger: 'manual', dryRun: false });
  await activities.snapshot({ runId });
  return { runId, plan: await activities.plan({ runId }) };
}

const items = (runId: string) => database.db.select().from(runItems).where(eq(runItems.runId, runId)).orderBy(runItems.seq);

/** Every hub user is at WeCom once, in the right departments and under the right manager. */
async function expectDirectoryAt(fake: RunningWecomFake) {
  const state = await fakeState<{ department: { id: number; name: string }[]; userlist: { userid: string; direct_leader?: string[] }[] }>(fake);
  expect(state.department).toHaveLength(directory.departments.length + 1);
  expect(state.userlist.map((u) => u.userid).sort()).toEqual(directory.users.map((u) => u.username).sort());
  const usernameOf = new Map(directory.users.map((u) => [u.id, u.username]));
  const leaderOf = new Map(state.userlist.map((u) => [u.userid, u.direct_leader ?? []]));
  for (const user of directory.users) expect([user.username, leaderOf.get(user.username)]).toEqual([user.username, user.managerId ? [usernameOf.get(user.managerId)] : []]);
}

beforeAll(async () => {
  database = await openDatabase({});
  await seedHub(database.db, directory);
});

afterAll(async () => {
  await Promise.all(fakes.map((f) => f.close()));
  await database?.close();
});

test('items run concurrently, never before what they reference; one connector serves every batch; a second run plans nothing', async () => {
  const { fake, probe, activities, taskId } = await setup(8);
  const { runId, plan } = await planRun(activities, taskId);
  expect(plan.batches).toBeGreaterThan(1);
  const builtBeforeApply = probe.connectorsBuilt;
  for (let batch = 0; batch < plan.batches; batch++) await activities.applyBatch({ runId, batch });

  expect(probe.violations).toEqual([]);
  expect(probe.maxInFlight).toBeGreaterThan(1);
  expect(probe.maxInFlight).toBeLessThanOrEqual(8);
  expect(probe.connectorsBuilt - builtBeforeApply).toBe(1);
  const stored = await items(runId);
  expect(stored.filter((i) => i.status !== 'succeeded')).toEqual([]);
  expect(stored.every((i) => i.finishedAt !== null && i.after !== null)).toBe(true);
  await expectDirectoryAt(fake);
  expect(await activities.finishRun({ runId })).toEqual({ status: 'succeeded' });

  expect((await planRun(activities, taskId)).plan.actions).toBe(0);
});

test('a crash with several creates in flight: the retry adopts each one that reached WeCom and sends the rest once', async () => {
  const { fake, probe, activities, taskId } = await setup(8);
  const { runId, plan } = await planRun(activities, taskId);
  // Creates 5–8 (departments) and 40–44 (users) reach WeCom, then the "worker" dies before recording them.
  probe.crashAfterCreate = (n) => (n >= 5 && n <= 8) || (n >= 40 && n <= 44);
  let crashes = 0;
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      await activities.applyBatch({ runId, batch: 0 });
      break;
    } catch (error) {
      expect(String(error)).toContain('worker died');
      crashes += 1;
    }
  }
  expect(crashes).toBeGreaterThanOrEqual(2);
  probe.crashAfterCreate = undefined;
  for (let batch = 0; batch < plan.batches; batch++) await activities.applyBatch({ runId, batch });

  const stored = await items(runId);
  expect(stored.filter((i) => i.status !== 'succeeded').map((i) => `${i.key} ${i.status} ${i.errorMessage}`)).toEqual([]);
  expect(stored.filter((i) => i.reason === 'created by an earlier attempt; adopted')).toHaveLength(9);
  expect(probe.violations).toEqual([]);
  await expectDirectoryAt(fake);
  expect((await planRun(activities, taskId)).plan.actions).toBe(0);
});

test('a rate-limit refusal mid-batch: recorded items stay recorded, the failure is retryable with the wait hint, the retry finishes', async () => {
  const { fake, probe, activities, taskId } = await setup(8);
  const { runId, plan } = await planRun(activities, taskId);
  let burstSent = false;
  probe.afterApply = async () => {
    if (burstSent) return;
    burstSent = true;
    await fakeControl(fake, 'faults', { rateLimitBurst: 3 });
  };
  const failure = await activities.applyBatch({ runId, batch: 0 }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'VendorTransient', nonRetryable: false, nextRetryDelay: 200 });
  const afterFailure = await items(runId);
  expect(afterFailure.some((i) => i.status === 'succeeded')).toBe(true);
  expect(afterFailure.some((i) => i.batch === 0 && i.status === 'planned')).toBe(true);

  for (let batch = 0; batch < plan.batches; batch++) {
    for (let attempt = 0; ; attempt++) {
      try {
        await activities.applyBatch({ runId, batch });
        break;
      } catch (error) {
        if (!(error instanceof ApplicationFailure) || error.type !== 'VendorTransient' || attempt > 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
  expect((await items(runId)).filter((i) => i.status !== 'succeeded')).toEqual([]);
  await expectDirectoryAt(fake);
});
