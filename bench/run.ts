// `npm run bench [-- plan|downstream|realtime|export|approvals|ldap|scim-push|scim-downstream|console|scale] [options]`: every benchmark by default, or the one named.
// Figures go to the terminal as markdown tables; BENCHMARKS.md records a run of them.
import { runApprovalsBenchmark } from './approvals';
import { runConsoleBenchmark } from './console';
import { runDownstreamBenchmark } from './downstream';
import { runExportBenchmark } from './export';
import { runLdapBenchmark } from './ldap';
import { runPlanBenchmark } from './plan';
import { runRealtimeLatencyBenchmark } from './realtime-latency';
import { runScimDownstreamBenchmark } from './scim-downstream';
import { runScaleBenchmark } from './scale';
import { runScimPushBenchmark } from './scim-push';

// Every benchmark drives vendor fakes on 127.0.0.1, outside the vendors' documented hosts.
process.env.SYNC_CENTER_ALLOW_ANY_HOST = '1';

const benchmarks: Record<string, (argv: readonly string[]) => Promise<void>> = {
  plan: runPlanBenchmark,
  downstream: runDownstreamBenchmark,
  realtime: runRealtimeLatencyBenchmark,
  export: runExportBenchmark,
  approvals: runApprovalsBenchmark,
  ldap: runLdapBenchmark,
  'scim-push': runScimPushBenchmark,
  'scim-downstream': runScimDownstreamBenchmark,
  console: runConsoleBenchmark,
  scale: runScaleBenchmark,
};

async function main(argv: readonly string[]): Promise<void> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') {
    console.log(`npm run bench [-- <${Object.keys(benchmarks).join('|')}>] [options]
  plan:        --runs N (3) --naive-timeout S (60) --size 10000|100000 (both)
  downstream:  --users N (2000) --departments N (users/10) --timeout S (1800) --rate N (the fake's calls/min per API, 10000)
               --postgres (a fresh database on TEST_DATABASE_URL's server, worker processes sharing the vendor budget in it; default PGlite in memory, worker in process)
               --workers N (1; above 1 needs --postgres) --client-rate N (the client's calls/min; default the fake's with --postgres, the client's 9000 without)
               --dry-run (snapshot and plan only: the memory of those steps; with --postgres, peak RSS per activity)
  realtime:    --events N (200) --batch N (10) --debounce MS (1000) --spacing MS (0: each burst once the last landed) --postgres
  export:      --items N (100000): peak RSS of one run export, buffered XLSX (before) vs streamed XLSX and CSV
  approvals:   --items N (100000) --approve N (20000) --pglite (default: a fresh database on TEST_DATABASE_URL's server): an empty export on an upstream CSV task holds N freezes
  ldap:        --users N (10000): full read and full write against a real slapd (entries/s, LDAP calls per entity)
  scim-push:   --users N (10000) --lookups N (1000) --concurrency N (16) --count-statements: /scim/v2 on a fresh database on TEST_DATABASE_URL's server, the client in its own process
  scim-downstream: --users N (10000) --departments N (users/10) --rate N calls/s (100) --postgres: initial sync into scim2-server
  console:     --loads N (10) --pglite (default: a fresh database on TEST_DATABASE_URL's server): p50/p95 time to content of each console page in Chromium, with 1,000 tasks and runs and 10k items
  scale:       --users N (2000) [--workers N] (1 and 3) and the downstream options: downstream on Postgres with worker processes, then a one-screen summary against issue 17's goals`);
    return;
  }
  if (first !== undefined && !first.startsWith('--')) {
    const benchmark = benchmarks[first];
    if (!benchmark) throw new Error(`unknown benchmark "${first}"; use one of ${Object.keys(benchmarks).join(', ')}`);
    return benchmark(rest);
  }
  for (const benchmark of Object.values(benchmarks)) {
    await benchmark(argv);
    console.log('');
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
