// The scale summary judges each run against issue 17's goals; a wrong mark would misreport a run.
import type { DownstreamResult } from './downstream';
import { scaleSummary } from './scale';

const result = (over: Partial<DownstreamResult>): DownstreamResult => ({
  users: 10000,
  departments: 1000,
  database: 'postgres',
  workers: 1,
  fakePerMinute: 10000,
  clientPerMinute: 10000,
  status: 'succeeded',
  runMs: 70_000,
  seedMs: 1,
  limitMs: 60_000,
  orderedLimitMs: 72_000,
  fraction: 60 / 70,
  totalCalls: 12004,
  callsPerEntity: 1.0913,
  refusals: 0,
  historyEvents: 396,
  peakRssMb: [310],
  load: [1, 2, 3],
  ...over,
});

test('marks each goal met or not, per shape (0.97 for one worker, 0.9 for several), and a failed run', () => {
  const text = scaleSummary([
    { shape: { users: 10000, workers: 1 }, result: result({ fraction: 0.98 }) },
    { shape: { users: 100000, workers: 3 }, result: result({ users: 100000, workers: 3, fraction: 0.91, callsPerEntity: 1.2, refusals: 2, peakRssMb: [420, 510, 300] }) },
    { shape: { users: 100000, workers: 3 }, error: 'the run did not finish in 1800 s' },
  ]);
  const [, , one, three, failed] = text.split('\n');
  expect(one).toContain('0.98 (≥ 0.97: met)');
  expect(one).toContain('1.091 (≤ 1.1: met)');
  expect(one).toContain('0 (met)');
  expect(one).toContain('310 (< 500: met)');
  expect(three).toContain('0.91 (≥ 0.9: met)');
  expect(three).toContain('1.200 (≤ 1.1: NOT met)');
  expect(three).toContain('2 (NOT met)');
  expect(three).toContain('420 / 510 / 300 (< 500: NOT met)');
  expect(failed).toContain('failed: the run did not finish in 1800 s');
});
