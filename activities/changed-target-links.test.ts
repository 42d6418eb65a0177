// A real-time run reads the target only for the changed ids, through their links: its snapshot must
// load those links, not every link of the task (O(directory) per event at 100k people). The activities
// are called directly (no Temporal) on both databases, for an upstream task whose source is an
// in-memory directory and whose target is the real hub.
import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { ldapCapabilities } from '../connectors/ldap';
import { createConnector } from '../connectors/registry';
import { connectorCatalog } from '../connectors/definitions';
import type { Connector } from '../connectors/types';
import type { Db } from '../db/client';
import { listTaskLinks, upsertTaskLinks } from '../db/repos/task-links';
import { runItems, syncTasks, taskLinks } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import type { User } from '../engine/model';
import { parseTaskConfig, splitSecrets } from '../engine/task-config';
import { describeOnBothDatabases } from '../test/support/databases';
import { createActivities } from './index';
import { linkIdsForChangedRead } from './snapshot';
import type { RunTrigger, SyncActivities } from './types';

const person = (id: string, title: string, managerId: string | null = null): User => ({
  id, username: id, name: `Person ${id}`, email: `${id}@links.test`, mobile: null, employeeNumber: null, title,
  departmentIds: [], mainDepartmentId: null, managerId, status: 'active', attributes: {},
});

/** The database as the activities see it, counting the rows each read of task_links returns. */
function countingLinkReads(db: Db, counts: number[]): Db {
  return new Proxy(db, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'select' || typeof value !== 'function') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      return (...args: unknown[]) => {
        const builder = (value as (...a: unknown[]) => { from: (table: unknown, ...rest: unknown[]) => PromiseLike<unknown[]> }).apply(target, args);
        const from = builder.from.bind(builder);
        builder.from = (table, ...rest) => {
          const query = from(table, ...rest);
          if (table === taskLinks) {
            // where() and the like return the same builder: the rows pass through its then().
            const then = query.then.bind(query);
            (query as { then: PromiseLike<unknown[]>['then'] }).then = (ok, bad) => then((rows) => (counts.push(rows.length), rows)).then(ok, bad);
          }
          return query;
        };
        return builder;
      };
    },
  });
}

test('the links a partial read needs: the ids read, the changed, and the managers and leaders they name', () => {
  const source = {
    departments: [{ id: 'd1', name: 'D1', parentId: null, order: 0, leaderIds: ['lead'] }],
    users: [person('p1', 't', 'boss')],
  };
  expect(linkIdsForChangedRead(source, ['p1', 'gone'])).toEqual({ department: ['d1', 'p1', 'gone'], user: ['p1', 'gone', 'boss', 'lead'] });
});

describeOnBothDatabases('a real-time run loads only the links of its changed ids', (ctx) => {
  const directory = new Map<string, User>();
  const linkReads: number[] = [];
  let activities: SyncActivities;
  let taskId: string;

  const source: Connector = {
    kind: 'ldap',
    capabilities: ldapCapabilities,
    async *readSnapshot() {
      yield { departments: [], users: [...directory.values()] };
    },
    async readByIds({ userIds }) {
      const users = userIds.flatMap((id) => (directory.has(id) ? [directory.get(id)!] : []));
      return { departments: [], users, missing: { departmentIds: [], userIds: userIds.filter((id) => !directory.has(id)) } };
    },
    async apply() {
      throw new Error('a source is not written');
    },
  };

  async function run(trigger: RunTrigger, changedIds?: string[]) {
    const runId = randomUUID();
    await activities.startRun({ taskId, runId, workflowId: `wf-${runId}`, trigger, dryRun: false, changedIds });
    const readsBefore = linkReads.length;
    const snapshot = await activities.snapshot({ runId, changedIds });
    const snapshotLinkReads = linkReads.slice(readsBefore);
    const plan = await activities.plan({ runId });
    for (let batch = 0; batch < plan.batches; batch++) await activities.applyBatch({ runId, batch });
    const { status } = await activities.finishRun({ runId });
    const items = await ctx.database.db.select().from(runItems).where(eq(runItems.runId, runId)).orderBy(runItems.seq);
    return { status, snapshot, snapshotLinkReads, actions: items.map((i) => `${i.action}:${i.sourceId}`) };
  }

  beforeAll(async () => {
    const secretBox = createSecretBox(randomBytes(32));
    const factory: typeof createConnector = (kind, settings, secrets, deps) => (kind === 'ldap' ? source : createConnector(kind, settings, secrets, deps));
    const database = { ...ctx.database, db: countingLinkReads(ctx.database.db, linkReads) };
    activities = createActivities({ database, secretBox, connectorFactory: factory });
    const { publicConfig, secrets } = splitSecrets(
      parseTaskConfig(
        {
          name: 'links',
          direction: 'upstream',
          connector: { kind: 'ldap', settings: { url: 'ldap://127.0.0.1:1', bindDn: 'cn=sync,dc=links,dc=test', baseDn: 'dc=links,dc=test' }, secrets: { bindPassword: 'p' } },
          triggers: { manual: true },
        },
        { kinds: connectorCatalog },
      ),
    );
    taskId = `task-${randomUUID()}`;
    await ctx.database.db.insert(syncTasks).values({ id: taskId, name: 'links', direction: 'upstream', connectorKind: 'ldap', config: publicConfig as never, secretsSealed: secretBox.seal(secrets) });
  }, 60_000);

  test('a change of one person among 3,000 links reads two links, and updates that person only', async () => {
    directory.set('p1', person('p1', 'Engineer', 'boss'));
    directory.set('boss', person('boss', 'Boss'));
    expect(await run('manual')).toMatchObject({ status: 'succeeded', actions: ['CreateUser:boss', 'CreateUser:p1'] });
    // The rest of a large directory, as links only: the partial read must not load them.
    await upsertTaskLinks(ctx.database.db, taskId, Array.from({ length: 3000 }, (_, i) => ({ entity: 'user' as const, sourceId: `other-${i}`, targetId: `t-other-${i}` })));
    expect(await listTaskLinks(ctx.database.db, taskId)).toHaveLength(3002);

    directory.set('p1', person('p1', 'Lead', 'boss'));
    const realtime = await run('realtime', ['p1']);
    expect(realtime).toMatchObject({ status: 'succeeded', actions: ['UpdateUser:p1'] });
    expect(realtime.snapshot.read).toMatchObject({ kind: 'changed-ids' });
    // p1 and the manager it names, on both sides (the target's found through their links).
    expect(realtime.snapshot.counts).toMatchObject({ sourceUsers: 2, targetUsers: 2 });
    // The snapshot's reads of links: those of p1 and boss, not all 3,002. (The plan step still loads
    // every link of the task: planSync needs them to know which targets are taken.)
    expect(realtime.snapshotLinkReads.length).toBeGreaterThan(0);
    expect(realtime.snapshotLinkReads.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2);
  });
});
