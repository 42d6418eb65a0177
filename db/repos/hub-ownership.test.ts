import { describeOnBothDatabases } from '../../test/support/databases';
import { auditLog, syncTasks, taskLinks } from '../schema';
import { eq } from 'drizzle-orm';
import { ValidationError } from './errors';
import { createHubDirectory } from './hub-directory';
import { adoptHubUsers, countActiveLinkedAccounts, ownedHubUserIds } from './hub-ownership';

const task = (id: string, direction: 'upstream' | 'downstream') => ({ id, name: id, direction, connectorKind: 'csv', config: {} as never, secretsSealed: 'x' });

describeOnBothDatabases('hub people ownership', (ctx) => {
  const db = () => ctx.database.db;

  beforeAll(async () => {
    await db().insert(syncTasks).values([task('hr', 'upstream'), task('wecom-up', 'upstream'), task('feishu-down', 'downstream')]);
    const hub = createHubDirectory(db());
    await hub.createUser({ id: 'by-hr', username: 'by-hr', name: 'HR person' }, 'sync:hr', { sourceTaskId: 'hr' });
    await hub.createUser({ id: 'by-api', username: 'by-api', name: 'API person' }, 'admin');
    await hub.createUser({ id: 'by-api-2', username: 'by-api-2', name: 'Second API person' }, 'admin');
  });

  it('a person belongs to the upstream task that created them; API people belong to none until adopted', async () => {
    expect([...(await ownedHubUserIds(db(), 'hr'))]).toEqual(['by-hr']);
    await adoptHubUsers(db(), 'wecom-up', ['by-hr', 'by-api']);
    // Adopting never takes a person from another source.
    expect([...(await ownedHubUserIds(db(), 'hr'))]).toEqual(['by-hr']);
    expect([...(await ownedHubUserIds(db(), 'wecom-up'))]).toEqual(['by-api']);
  });

  it('hands a person to another upstream source or to none, audited; refuses a downstream or unknown task naming the field', async () => {
    const hub = createHubDirectory(db());
    expect(await hub.setUserSource('by-hr', 'wecom-up', 'admin-1')).toEqual({ id: 'by-hr', sourceTaskId: 'wecom-up' });
    expect([...(await ownedHubUserIds(db(), 'hr'))]).toEqual([]);
    await hub.setUserSource('by-hr', null, 'admin-1');
    expect([...(await ownedHubUserIds(db(), 'wecom-up'))]).toEqual(['by-api']);
    for (const bad of ['feishu-down', 'nope']) {
      const error = await hub.setUserSource('by-hr', bad, 'admin-1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('sourceTaskId');
    }
    const audit = await db().select().from(auditLog).where(eq(auditLog.action, 'user.source'));
    expect(audit.map((a) => [a.actor, a.before, a.after])).toEqual([
      ['admin-1', { sourceTaskId: 'hr' }, { id: 'by-hr', sourceTaskId: 'wecom-up' }],
      ['admin-1', { sourceTaskId: 'wecom-up' }, { id: 'by-hr', sourceTaskId: null }],
    ]);
  });

  it('counts the active accounts a task manages through its links, by the hub side of the link', async () => {
    const hub = createHubDirectory(db());
    await hub.offboard('by-api-2', 'admin');
    await db().insert(taskLinks).values([
      { taskId: 'feishu-down', entity: 'user', sourceId: 'by-hr', targetId: 'f-1' },
      { taskId: 'feishu-down', entity: 'user', sourceId: 'by-api', targetId: 'f-2' },
      { taskId: 'feishu-down', entity: 'user', sourceId: 'by-api-2', targetId: 'f-3' },
      { taskId: 'feishu-down', entity: 'user', sourceId: 'deleted', targetId: 'f-4' },
      { taskId: 'feishu-down', entity: 'department', sourceId: 'd', targetId: 'fd' },
      { taskId: 'hr', entity: 'user', sourceId: 'E1', targetId: 'by-hr' },
      { taskId: 'hr', entity: 'user', sourceId: 'E2', targetId: 'by-api-2' },
    ]);
    const down = { id: 'feishu-down', direction: 'downstream' as const };
    expect(await countActiveLinkedAccounts(db(), down, [])).toBe(2);
    expect(await countActiveLinkedAccounts(db(), down, ['f-2'])).toBe(1);
    expect(await countActiveLinkedAccounts(db(), { id: 'hr', direction: 'upstream' }, [])).toBe(1);
  });
});
