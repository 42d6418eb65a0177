// EndpointsCache: one set of connectors per task while its settings stay the same.
import type { TaskEndpoints } from '../connectors/registry';
import { EndpointsCache } from './endpoint-cache';
import type { TaskRecord } from './task';

const task = (id: string, settings: Record<string, unknown> = { baseUrl: 'http://a' }, secretsSealed = 'sealed-1'): TaskRecord => ({
  id,
  name: id,
  direction: 'downstream',
  connectorKind: 'wecom',
  enabled: true,
  config: { connector: { kind: 'wecom', settings } } as never,
  secretsSealed,
});

function cacheWithLog(now = () => 0) {
  let opened = 0;
  const closed: number[] = [];
  const cache = new EndpointsCache({
    open: () => ({ serial: ++opened }) as unknown as TaskEndpoints,
    close: async (endpoints) => {
      closed.push((endpoints as unknown as { serial: number }).serial);
    },
    idleMs: 1000,
    now,
  });
  return { cache, closed, opened: () => opened };
}

const serial = (lease: { endpoints: TaskEndpoints }) => (lease.endpoints as unknown as { serial: number }).serial;

test('batches of one task share its endpoints; another task gets its own', async () => {
  const { cache, opened, closed } = cacheWithLog();
  const first = await cache.lease(task('t1'));
  await first.release();
  const second = await cache.lease(task('t1'));
  expect(serial(second)).toBe(serial(first));
  expect(serial(await cache.lease(task('t2')))).not.toBe(serial(first));
  expect(opened()).toBe(2);
  expect(closed).toEqual([]);
});

test('edited settings or rotated secrets open new endpoints; the old ones close once their last batch hands them back', async () => {
  const { cache, closed } = cacheWithLog();
  const running = await cache.lease(task('t1'));
  const edited = await cache.lease(task('t1', { baseUrl: 'http://b' }));
  expect(serial(edited)).not.toBe(serial(running));
  expect(closed).toEqual([]);
  await running.release();
  expect(closed).toEqual([serial(running)]);
  await edited.release();
  const rotated = await cache.lease(task('t1', { baseUrl: 'http://b' }, 'sealed-2'));
  expect(serial(rotated)).not.toBe(serial(edited));
  expect(closed).toEqual([serial(running), serial(edited)]);
});

test('endpoints unused for the idle time are closed at the next lease', async () => {
  let clock = 0;
  const { cache, closed } = cacheWithLog(() => clock);
  const lease = await cache.lease(task('t1'));
  await lease.release();
  clock = 5000;
  await cache.lease(task('t2'));
  expect(closed).toEqual([serial(lease)]);
  expect(cache.size).toBe(1);
});
