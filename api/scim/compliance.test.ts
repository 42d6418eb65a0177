// The third-party compliance checker scim2-tester (its CLI scim2-cli, from PyPI, provisioned by
// scripts/provision-scim-tester.js) against the real API listening on a port: zero ERROR or CRITICAL.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describeOnBothDatabases } from '../../test/support/databases';
import { startTestApi, type TestApi } from '../testing';
import { createScimPushTask } from './testing';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { scimCliBinary, scimCliReady } = require('../../scripts/provision-scim-tester.js') as { scimCliBinary: string; scimCliReady: () => boolean };

describeOnBothDatabases('SCIM compliance (scim2-tester)', (ctx) => {
  let api: TestApi;
  let url: string;
  let token: string;
  beforeAll(async () => {
    api = await startTestApi(ctx.database, { rateLimits: { enabled: false, perToken: 0, perAnonymousIp: 0, perWebhookTask: 0, authFailuresPerIp: 0 } });
    ({ token } = await createScimPushTask(ctx.database, 'compliance'));
    url = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await api?.app.close();
  });

  it('passes every check with no ERROR or CRITICAL result', async () => {
    expect({ binary: scimCliBinary, ready: scimCliReady() }).toEqual({ binary: scimCliBinary, ready: true }); // else: node scripts/provision-scim-tester.js
    // The token travels in the environment, never on a command line other users can see.
    const run = await promisify(execFile)(scimCliBinary, ['--url', `${url}/scim/v2`, 'test'], {
      env: { ...process.env, SCIM_CLI_HEADERS: `Authorization: Bearer ${token}`, NO_COLOR: '1' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 240_000,
    }).catch((error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }));
    // eslint-disable-next-line no-control-regex -- ANSI colour codes, should the CLI ever colour its output
    const lines = run.stdout.replace(/\u001b\[[0-9;]*m/g, '').split('\n');
    const failures = lines.flatMap((line, i) => (/^(ERROR|CRITICAL)\b/.test(line) ? [`${line}: ${lines[i + 1]?.trim() ?? ''}`] : []));
    const successes = lines.filter((line) => /^SUCCESS\b/.test(line)).length;
    expect({ failures, stderr: run.stderr.trim().slice(0, 500) }).toEqual({ failures: [], stderr: '' });
    expect(successes).toBeGreaterThan(100);
  }, 300_000);
});
