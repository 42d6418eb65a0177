// `npm run bench -- export [--items 100000]`: memory of one run export. Each variant runs in a child
// process of its own (same loader flags) over PGlite in memory seeded with `--items` run items
// shaped like a real user update (before/after of a dozen fields). The figure is the export's
// peak RSS above the child's RSS just before it starts (sampled every 10 ms), plus the file size
// and the time. Variants: the former buffered XLSX (bench/export-buffered.ts), the streamed XLSX
// and the streamed CSV (api/run-export.ts).
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../db/client';
import { createRunQueries } from '../db/repos/run-queries';
import { runItems, syncRuns } from '../db/schema';
import { runItemsCsv, runItemsXlsx } from '../api/run-export';
import { bufferedRunItemsXlsx } from './export-buffered';
import { describeMachine, machineInfo, option, positiveInt, table } from './report';

const variants = ['xlsx-buffered (before)', 'xlsx-streamed', 'csv-streamed'] as const;
type Variant = (typeof variants)[number];

interface ChildResult {
  variant: Variant;
  items: number;
  baselineMB: number;
  peakExtraMB: number;
  bytes: number;
  seconds: number;
}

const mb = (bytes: number) => Math.round(bytes / 1024 ** 2);

function user(seq: number, title: string) {
  return {
    username: `user${seq}`,
    name: `用户 ${seq}`,
    email: `user${seq}@example.test`,
    mobile: `+86138${String(seq).padStart(8, '0')}`,
    employeeNumber: `E${seq}`,
    title,
    departmentIds: [`d${seq % 100}`],
    mainDepartmentId: `d${seq % 100}`,
    managerId: seq > 0 ? `u${seq - 1}` : null,
    status: 'active',
    attributes: { costCenter: `CC-${seq % 50}`, location: 'Shanghai' },
  };
}

async function child(variant: Variant, items: number): Promise<ChildResult> {
  const database = await openDatabase({});
  const runId = 'bench-export';
  await database.db.insert(syncRuns).values({ id: runId, taskId: 'bench', trigger: 'manual', status: 'succeeded', finishedAt: new Date() });
  for (let start = 0; start < items; start += 1000) {
    const rows = [];
    for (let seq = start; seq < Math.min(items, start + 1000); seq++) {
      rows.push({ runId, seq, batch: 0, key: `user:${seq}`, action: 'UpdateUser', entity: 'user' as const, sourceId: `u${seq}`, targetId: `t${seq}`, displayName: `用户 ${seq}`, status: 'succeeded' as const, payload: {}, before: user(seq, 'Engineer'), after: user(seq, 'Senior Engineer'), finishedAt: new Date() });
    }
    await database.db.insert(runItems).values(rows);
  }
  const runs = createRunQueries(database.db);
  const run = await runs.getRun(runId);
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  let bytes = 0;
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((bytes += chunk.length), done()) });
  const started = performance.now();
  if (variant === 'xlsx-buffered (before)') bytes = (await bufferedRunItemsXlsx(runs, runId)).length;
  else await pipeline(variant === 'xlsx-streamed' ? runItemsXlsx(runs, run) : runItemsCsv(runs, runId), sink);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await database.close();
  return { variant, items, baselineMB: mb(baseline), peakExtraMB: mb(peak - baseline), bytes, seconds: Math.round(seconds * 10) / 10 };
}

function runChild(variant: Variant, items: number): Promise<ChildResult> {
  const args = [...process.execArgv, '--expose-gc', process.argv[1], 'export', '--child', variant, '--items', String(items)];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as ChildResult);
      else reject(new Error(`export child ${variant} exited ${code}: ${out.slice(-500)}`));
    });
  });
}

export async function runExportBenchmark(argv: readonly string[]): Promise<void> {
  const items = positiveInt(argv, 'items', 100_000);
  const childVariant = option(argv, 'child');
  if (childVariant !== undefined) {
    if (!(variants as readonly string[]).includes(childVariant)) throw new Error(`--child must be one of ${variants.join(', ')}`);
    console.log(JSON.stringify(await child(childVariant as Variant, items)));
    return;
  }
  console.log(`## Run export memory, ${items} items\n\n${describeMachine(machineInfo())}\n`);
  const results: ChildResult[] = [];
  for (const variant of variants) results.push(await runChild(variant, items));
  console.log(table(['variant', 'items', 'peak RSS above baseline (MB)', 'baseline RSS (MB)', 'file (MB)', 'time (s)'], results.map((r) => [r.variant, r.items, r.peakExtraMB, r.baselineMB, Math.round((r.bytes / 1024 ** 2) * 10) / 10, r.seconds])));
}
