// The web console in a real browser (playwright-core driving Debian's Chromium) against the real
// `sync-center demo`: API, worker, Temporal dev server and the WeCom fake. As admin (in Chinese):
// the tasks canvas, a run started from its card, the run history and a run's detail. As approver
// (in English): no edit controls anywhere, one staged delete executed and another cancelled, each
// answer shown. As admin (in English): a task created through the form, a failed item retried from
// its run's detail and the person's links in every app, and an upstream task in real time (the
// debounce's 400 beside its field, the webhook URL to copy). Screenshots of every page go to
// test-artifacts/console/ (gitignored).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { demoTaskNames } from '../../cli/commands/demo';
import { launchChromium } from '../support/chromium';
import { cleanEnv, CliProcess, freePort } from '../support/cli-process';

jest.setTimeout(180_000);

const root = path.join(__dirname, '../..');
const artifacts = path.join(root, 'test-artifacts', 'console');

interface Task {
  id: string;
  name: string;
  direction: string;
}
interface PendingDeletion {
  id: string;
  displayName: string | null;
  targetId: string;
  status: string;
}

describe('web console in Chromium', () => {
  let dataDir: string;
  let apiUrl: string;
  let demo: CliProcess;
  let browser: Browser;
  let adminToken: string;
  let approverToken: string;
  let downstream: Task;

  async function api<T>(method: string, url: string, body?: unknown, token = adminToken): Promise<T> {
    const res = await fetch(`${apiUrl}/api/v1${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The run once it has finished; undefined while it runs, or before its workflow has recorded it (404). */
  async function finishedRun(id: string): Promise<{ status: string } | undefined> {
    const res = await fetch(`${apiUrl}/api/v1/runs/${id}`, { headers: { authorization: `Bearer ${adminToken}` } });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GET /runs/${id} answered ${res.status}: ${await res.text()}`);
    const run = (await res.json()) as { status: string };
    return ['pending', 'running'].includes(run.status) ? undefined : run;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });

  async function signIn(locale: string, token: string): Promise<Page> {
    const context = await browser.newContext({ locale, viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${apiUrl}/console/`);
    await page.getByTestId('token-input').fill(token);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('role').waitFor();
    return page;
  }

  beforeAll(async () => {
    fs.mkdirSync(artifacts, { recursive: true });
    // What `npm start` does first: the bundle, built when a source is newer (npm install built it).
    execFileSync(process.execPath, [path.join(root, 'scripts/build-console.js'), '--if-stale'], { stdio: 'inherit' });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-console-'));
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    const env = cleanEnv({ SYNC_CENTER_DATA_DIR: dataDir, PORT: String(port), TEMPORAL_PORT: String(await freePort()), TEMPORAL_UI_PORT: String(await freePort()) });
    const [launched] = await Promise.all([launchChromium(), (async () => {
      demo = new CliProcess(spawn(process.execPath, [path.join(root, 'cli/bin.js'), 'demo', '--wecom-port', '0'], { env }), 'demo');
      await demo.waitFor(/Demo ready/, 150_000);
    })()]);
    browser = launched;
    adminToken = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    approverToken = (await api<{ token: string }>('POST', '/tokens', { name: 'console-approver', role: 'approver' })).token;
    const { items } = await api<{ items: Task[] }>('GET', '/sync-tasks');
    downstream = items.find((t) => t.name === demoTaskNames.downstream)!;
    // Two people leave the hub: the next downstream run stages their deletes for an approver.
    for (const id of ['E1024', 'E1025']) await api('DELETE', `/users/${id}`);
  });

  afterAll(async () => {
    await browser?.close();
    if (demo && demo.child.exitCode === null) {
      demo.child.kill('SIGINT');
      await demo.exited;
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('as admin (中文): runs a task from its card, reads the run history and the run detail', async () => {
    const page = await signIn('zh-CN', adminToken);
    expect(await page.getByTestId('role').textContent()).toBe('管理员');
    const card = page.getByTestId(`task-card-${downstream.id}`);
    await card.waitFor();
    expect(await card.getAttribute('data-status')).toBe('succeeded');
    expect(await page.getByTestId('new-task').count()).toBe(1);
    await shot(page, 'tasks-admin-zh');

    // A dry run of the upstream task: requested from its card (it stores a plan and applies nothing).
    const upstreamCard = page.locator('[data-testid^="task-card-"]').filter({ hasText: demoTaskNames.upstream });
    await upstreamCard.getByTestId('dry-run').click();
    await page.getByText('已请求运行').first().waitFor();

    await card.getByTestId('run-now').click();
    await page.getByText('已请求运行').first().waitFor();
    // The card follows the run to its end: orange, two deletions waiting.
    await until('the card to show pending deletions', async () => {
      await page.getByTestId('refresh').click();
      await page.waitForTimeout(300);
      return (await card.getAttribute('data-status')) === 'pending_deletions' ? true : undefined;
    });
    await card.getByText('2 项待审批删除').waitFor();
    await shot(page, 'tasks-after-run-zh');

    await card.getByText('同步记录').click();
    const history = page.getByTestId('run-history');
    await history.getByText('用户 成功/总数').waitFor();
    await history.locator('.ant-table-row').first().getByText('成功').waitFor();
    expect(await history.locator('.ant-table-row').count()).toBe(2);
    await shot(page, 'run-history-zh');

    await history.locator('.ant-table-row').first().getByTestId('run-detail-link').click();
    await page.getByTestId('run-detail-status').waitFor();
    await page.getByTestId('filter-status').click();
    await page.locator('.ant-select-item-option').filter({ hasText: '待审批' }).click();
    const staged = page.getByTestId('run-items').locator('.ant-table-row');
    await until('two staged items', async () => ((await staged.count()) === 2 && (await staged.filter({ hasText: 'DeleteUser' }).count()) === 2 ? true : undefined));
    await staged.first().locator('.ant-table-row-expand-icon').click();
    await page.getByTestId('item-changes').first().waitFor();
    await shot(page, 'run-detail-zh');
    // Export CSV: fetched with the token, handed to the browser as a file download.
    await page.getByTestId('export').hover();
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.ant-dropdown-menu-item').filter({ hasText: 'CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^run-.+\.csv$/);
    const csv = fs.readFileSync(await download.path(), 'utf8');
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.split('\n').filter((line) => line.includes('DeleteUser'))).toHaveLength(2);
    // Export XLSX: read back with the library the API writes it with (exceljs), a staged delete's row checked.
    await page.getByTestId('export').hover();
    const [xlsxDownload] = await Promise.all([page.waitForEvent('download'), page.locator('.ant-dropdown-menu-item').filter({ hasText: 'XLSX' }).click()]);
    expect(xlsxDownload.suggestedFilename()).toMatch(/^run-.+\.xlsx$/);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(await xlsxDownload.path());
    const sheet = workbook.getWorksheet('Items')!;
    const rows = sheet.getSheetValues().filter((row): row is ExcelJS.CellValue[] => Array.isArray(row)).map((row) => row.slice(1).map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
    const [header, ...body] = rows;
    expect(header.slice(0, 7)).toEqual(['seq', 'entity', 'action', 'status', 'sourceId', 'targetId', 'displayName']);
    const deletes = body.filter((row) => row[header.indexOf('action')] === 'DeleteUser');
    expect(deletes.map((row) => [row[header.indexOf('entity')], row[header.indexOf('status')], row[header.indexOf('sourceId')]]).sort()).toEqual([
      ['user', 'staged', 'E1024'],
      ['user', 'staged', 'E1025'],
    ]);
    await page.context().close();
  });

  it('as approver (English): sees no edit control, executes one staged delete and cancels the other', async () => {
    const pending = await until('two pending deletions', async () => {
      const page = await api<{ items: PendingDeletion[] }>('GET', `/pending-deletions?taskId=${downstream.id}&status=PENDING`);
      return page.items.length === 2 ? page.items : undefined;
    });
    const page = await signIn('en-US', approverToken);
    expect(await page.getByTestId('role').textContent()).toBe('Approver');
    await page.getByTestId(`task-card-${downstream.id}`).waitFor();
    for (const control of ['new-task', 'run-now', 'dry-run', 'edit-task', 'delete-task', 'enable-switch']) expect({ control, count: await page.getByTestId(control).count() }).toEqual({ control, count: 0 });
    await shot(page, 'tasks-approver-en');

    await page.getByRole('menuitem', { name: 'Pending deletions' }).click();
    const rows = page.getByTestId('pending-deletions').locator('.ant-table-row');
    await until('both rows', async () => ((await rows.count()) === 2 ? true : undefined));
    await shot(page, 'pending-deletions-en');
    const [toExecute, toCancel] = pending;
    const label = (p: PendingDeletion) => p.displayName ?? p.targetId;

    await rows.filter({ hasText: label(toExecute) }).locator('.ant-checkbox-input').check();
    await page.getByTestId('execute-selected').click();
    await page.locator('.ant-modal-confirm-title', { hasText: 'Execute 1 staged deletion(s)?' }).waitFor();
    await page.getByTestId('confirm-decision').click();
    await page.getByTestId(`decision-${toExecute.id}`).getByText('accepted').waitFor();

    await page.getByTestId('filter-status').click();
    await page.locator('.ant-select-item-option').filter({ hasText: 'All statuses' }).click();
    await rows.filter({ hasText: label(toCancel) }).locator('.ant-checkbox-input').check();
    await page.getByTestId('cancel-selected').click();
    await page.locator('.ant-modal-confirm-content', { hasText: 'Cancelling is final' }).waitFor();
    await page.getByTestId('confirm-decision').click();
    await page.getByTestId(`decision-${toCancel.id}`).getByText('accepted').waitFor();
    await shot(page, 'pending-deletions-decided-en');

    const statuses = await until('the executed delete to finish', async () => {
      const { items } = await api<{ items: PendingDeletion[] }>('GET', `/pending-deletions?taskId=${downstream.id}`);
      const byId = new Map(items.map((p) => [p.id, p.status]));
      return byId.get(toExecute.id) === 'SUCCEEDED' ? { executed: byId.get(toExecute.id), canceled: byId.get(toCancel.id) } : undefined;
    });
    expect(statuses).toEqual({ executed: 'SUCCEEDED', canceled: 'CANCELED' });
    await page.context().close();
  });

  it('as admin (English): creates a WeCom task through the form (a 400 beside its field, a failing then a passing connection test); a refused task turns red, is disabled and deleted', async () => {
    const [, baseUrl, corpId] = demo.output.match(/API base (\S+), corp id (\S+)\)/)!;
    const page = await signIn('en-US', adminToken);
    await page.getByTestId('new-task').click();
    await page.getByTestId('task-form').waitFor();
    const name = `Console: hub to WeCom ${Date.now()}`;
    await page.locator('#name').fill(name);
    await page.getByText('Downstream', { exact: true }).click();
    await page.locator('#connector_settings_baseUrl').fill(baseUrl);
    await page.locator('#connector_secrets_corpSecret').fill('demo-corp-secret');
    // No corp id: the API's 400 names connector.settings.corpId, and the form shows it under that input.
    await page.getByTestId('save-task').click();
    const corpIdItem = page.locator('.ant-form-item').filter({ has: page.locator('label', { hasText: /^corpId$/ }) });
    await corpIdItem.locator('.ant-form-item-explain-error').waitFor();
    await shot(page, 'task-form-400-en');

    await page.locator('#connector_settings_corpId').fill(corpId);
    await page.locator('#connector_secrets_corpSecret').fill('not-the-secret');
    await page.getByTestId('test-connection').click();
    await page.getByTestId('check-credentials').and(page.locator('[data-ok="false"]')).waitFor();
    expect(await page.getByTestId('connection-result').textContent()).toMatch(/A check failed/);
    await shot(page, 'task-form-test-failed-en');

    await page.locator('#connector_secrets_corpSecret').fill('demo-corp-secret');
    await page.getByTestId('test-connection').click();
    await page.getByTestId('connection-result').getByText('Every check passed').waitFor();
    expect(await page.locator('[data-testid^="check-"][data-ok="false"]').count()).toBe(0);
    await shot(page, 'task-form-test-passed-en');

    // The mapping's preview on real hub users: an expression row's values as the run would write them.
    await page.locator('#fieldMapping_2_target').inputValue().then((target) => expect(target).toBe('email'));
    await page.locator('#fieldMapping_2_expression').fill('$uppercase(email)');
    await page.getByTestId('preview-mapping').click();
    const previewRows = page.getByTestId('mapping-preview').locator('.ant-table-row');
    await previewRows.first().waitFor();
    expect(await previewRows.count()).toBe(5);
    const emailColumn = (await page.getByTestId('mapping-preview').locator('th').allTextContents()).indexOf('email');
    const emails = await previewRows.evaluateAll((rows, column) => rows.map((row) => row.children[column]?.textContent ?? ''), emailColumn);
    expect(emails.every((email) => email === '—' || (email.includes('@') && email === email.toUpperCase()))).toBe(true);
    await shot(page, 'task-form-preview-en');

    await page.getByTestId('save-task').click();
    await page.getByTestId('run-history').waitFor();
    const { items } = await api<{ items: (Task & { hasSecrets: string[]; config: { connector: { settings: Record<string, unknown> } } })[] }>('GET', '/sync-tasks');
    const created = items.find((t) => t.name === name)!;
    expect({ direction: created.direction, hasSecrets: created.hasSecrets, settings: created.config.connector.settings }).toEqual({ direction: 'downstream', hasSecrets: ['corpSecret'], settings: { baseUrl, corpId } });

    // Edited through the same form: a new name is PATCHed, the stored secret kept (never shown).
    await page.getByRole('menuitem', { name: 'Sync tasks' }).click();
    await page.getByTestId(`task-card-${created.id}`).getByTestId('edit-task').click();
    await page.locator('#connector_secrets_corpSecret').waitFor();
    expect(await page.locator('#connector_secrets_corpSecret').inputValue()).toBe('');
    expect(await page.locator('#connector_secrets_corpSecret').getAttribute('placeholder')).toBe('stored (leave empty to keep)');
    await page.locator('#name').fill(`${name} (edited)`);
    await page.getByTestId('save-task').click();
    await page.getByTestId('run-history').waitFor();
    expect(await api<{ name: string; hasSecrets: string[] }>('GET', `/sync-tasks/${created.id}`)).toMatchObject({ name: `${name} (edited)`, hasSecrets: ['corpSecret'] });

    // A task whose secret the app refuses: run from its card, it turns red with the vendor's error.
    const broken = await api<Task>('POST', '/sync-tasks', { name: 'Console: refused secret', direction: 'downstream', connector: { kind: 'wecom', settings: { baseUrl, corpId }, secrets: { corpSecret: 'revoked-secret' } } });
    await page.getByRole('menuitem', { name: 'Sync tasks' }).click();
    const card = page.getByTestId(`task-card-${broken.id}`);
    expect(await card.getAttribute('data-status')).toBe('never_run');
    await card.getByTestId('run-now').click();
    await until('the card to turn red', async () => {
      await page.getByTestId('refresh').click();
      await page.waitForTimeout(300);
      return (await card.getAttribute('data-status')) === 'failed' ? true : undefined;
    });
    expect(await card.getByTestId('task-error').textContent()).toContain('40001');
    await shot(page, 'tasks-failed-en');
    // Disabled: dimmed, and it cannot be run; deleted after the confirmation, its card gone.
    await card.getByTestId('enable-switch').click();
    await until('the card to be disabled', async () => ((await card.getAttribute('data-status')) === 'disabled' ? true : undefined));
    expect(await card.getByTestId('run-now').isDisabled()).toBe(true);
    await card.getByTestId('delete-task').click();
    await page.locator('.ant-modal-confirm-title', { hasText: 'Delete the task "Console: refused secret"?' }).waitFor();
    await page.getByTestId('confirm-delete').click();
    await card.waitFor({ state: 'detached' });
    await page.context().close();
  });

  it("as admin (English): a failed item retried from its run's detail; the person's links in every app", async () => {
    // A person the app refuses (WeCom wants a mobile or an email): the run's item for them fails.
    const [someone] = (await api<{ items: { departmentIds: string[] }[] }>('GET', '/users?limit=1')).items;
    await api('POST', '/users', { id: 'E9001', username: 'no-contact', name: 'No Contact', departmentIds: someone.departmentIds });
    const { runId } = await api<{ runId: string }>('POST', `/sync-tasks/${downstream.id}/runs`, { dryRun: false });
    const finished = await until('the run to finish', async () => (await finishedRun(runId))?.status, 120_000);
    // Nothing else to write but the staged deletes: the run is failed (no item succeeded) or partially failed.
    expect(['failed', 'partially_failed']).toContain(finished);
    const { items: failedItems } = await api<{ items: { sourceId: string | null; action: string; errorCode: string | null; errorMessage: string | null }[] }>('GET', `/runs/${runId}/items?status=failed`);
    expect(failedItems.map((i) => [i.sourceId, i.action, i.errorCode])).toEqual([['E9001', 'CreateUser', 'invalid_input']]);
    const vendorError = failedItems[0].errorMessage!;

    const page = await signIn('en-US', adminToken);
    await page.goto(`${apiUrl}/console/runs/${runId}`);
    await page.getByTestId('run-detail-status').getByText(finished === 'failed' ? 'Failed' : 'Partially failed', { exact: true }).waitFor();
    await page.getByTestId('filter-status').click();
    await page.locator('.ant-select-item-option').filter({ hasText: 'Failed' }).click();
    const failedRows = page.getByTestId('run-items').locator('.ant-table-row');
    await until('the failed item alone', async () => ((await failedRows.count()) === 1 && (await failedRows.filter({ hasText: 'No Contact' }).count()) === 1 ? true : undefined));
    await failedRows.first().locator('.ant-table-row-expand-icon').click();
    await page.getByTestId('item-changes').getByText(`invalid_input: ${vendorError}`).waitFor();
    await shot(page, 'run-detail-failed-en');

    // The person fixed in the hub, the failed item retried from the run's detail: a run over their id alone.
    await api('PATCH', '/users/E9001', { email: 'no-contact@example.com' });
    await page.getByTestId('retry-failed').click();
    const notice = await page.locator('.ant-message-notice').filter({ hasText: /Retry run .+ requested \(1 source ids\)/ }).textContent();
    const retryRunId = /Retry run (\S+) requested/.exec(notice ?? '')![1];
    const retried = await until('the retry run to finish', () => finishedRun(retryRunId), 120_000);
    expect(retried.status).toBe('succeeded');
    const { items: retriedItems } = await api<{ items: { sourceId: string | null; action: string; status: string }[] }>('GET', `/runs/${retryRunId}/items?entity=user`);
    expect(retriedItems.map((i) => [i.sourceId, i.action, i.status])).toEqual([['E9001', 'CreateUser', 'succeeded']]);

    // The person's view in the directory: linked in WeCom now, with the app's id and the last write.
    const { items: links } = await api<{ items: { taskId: string; status: string; remoteId: string | null }[] }>('GET', '/users/E9001/links');
    const wecomLink = links.find((l) => l.taskId === downstream.id)!;
    expect({ status: wecomLink.status, linked: typeof wecomLink.remoteId }).toEqual({ status: 'linked', linked: 'string' });
    await page.getByRole('menuitem', { name: 'Hub directory' }).click();
    await page.getByTestId('people-search').locator('input').fill('no-contact');
    await page.getByTestId('people-search').locator('input').press('Enter');
    await page.getByTestId('people').locator('.ant-table-row').filter({ hasText: 'no-contact' }).click();
    const row = page.getByTestId('person-links').locator('.ant-table-row').filter({ has: page.getByTestId(`link-${downstream.id}`) });
    await row.getByTestId('link-status').and(page.locator('[data-status="linked"]')).waitFor();
    await row.getByText(wecomLink.remoteId!, { exact: true }).waitFor();
    await row.getByText('CreateUser').waitFor();
    // An upstream task is listed only where it is the person's source: E9001 came from the API.
    expect(await page.getByTestId('person-links').getByText(demoTaskNames.upstream).count()).toBe(0);
    await shot(page, 'person-links-en');
    await page.context().close();
  });

  it('as admin (English): an upstream WeCom task in real time: the debounce refused beside its field, then the webhook URL to copy', async () => {
    const [, baseUrl, corpId] = demo.output.match(/API base (\S+), corp id (\S+)\)/)!;
    const page = await signIn('en-US', adminToken);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: apiUrl });
    await page.getByTestId('new-task').click();
    await page.getByTestId('task-form').waitFor();
    const name = `Console: WeCom to hub in real time ${Date.now()}`;
    await page.locator('#name').fill(name);
    await page.getByText('Upstream', { exact: true }).click();
    await page.locator('#connector_settings_baseUrl').fill(baseUrl);
    // Another corp than the demo's downstream one: one app is never both upstream and downstream of the hub.
    await page.locator('#connector_settings_corpId').fill(`${corpId}-hr`);
    await page.locator('#connector_secrets_corpSecret').fill('demo-corp-secret');
    await page.locator('#connector_secrets_callbackToken').fill('console-callback-token');
    await page.locator('#connector_secrets_callbackEncodingAesKey').fill('a'.repeat(43));
    await page.locator('#triggers_realtime').click();
    // Ten minutes is the most the API takes: 700000 ms is its 400, shown under the debounce input.
    await page.locator('#realtimeDebounceMs').fill('700000');
    await page.locator('#requireSecondApprover').click();
    await page.getByTestId('save-task').click();
    const debounceItem = page.locator('.ant-form-item').filter({ has: page.locator('#realtimeDebounceMs') });
    await debounceItem.locator('.ant-form-item-explain-error').waitFor();
    await shot(page, 'task-form-realtime-400-en');
    await page.locator('#realtimeDebounceMs').fill('3000');
    await page.getByTestId('save-task').click();
    await page.getByTestId('run-history').waitFor();
    const { items } = await api<{ items: (Task & { webhookUrl: string | null; config: { triggers: { realtime: boolean }; realtimeDebounceMs: number; requireSecondApprover: boolean } })[] }>('GET', '/sync-tasks?limit=500');
    const created = items.find((t) => t.name === name)!;
    expect({ direction: created.direction, realtime: created.config.triggers.realtime, debounce: created.config.realtimeDebounceMs, second: created.config.requireSecondApprover }).toEqual({ direction: 'upstream', realtime: true, debounce: 3000, second: true });
    expect(created.webhookUrl).toMatch(new RegExp(`/api/v1/webhooks/${created.id}$`));
    const webhookUrl = created.webhookUrl!.startsWith('/') ? `${apiUrl}${created.webhookUrl}` : created.webhookUrl!;

    // The edit form shows the stored timing and the webhook URL, copied with one click.
    await page.getByRole('menuitem', { name: 'Sync tasks' }).click();
    await page.getByTestId(`task-card-${created.id}`).getByTestId('edit-task').click();
    const shown = page.getByTestId('webhook-url');
    await shown.waitFor();
    expect(await page.locator('#realtimeDebounceMs').inputValue()).toBe('3000');
    expect(await page.locator('#requireSecondApprover').getAttribute('aria-checked')).toBe('true');
    expect((await shown.textContent())?.trim()).toBe(webhookUrl);
    await shown.locator('.ant-typography-copy').click();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(webhookUrl);
    await shot(page, 'task-form-realtime-en');
    await api('DELETE', `/sync-tasks/${created.id}`);
    await page.context().close();
  });
});
