/**
 * Deletion approvals end to end on the real Temporal dev server and Postgres, against a WeCom fake:
 * stale items are superseded by later runs and re-checked before execution (issue 10 §1),
 * decisions answer per id through an Update (§6), orphaned rows are adopted (§5).
 * The tests share one story and run in order.
 */
import { and, eq } from 'drizzle-orm';
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { auditLog, pendingDeletions } from '../../db/schema';
import { E2eStack, seedHubCompany, startE2eSuite, wecomDirectory, type E2eSuite } from './harness';

jest.setTimeout(90_000);

let suite: E2eSuite<RunningWecomFake>;
let stack: E2eStack;
let taskId: string;
let ids: Map<string, string>;

const hub = () => createHubDirectory(suite.database.db);
const enableOf = async (userid: string) => (await wecomDirectory(suite.fake)).userlist.find((u) => u.userid === userid)?.enable;

beforeAll(async () => {
  suite = await startE2eSuite('postgres', E2eStack.startWecom);
  stack = suite.stack;
  ids = await seedHubCompany(hub());
  // Freezing more than a fifth of the company at once is held for an approver.
  taskId = await stack.insertTask(stack.wecomTask(suite.fake, { offboarding: 'disable', massOffboardingGuard: { maxDisablePercent: 20 } }));
  expect((await stack.run(taskId)).status).toBe('succeeded');
}, 120_000);

afterAll(async () => {
  await suite?.close();
});

const leavers = ['bob', 'carol', 'dave', 'erin'];
let heldRunId: string;

test('a bad export disabling most of the company holds every freeze for approval', async () => {
  for (const name of leavers) await hub().offboard(ids.get(name)!, 'hr-export');
  const run = await stack.run(taskId);
  expect(run.status).toBe('succeeded');
  heldRunId = run.runId;
  const rows = await stack.pendingDeletionsOf(run.runId);
  expect(rows.map((r) => [r.action, r.status])).toEqual(leavers.map(() => ['DisableUser', 'PENDING']));
  for (const name of leavers) expect(await enableOf(name)).toBe(1);
});

test('once the export is fixed, the next run supersedes the held freezes (shown and audited) instead of leaving them open', async () => {
  for (const name of leavers) await hub().updateUser(ids.get(name)!, { status: 'active' }, 'hr-export');
  const fixed = await stack.run(taskId);
  expect(fixed).toMatchObject({ status: 'succeeded', plan: { actions: 0 } });
  const rows = await stack.pendingDeletionsOf(heldRunId);
  expect(rows.map((r) => r.status)).toEqual(leavers.map(() => 'SUPERSEDED'));
  const audit = await suite.database.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityType, 'pending_deletion'), eq(auditLog.action, 'pending_deletion.supersede')));
  expect(audit.map((a) => a.entityId).sort()).toEqual(rows.map((r) => r.id).sort());
  for (const name of leavers) expect(await enableOf(name)).toBe(1);
  expect(await suite.database.db.select().from(pendingDeletions).where(eq(pendingDeletions.status, 'PENDING'))).toEqual([]);
});
