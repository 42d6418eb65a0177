// runInDependencyOrder: bounded concurrency that never reorders items touching the same entity.
import type { TouchedEntities } from './apply-entities';
import { touchedEntities } from './apply-entities';
import { runInDependencyOrder } from './dependency-order';

interface Item {
  name: string;
  touched: TouchedEntities;
}

const item = (name: string, writes: string, reads: string[] = []): Item => ({ name, touched: { writes: [writes], reads } });

/** Runs the items with manual completion; returns the start order and a log of "start x" / "end x". */
function harness(items: Item[], concurrency: number, failing: string[] = []) {
  const log: string[] = [];
  const finishers = new Map<string, () => void>();
  const done = runInDependencyOrder({
    items,
    concurrency,
    touched: (i) => i.touched,
    run: (i) =>
      new Promise<void>((resolve, reject) => {
        log.push(`start ${i.name}`);
        finishers.set(i.name, () => {
          log.push(`end ${i.name}`);
          if (failing.includes(i.name)) reject(new Error(`${i.name} failed`));
          else resolve();
        });
      }),
  });
  const finish = async (name: string) => {
    finishers.get(name)?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { log, finish, done };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('independent items run together up to the bound; a reader of something being written waits, and nothing overtakes it', async () => {
  const items = [item('dept', 'department:d1'), item('a', 'user:a', ['department:d0']), item('b', 'user:b', ['department:d1']), item('c', 'user:c', ['department:d0'])];
  const { log, finish, done } = harness(items, 4);
  await tick();
  // b reads d1 while dept creates it: b waits, and c (independent) does not jump ahead of b.
  expect(log).toEqual(['start dept', 'start a']);
  await finish('a');
  expect(log).toEqual(['start dept', 'start a', 'end a']);
  await finish('dept');
  expect(log.slice(3)).toEqual(['end dept', 'start b', 'start c']);
  await finish('b');
  await finish('c');
  expect(await done).toEqual({ started: 4 });
});

test('readers of one entity share it; a writer of it waits for every earlier reader', async () => {
  const items = [item('r1', 'user:x', ['user:m']), item('r2', 'user:y', ['user:m']), item('rename m', 'user:m')];
  const { log, finish, done } = harness(items, 8);
  await tick();
  expect(log).toEqual(['start r1', 'start r2']);
  await finish('r1');
  expect(log).not.toContain('start rename m');
  await finish('r2');
  expect(log.at(-1)).toBe('start rename m');
  await finish('rename m');
  await done;
});

test('never more than the bound in flight; two items on one entity keep their order', async () => {
  const items = [item('1', 'user:a'), item('2', 'user:b'), item('3', 'user:c'), item('4', 'user:a')];
  const { log, finish, done } = harness(items, 2);
  await tick();
  expect(log).toEqual(['start 1', 'start 2']);
  await finish('2');
  expect(log.at(-1)).toBe('start 3');
  await finish('3');
  expect(log).not.toContain('start 4');
  await finish('1');
  expect(log.at(-1)).toBe('start 4');
  await finish('4');
  expect(await done).toEqual({ started: 4 });
});

test('a failure stops new starts, lets the items in flight finish, and is returned', async () => {
  const items = [item('1', 'user:a'), item('2', 'user:b'), item('3', 'user:c')];
  const { log, finish, done } = harness(items, 2, ['1']);
  await tick();
  await finish('1');
  expect(log).toEqual(['start 1', 'start 2', 'end 1']);
  await finish('2');
  const result = await done;
  expect(String(result.error)).toContain('1 failed');
  expect(result.started).toBe(2);
});

test('touchedEntities names every reference resolveAction may look up', () => {
  expect(
    touchedEntities({
      key: 'k',
      entity: 'user',
      kind: 'CreateUser',
      sourceId: 'u1',
      targetId: null,
      before: null,
      after: { name: 'U', username: 'u', departmentIds: ['d1', 'd2'], mainDepartmentId: 'd1', managerId: 'm' },
    }),
  ).toEqual({ writes: ['user:u1', 'user-username=u'], reads: ['department:d1', 'department:d2', 'department:d1', 'user:m'] });
  expect(
    touchedEntities({ key: 'k', entity: 'department', kind: 'UpdateDepartmentLeader', sourceId: 'd1', targetId: '7', before: null, after: { leaderIds: ['l1'], parentId: 'd0' } }),
  ).toEqual({ writes: ['department:d1'], reads: ['department:d0', 'user:l1'] });
});

test('an email handed from one person to another: the one giving it up goes first, the other waits', async () => {
  const giver = touchedEntities({ key: 'a', entity: 'user', kind: 'UpdateUser', sourceId: 'a', targetId: 'A', before: { email: 'Shared@x.test' }, after: { email: 'new@x.test' } });
  const taker = touchedEntities({ key: 'b', entity: 'user', kind: 'UpdateUser', sourceId: 'b', targetId: 'B', before: { email: 'b@x.test' }, after: { email: 'shared@x.test' } });
  const { log, finish, done } = harness([{ name: 'giver', touched: giver }, { name: 'taker', touched: taker }], 8);
  await tick();
  expect(log).toEqual(['start giver']);
  await finish('giver');
  expect(log.at(-1)).toBe('start taker');
  await finish('taker');
  await done;
});
