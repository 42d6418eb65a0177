// One benchmark worker in its own process (`npm run bench -- downstream --postgres --workers N`):
// the real activities on the Postgres server with the vendor budgets shared in it (the production
// worker's default, cli/worker.ts), polling the benchmark's task queue with the workflows the parent
// bundled once. It reports its peak RSS over IPC when told to stop, after the worker has shut down.
import { DefaultLogger, NativeConnection, Runtime, Worker, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { createActivities } from '../activities';
import { fullGarbageCollector } from '../activities/memory';
import { openDatabase } from '../db/client';
import { createRateBudgetStore } from '../db/repos/rate-budgets';
import { createSecretBox } from '../db/secret-box';

export interface WorkerProcessReady {
  type: 'ready';
  pid: number;
}

export interface WorkerProcessStopped {
  type: 'stopped';
  pid: number;
  /** process.resourceUsage().maxRSS, in MB */
  peakRssMb: number;
  /** per activity type: the highest RSS (MB) sampled while one ran, and how many ran here */
  byActivity: Record<string, { peakRssMb: number; runs: number }>;
}

/** Samples RSS every 100 ms while activities run, so the report can say which step holds the memory. */
function memoryByActivity(): { interceptor: ActivityInterceptorsFactory; report: () => WorkerProcessStopped['byActivity'] } {
  const byActivity: WorkerProcessStopped['byActivity'] = {};
  const running = new Map<number, string>();
  let next = 0;
  // BENCH_TRACE_MEMORY=1: one line per sample on stderr (activity, RSS, heap used/total, external), to see what the RSS is made of.
  const trace = process.env.BENCH_TRACE_MEMORY === '1';
  const sample = () => {
    const rss = Math.round(process.memoryUsage.rss() / 1048576);
    if (trace && running.size > 0) {
      const m = process.memoryUsage();
      const mb = (n: number) => Math.round(n / 1048576);
      process.stderr.write(`[memory ${process.pid}] ${[...new Set(running.values())].join('+')} rss ${rss} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}\n`);
    }
    for (const type of new Set(running.values())) {
      const entry = (byActivity[type] ??= { peakRssMb: 0, runs: 0 });
      entry.peakRssMb = Math.max(entry.peakRssMb, rss);
    }
  };
  const timer = setInterval(sample, 100);
  timer.unref();
  const interceptor: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      execute: async (input, nextCall) => {
        const id = next++;
        const type = ctx.info.activityType;
        running.set(id, type);
        (byActivity[type] ??= { peakRssMb: 0, runs: 0 }).runs += 1;
        try {
          return await nextCall(input);
        } finally {
          sample();
          running.delete(id);
        }
      },
    },
  });
  return { interceptor, report: () => byActivity };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`worker-process: ${name} is required (start it from bench/downstream.ts)`);
  return value;
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('worker-process: start it from bench/downstream.ts (needs IPC)');
  // Only problems belong in benchmark output.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const database = await openDatabase({ url: required('BENCH_DATABASE_URL'), migrate: false });
  const connection = await NativeConnection.connect({ address: required('BENCH_TEMPORAL_ADDRESS') });
  const memory = memoryByActivity();
  const worker = await Worker.create({
    interceptors: { activity: [memory.interceptor] },
    connection,
    taskQueue: required('BENCH_TASK_QUEUE'),
    workflowBundle: { codePath: required('BENCH_WORKFLOW_BUNDLE') },
    activities: createActivities({
      database,
      // as the production worker (cli/worker.ts); BENCH_NO_GC=1 leaves it out, to compare
      collectGarbage: process.env.BENCH_NO_GC === '1' ? undefined : fullGarbageCollector(),
      secretBox: createSecretBox(Buffer.from(required('BENCH_SECRET_KEY'), 'base64')),
      rateBudgets: process.env.BENCH_VENDOR_RATE_LIMITS === 'process' ? undefined : createRateBudgetStore(database.db),
    }),
  });
  // Shut down in order: the worker (in-flight tasks finish), then its connection, then the database.
  const done = worker.run().finally(() => connection.close()).finally(() => database.close());
  process.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    if (worker.getState() === 'RUNNING') worker.shutdown();
    void done.then(
      () => {
        const stopped: WorkerProcessStopped = { type: 'stopped', pid: process.pid, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), byActivity: memory.report() };
        process.send?.(stopped, undefined, undefined, () => process.disconnect());
      },
      (error: unknown) => {
        process.stderr.write(`worker-process ${process.pid}: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
        process.disconnect();
      },
    );
  });
  // Nothing more from the parent (it died or stopped us): do not outlive it.
  process.on('disconnect', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  process.send({ type: 'ready', pid: process.pid } satisfies WorkerProcessReady);
}

main().catch((error: unknown) => {
  process.stderr.write(`worker-process: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
