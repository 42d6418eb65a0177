// The console with large lists: 1,000 tasks, 1,000 runs of one task, a run of 10,000 items, 10,000
// staged deletions, 10,000 hub people and one person linked in 666 apps (test/support/console-scale.ts,
// seeded straight into Postgres). Each page asks the API for a page, never the whole list (every list
// answer holds at most the limit it asked for, while the totals are the thousands), and holds far
// fewer rows in its DOM than the data: a page's worth, and in the virtualised tables fewer than that
// page. No timing is asserted (it means nothing on a loaded CI box): `npm run bench -- console`
// measures the time to content, and BENCHMARKS.md records it.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Database } from '../../db/client';
import { createSecretBox } from '../../db/secret-box';
import { startTestApi, type TestApi } from '../../api/testing';
import { launchChromium } from '../support/chromium';
import { consoleScale, openPersonView, scaleDownstreamTasks, scalePages, seedConsoleScale, signedInPage, type ScalePage } from '../support/console-scale';
import { openTestDatabase } from '../support/databases';

jest.setTimeout(300_000);

const root = path.join(__dirname, '../..');
const artifacts = path.join(root, 'test-artifacts', 'console');

/** A list answer of the API: how many items it held, the limit asked for, the total it reported. */
interface ListAnswer {
  path: string;
  limit: number | null;
  items: number;
  total: number;
}

describe('web console with large lists: paged and virtualised', () => {
  let database: Database;
  let api: TestApi;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    execFileSync(process.execPath, [path.join(root, 'scripts/build-console.js'), '--if-stale'], { stdio: 'inherit' });
    database = await openTestDatabase('postgres');
    const secretBox = createSecretBox(randomBytes(32));
    api = await startTestApi(database, { secretBox, rateLimits: { enabled: false, perToken: 1, perAnonymousIp: 1, perWebhookTask: 1, authFailuresPerIp: 1 } });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(api.app.server.address() as { port: number }).port}`;
    await seedConsoleScale(database, secretBox);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.app.close();
    await database?.close();
  });

  /** Every list answer the page gets from /api/v1 while `action` runs. */
  async function listAnswersOf(page: Page, action: () => Promise<void>): Promise<ListAnswer[]> {
    const answers: Promise<ListAnswer | null>[] = [];
    const listener = (response: import('playwright-core').Response) => {
      const target = new URL(response.url());
      if (!target.pathname.startsWith('/api/v1/') || response.request().method() !== 'GET') return;
      answers.push(
        response.json().then(
          (body: { items?: unknown[]; total?: number }) => (Array.isArray(body.items) && typeof body.total === 'number' ? { path: target.pathname + target.search, limit: target.searchParams.has('limit') ? Number(target.searchParams.get('limit')) : null, items: body.items.length, total: body.total } : null),
          () => null,
        ),
      );
    };
    page.on('response', listener);
    try {
      await action();
    } finally {
      page.off('response', listener);
    }
    return (await Promise.all(answers)).filter((a): a is ListAnswer => a !== null);
  }

  const domRows = (page: Page, rows: string) => page.locator(rows).count();

  it('each page asks the API for a page and holds far fewer rows than the data', async () => {
    const page = await signedInPage(browser, api.tokens.admin);
    const seen: Record<string, { answers: ListAnswer[]; domRows: number }> = {};
    const visit = async (name: ScalePage) => {
      const { path: pathname, rows } = scalePages[name];
      const answers = await listAnswersOf(page, async () => {
        await page.goto(`${url}/console${pathname}`);
        await page.locator(rows).first().waitFor();
        await page.waitForLoadState('networkidle');
      });
      seen[name] = { answers, domRows: await domRows(page, rows) };
      await page.screenshot({ path: path.join(artifacts, `scale-${name}.png`) });
    };
    for (const name of Object.keys(scalePages) as ScalePage[]) await visit(name);
    const personAnswers = await listAnswersOf(page, async () => {
      await openPersonView(page);
      await page.waitForLoadState('networkidle');
    });
    seen.person = { answers: personAnswers, domRows: await domRows(page, '[data-testid="person-links"] .ant-table-row') };
    await page.screenshot({ path: path.join(artifacts, 'scale-person.png') });
    console.log(`list answers and DOM rows: ${JSON.stringify(seen)}`);

    // Every list answer is one page: no more items than the limit asked for, never past the API's 500.
    for (const [name, { answers }] of Object.entries(seen)) {
      expect({ name, asked: answers.length > 0 }).toEqual({ name, asked: true });
      for (const answer of answers) expect({ name, path: answer.path, bounded: answer.limit !== null && answer.items <= answer.limit && answer.items <= 500 }).toEqual({ name, path: answer.path, bounded: true });
    }
    const answerFor = (name: string, pathPart: string) => seen[name].answers.find((a) => a.path.includes(pathPart))!;
    // The totals are the thousands the database holds; the page got a page of them.
    const lists = {
      tasks: { answer: answerFor('tasks', '/sync-tasks'), total: consoleScale.tasks },
      runHistory: { answer: answerFor('runHistory', `/sync-tasks/${consoleScale.taskId}/runs`), total: consoleScale.runs },
      runDetail: { answer: answerFor('runDetail', `/runs/${consoleScale.runId}/items`), total: consoleScale.items },
      pendingDeletions: { answer: answerFor('pendingDeletions', '/pending-deletions'), total: consoleScale.pendingDeletions },
      directory: { answer: answerFor('directory', '/users'), total: consoleScale.people },
      person: { answer: answerFor('person', `/users/${consoleScale.personId}/links`), total: scaleDownstreamTasks },
    };
    for (const [name, { answer, total }] of Object.entries(lists)) {
      expect({ name, total: answer.total, fullPage: answer.items === answer.limit }).toEqual({ name, total, fullPage: true });
      // What the DOM holds: at most the page it got, far fewer than the data.
      expect({ name, rowsAtMostThePage: seen[name].domRows <= answer.items, rowsUnderATenthOfTheData: seen[name].domRows * 10 < total }).toEqual({ name, rowsAtMostThePage: true, rowsUnderATenthOfTheData: true });
    }
    // The virtualised tables render fewer rows than the page they hold (the rest as one scrolls).
    for (const name of ['runDetail', 'pendingDeletions', 'directory'] as const) {
      expect({ name, virtualised: seen[name].domRows < lists[name].answer.items }).toEqual({ name, virtualised: true });
    }
    await page.context().close();
  });

  it("a virtualised table scrolls to its page's last row; the next page comes from the API", async () => {
    const page = await signedInPage(browser, api.tokens.admin);
    await page.goto(`${url}/console${scalePages.runDetail.path}`);
    await page.getByText(`${consoleScale.items} in all`).waitFor();
    const rows = page.locator(scalePages.runDetail.rows);
    expect(await rows.filter({ hasText: 'Person 99' }).count()).toBe(0);
    // Scrolled to the bottom of the first page: its last item (seq 99) is rendered, the first ones no longer.
    await rows.first().hover();
    for (let i = 0; i < 20 && (await rows.filter({ hasText: 'Person 99' }).count()) === 0; i++) {
      await page.mouse.wheel(0, 2_000);
      await page.waitForTimeout(100);
    }
    await rows.filter({ hasText: 'Person 99' }).first().waitFor();
    expect(await rows.filter({ hasText: /Person 0(?!\d)/ }).count()).toBe(0);
    expect(await rows.count()).toBeLessThan(100);
    // Page 2: asked of the API with offset 100.
    const answers = await listAnswersOf(page, async () => {
      await page.locator('.ant-pagination-item-2').click();
      await rows.filter({ hasText: 'Person 100' }).first().waitFor();
    });
    expect(answers.map((a) => [new URL(`${url}${a.path}`).searchParams.get('offset'), a.items])).toEqual([['100', 100]]);
    await page.context().close();
  });
});
