// The console's large lists, seeded straight into the database for test/console/console.scale.browser.test.ts
// (paged and virtualised: what each page asks of the API and holds in its DOM) and `npm run bench -- console`
// (how long each page takes to show its content): 1,000 tasks, 1,000 runs of one task, a run of 10,000 items,
// 10,000 staged deletions, 10,000 hub people, and one person linked in every downstream task.
import type { Browser, Page } from 'playwright-core';
import type { Database } from '../../db/client';
import { hubUsers, pendingDeletions, runItems, syncRuns, syncTasks, taskLinks } from '../../db/schema';
import type { SecretBox } from '../../db/secret-box';

export const consoleScale = {
  tasks: 1_000,
  runs: 1_000,
  items: 10_000,
  pendingDeletions: 10_000,
  people: 10_000,
  /** the task with the 1,000 runs, the run with the 10,000 items, the person linked everywhere */
  taskId: 'scale-task-0000',
  runId: 'scale-run-big',
  personId: 'scale-person-00000',
} as const;

/** tasks 0, 3, 6, … are upstream; the rest downstream (the person is linked in each of those) */
export const scaleDownstreamTasks = Array.from({ length: consoleScale.tasks }, (_, i) => i).filter((i) => i % 3 !== 0).length;

async function insertInChunks<T>(insert: (rows: T[]) => Promise<unknown>, rows: T[], size = 1_000): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

export async function seedConsoleScale(database: Database, secretBox: SecretBox): Promise<void> {
  const db = database.db;
  const { taskId, runId } = consoleScale;
  const sealed = secretBox.seal({ corpSecret: 'scale-secret' });
  const taskIdOf = (i: number) => `scale-task-${String(i).padStart(4, '0')}`;
  await insertInChunks(
    (rows) => db.insert(syncTasks).values(rows),
    Array.from({ length: consoleScale.tasks }, (_, i) => ({
      id: taskIdOf(i),
      name: `Task ${String(i).padStart(4, '0')}`,
      direction: i % 3 === 0 ? ('upstream' as const) : ('downstream' as const),
      connectorKind: 'wecom',
      config: { name: `Task ${i}`, direction: i % 3 === 0 ? 'upstream' : 'downstream', connector: { kind: 'wecom', settings: { corpId: `ww${i}` } }, triggers: { manual: true, realtime: false } } as never,
      secretsSealed: sealed,
    })),
  );
  const started = (i: number) => new Date(Date.UTC(2026, 10, 1) + i * 60_000);
  await insertInChunks(
    (rows) => db.insert(syncRuns).values(rows),
    Array.from({ length: consoleScale.runs }, (_, i) => ({ id: i === consoleScale.runs - 1 ? runId : `scale-run-${i}`, taskId, trigger: 'schedule' as const, status: 'succeeded' as const, startedAt: started(i), finishedAt: started(i) })),
  );
  await insertInChunks(
    (rows) => db.insert(runItems).values(rows),
    Array.from({ length: consoleScale.items }, (_, seq) => ({
      runId,
      seq,
      batch: Math.floor(seq / 500),
      key: `user:${seq}`,
      action: seq % 10 === 0 ? 'DeleteUser' : 'UpdateUser',
      entity: 'user' as const,
      sourceId: `E${seq}`,
      displayName: `Person ${seq}`,
      status: seq % 10 === 0 ? ('staged' as const) : ('succeeded' as const),
      payload: {},
      before: { title: 'Engineer' },
      after: { title: 'Senior engineer' },
    })),
  );
  await insertInChunks(
    (rows) => db.insert(pendingDeletions).values(rows),
    Array.from({ length: consoleScale.pendingDeletions }, (_, i) => ({ id: `scale-pd-${i}`, taskId, runId, runItemId: i + 1, action: 'DeleteUser', entity: 'user' as const, targetId: `u${i}`, displayName: `Person ${i}`, reason: 'deletion protection', status: 'PENDING' as const })),
  );
  await insertInChunks(
    (rows) => db.insert(hubUsers).values(rows),
    Array.from({ length: consoleScale.people }, (_, i) => {
      const n = String(i).padStart(5, '0');
      return { id: `scale-person-${n}`, username: `person${n}`, name: `Person ${n}`, email: `person${n}@example.com`, title: 'Engineer' };
    }),
  );
  await insertInChunks(
    (rows) => db.insert(taskLinks).values(rows),
    Array.from({ length: consoleScale.tasks }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .map((i) => ({ taskId: taskIdOf(i), entity: 'user' as const, sourceId: consoleScale.personId, targetId: `remote-${i}` })),
  );
}

/** Each page of the console with the data above, and what shows that its content is there. */
export const scalePages = {
  tasks: { path: '/tasks', rows: '[data-testid^="task-card-"]' },
  runHistory: { path: `/tasks/${consoleScale.taskId}/runs`, rows: '[data-testid="run-history"] .ant-table-row' },
  runDetail: { path: `/runs/${consoleScale.runId}`, rows: '[data-testid="run-items"] .ant-table-row' },
  pendingDeletions: { path: '/pending-deletions', rows: '[data-testid="pending-deletions"] .ant-table-row' },
  directory: { path: '/directory', rows: '[data-testid="people"] .ant-table-row' },
} as const;
export type ScalePage = keyof typeof scalePages;

/** A browser context signed in as the console signs in: the token in the tab's sessionStorage. */
export async function signedInPage(browser: Browser, token: string): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  await context.addInitScript(`sessionStorage.setItem('sync-center.token', ${JSON.stringify(token)})`);
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  return page;
}

/** The person view: the directory searched for the person linked everywhere, their row clicked, their links' first row shown. */
export async function openPersonView(page: Page): Promise<void> {
  const search = page.locator('[data-testid="people-search"] input');
  await search.fill('person00000');
  await search.press('Enter');
  await page.locator('[data-testid="people"] .ant-table-row').filter({ hasText: 'person00000' }).click();
  await page.locator('[data-testid="person-links"] .ant-table-row').first().waitFor();
}
