// `npm run bench -- scale`: the downstream benchmark in the shapes issue 17 sets goals for, on the
// Postgres server with worker processes sharing the vendor budget, then a one-screen summary.
// By default small (2,000 users) so it fits in a few minutes; --users N for the real figures
// (10000 with --workers 1, 100000 with --workers 3), --workers N for one shape only.
import { downstreamBenchmark, type DownstreamResult } from './downstream';
import { describeMachine, machineInfo, option, positiveInt, table } from './report';

interface Shape {
  users: number;
  workers: number;
}

/** The goals of issue 17 for a run of `shape`. */
function goals(shape: Shape): { fraction: number; callsPerEntity: number; peakRssMb: number } {
  return { fraction: shape.workers === 1 ? 0.97 : 0.9, callsPerEntity: 1.1, peakRssMb: 500 };
}

const mark = (ok: boolean): string => (ok ? 'met' : 'NOT met');

export function scaleSummary(results: readonly { shape: Shape; result?: DownstreamResult; error?: string }[]): string {
  const rows = results.map(({ shape, result, error }) => {
    if (!result) return [shape.users, shape.workers, `failed: ${error ?? 'unknown'}`, '', '', '', '', '', '', ''];
    const goal = goals(shape);
    const peak = Math.max(...result.peakRssMb);
    return [
      result.users,
      result.workers,
      `${result.status}, ${(result.runMs / 1000).toFixed(1)} s`,
      `${(result.limitMs / 1000).toFixed(1)} s`,
      `${result.fraction.toFixed(2)} (≥ ${goal.fraction}: ${mark(result.fraction >= goal.fraction)})`,
      `${result.callsPerEntity.toFixed(3)} (≤ ${goal.callsPerEntity}: ${mark(result.callsPerEntity <= goal.callsPerEntity)})`,
      `${result.refusals} (${mark(result.refusals === 0)})`,
      `${result.peakRssMb.join(' / ')} (< ${goal.peakRssMb}: ${mark(peak < goal.peakRssMb)})`,
      result.historyEvents,
      result.load.join(' / '),
    ];
  });
  return table(['users', 'workers', 'run', 'time the limit allows', 'fraction', 'vendor calls per entity', 'refusals', 'peak RSS per worker MB', 'history events', 'load at end'], rows);
}

export async function runScaleBenchmark(argv: readonly string[]): Promise<void> {
  const users = positiveInt(argv, 'users', 2000);
  const only = option(argv, 'workers') === undefined ? undefined : positiveInt(argv, 'workers', 1);
  const shapes: Shape[] = (only === undefined ? [1, 3] : [only]).map((workers) => ({ users, workers }));
  const passThrough = ['departments', 'timeout', 'rate', 'client-rate'].flatMap((name) => {
    const value = option(argv, name);
    return value === undefined ? [] : [`--${name}`, value];
  });
  const started = machineInfo();
  const results: { shape: Shape; result?: DownstreamResult; error?: string }[] = [];
  for (const shape of shapes) {
    try {
      results.push({ shape, result: await downstreamBenchmark(['--users', String(shape.users), '--workers', String(shape.workers), '--postgres', ...passThrough]) });
    } catch (error) {
      results.push({ shape, error: error instanceof Error ? error.message : String(error) });
      process.exitCode = 1;
    }
    console.log('');
  }
  console.log(`# scale summary: downstream into the WeCom fake, Postgres, worker processes sharing the vendor budget`);
  console.log(`started ${describeMachine(started)}; ended at load ${machineInfo().loadAverage.join(' / ')}\n`);
  console.log(scaleSummary(results));
}
