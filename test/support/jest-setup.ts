import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';

// fastify.inject loads light-my-request, which require()s the ESM-only `cookie` 2.x; Node can, jest's
// module runtime cannot. It only uses stringifySetCookie (for the `cookies` inject option), so a
// CommonJS stand-in is enough for every suite that injects requests.
jest.mock('cookie', () => ({
  stringifySetCookie: ({ name, value }: { name: string; value: string }) => `${name}=${encodeURIComponent(value)}`,
}));

// Suites write their CSV files under the temp directory (connectors/csv/import-dir.ts); CLI processes
// they start get their data directory's own default instead (test/support/cli-process.ts).
process.env.SYNC_CENTER_IMPORT_DIR = realpathSync(tmpdir());

// Suites talk to vendor fakes on 127.0.0.1 (connectors/shared/host-policy.ts); the suites that test
// the allow-list clear this themselves. CLI processes the suites start inherit it.
process.env.SYNC_CENTER_ALLOW_ANY_HOST = '1';

// Activity log lines (activities/log.ts) would drown the test output; suites that check them capture their own.
process.env.SYNC_CENTER_LOG_LEVEL ??= 'silent';
