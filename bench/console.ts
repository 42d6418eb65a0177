// `npm run bench -- console [--loads N] [--pglite]`: the web console's time to content with large lists.
// Seeds what test/console/console.scale.browser.test.ts seeds (test/support/console-scale.ts: 1,000
// tasks, 1,000 runs of one task, a run of 10,000 items, 10,000 staged deletions, 10,000 hub people,
// a person linked in 666 apps) into a fresh database on TEST_DATABASE_URL's server (or PGlite), serves
// the API and the built bundle, and loads each page in Debian's Chromium N times:
//   cold: a full page load in a fresh browser context (the bundle fetched and parsed anew), from
//         navigation to the page's first row shown;
//   warm: an in-app navigation in a signed-in context (as a user moving between pages: each page from
//         the one before it in the table), from the route change to the first row shown.
// The person view is the directory searched for the person and their row clicked, to their links' first row.
// Prints p50/p95 per page, the API's own answer time for each page's list call, and the machine's load.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { startTestApi } from '../api/testing';
import { createSecretBox } from '../db/secret-box';
import { launchChromium } from '../test/support/chromium';
import { consoleScale, openPersonView, scalePages, seedConsoleScale, signedInPage, type ScalePage } from '../test/support/console-scale';
import { openTestDatabase } from '../test/support/databases';
import { describeMachine, machineInfo, percentile, positiveInt, table } from './report';

const apiCalls: Record<ScalePage | 'person', string> = {
  tasks: '/sync-tasks?limit=24&offset=0',
  runHistory: `/sync-tasks/${consoleScale.taskId}/runs?limit=20&offset=0`,
  runDetail: `/runs/${consoleScale.runId}/items?limit=100&offset=0`,
  pendingDeletions: '/pending-deletions?limit=100&offset=0',
  directory: '/users?limit=50&offset=0',
  person: `/users/${consoleScale.personId}/links?limit=20&offset=0`,
};

export async function runConsoleBenchmark(argv: readonly string[]): Promise<void> {
  const loads = positiveInt(argv, 'loads', 10);
  const kind = argv.includes('--pglite') ? 'pglite' : 'postgres';
  execFileSync(process.execPath, [path.join(__dirname, '../scripts/build-console.js'), '--if-stale'], { stdio: 'inherit' });
  const database = await openTestDatabase(kind);
  const secretBox = createSecretBox(randomBytes(32));
  const api = await startTestApi(database, { secretBox, rateLimits: { enabled: false, perToken: 1, perAnonymousIp: 1, perWebhookTask: 1, authFailuresPerIp: 1 } });
  const browser = await launchChromium();
  try {
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(api.app.server.address() as { port: number }).port}`;
    const seedStarted = performance.now();
    await seedConsoleScale(database, secretBox);
    const atStart = machineInfo();
    console.log(`## Console time to content (${kind}), ${loads} loads per page\n\n${describeMachine(atStart)}\nseeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s\n`);

    const apiMs: Record<string, number[]> = {};
    for (const [name, call] of Object.entries(apiCalls)) {
      apiMs[name] = [];
      for (let i = 0; i < loads; i++) {
        const began = performance.now();
        const res = await fetch(`${url}/api/v1${call}`, { headers: { authorization: `Bearer ${api.tokens.admin}` } });
        await res.text();
        if (!res.ok) throw new Error(`GET ${call} answered ${res.status}`);
        apiMs[name].push(performance.now() - began);
      }
    }

    const cold: Record<string, number[]> = {};
    const warm: Record<string, number[]> = {};
    const names = [...(Object.keys(scalePages) as ScalePage[]), 'person' as const];
    for (const name of names) {
      cold[name] = [];
      warm[name] = [];
    }
    // Navigation to a page (or, for the person view, to the directory and the click on their row) and its first row.
    const show = async (page: Page, name: ScalePage | 'person', go: (pathname: string) => Promise<void>) => {
      if (name === 'person') {
        await go(scalePages.directory.path);
        await page.locator(scalePages.directory.rows).first().waitFor();
        await openPersonView(page);
      } else {
        await go(scalePages[name].path);
        await page.locator(scalePages[name].rows).first().waitFor();
      }
    };
    for (let i = 0; i < loads; i++) {
      for (const name of names) {
        const page = await signedInPage(browser, api.tokens.admin);
        const began = performance.now();
        await show(page, name, async (pathname) => void (await page.goto(`${url}/console${pathname}`)));
        cold[name].push(performance.now() - began);
        await page.context().close();
      }
      const page = await signedInPage(browser, api.tokens.admin);
      await page.goto(`${url}/console/directory`);
      await page.getByTestId('whoami').waitFor();
      for (const name of names) {
        const began = performance.now();
        await show(page, name, (pathname) => page.evaluate(`history.pushState({}, '', '/console${pathname}'); dispatchEvent(new PopStateEvent('popstate'))`));
        warm[name].push(performance.now() - began);
      }
      await page.context().close();
    }
    const ms = (n: number) => Math.round(n);
    console.log(
      table(
        ['page', 'API answer p50 / p95 (ms)', 'cold p50 (ms)', 'cold p95 (ms)', 'warm p50 (ms)', 'warm p95 (ms)'],
        names.map((name) => [name, `${ms(percentile(apiMs[name], 50))} / ${ms(percentile(apiMs[name], 95))}`, ms(percentile(cold[name], 50)), ms(percentile(cold[name], 95)), ms(percentile(warm[name], 50)), ms(percentile(warm[name], 95))]),
      ),
    );
    const [one, five, fifteen] = os.loadavg().map((n) => n.toFixed(2));
    console.log(`\nload average at the end: ${one} / ${five} / ${fifteen} (${os.cpus().length} cores)`);
  } finally {
    await browser.close();
    await api.app.close();
    await database.close();
  }
}
