// `sync-center tasks|runs|approvals` against a real API listening on a port (PGlite, with Temporal
// replaced by a control that records requests and writes the run a worker would): what people and
// scripts see, and that every argument error names its flag. The real stack is in demo.test.ts.
import { decidePendingDeletions } from '../db/repos/pending-deletion-decisions';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { openDatabase, type Database } from '../db/client';
import { startWecomFake } from '../connectors/wecom/fake';
import type { RunningFake } from '../connectors/types';
import { pendingDeletions, runItems, syncRuns, syncTasks } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import type { TemporalControl } from '../api/temporal-control';
import { startTestApi, testAdminToken, type TestApi } from '../api/testing';
import { displayWidth } from './commands/output';
import { main } from './main';

jest.setTimeout(60_000);

const corpSecret = `corp-secret-${randomBytes(8).toString('hex')}`;

let database: Database;
let api: TestApi;
let tmp: string;
const requests: { taskId: string; dryRun?: boolean }[] = [];
const signals: { runId: string; action: string; ids: string[] }[] = [];
const savedEnv = { ...process.env };

/** Answers a run request by writing the finished run row a worker would write. */
function fakeTemporal(): TemporalControl {
  return {
    ensureTask: async () => undefined,
    removeTask: async () => undefined,
    runProgress: async () => undefined,
    requestRun: async (task, request) => {
      const runId = randomUUID();
      requests.push({ taskId: task.id, dryRun: request.dryRun });
      await database.db.insert(syncRuns).values({ id: runId, taskId: task.id, trigger: 'manual', status: 'succeeded', dryRun: request.dryRun ?? false, finishedAt: new Date() });
      return { runId, coalesced: false };
    },
    signalApproval: async () => 'closed',
    approvalItemsChanged: async () => undefined,
    // What the approval workflow's Update does: the real decision against the database.
    decideApproval: async ({ runId }, request) => {
      signals.push({ runId, action: request.action, ids: request.ids });
      const outcomes = await decidePendingDeletions(database.db, { runId, ...request });
      const refused = outcomes.flatMap((o) => (o.result === 'accepted' ? [] : [{ id: o.id, result: o.result, status: o.status }]));
      return { accepted: outcomes.length - refused.length, refused };
    },
  };
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const wecomTask = {
  name: 'Hub to WeCom',
  direction: 'downstream',
  connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:18081/cgi-bin', corpId: 'ww-cli' }, secrets: { corpSecret } },
};

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-cli-'));
  database = await openDatabase({});
  api = await startTestApi(database, { secretBox: createSecretBox(randomBytes(32)), temporal: fakeTemporal(), logger: false });
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = api.app.server.address() as { port: number };
  Object.assign(process.env, { SYNC_CENTER_API_URL: `http://127.0.0.1:${port}`, SYNC_CENTER_ADMIN_TOKEN: testAdminToken, SYNC_CENTER_DATA_DIR: tmp });
});

afterAll(async () => {
  process.env = savedEnv;
  await api?.app.close();
  await database?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('tasks', () => {
  let taskId: string;

  it('creates a task from a file, then lists and shows it without its secret', async () => {
    const file = path.join(tmp, 'task.json');
    fs.writeFileSync(file, JSON.stringify(wecomTask));
    const created = await cli('tasks', 'create', '--file', file, '--json');
    expect(created.code).toBe(0);
    taskId = JSON.parse(created.stdout).id;

    const listed = await cli('tasks', 'list');
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+DIRECTION\s+CONNECTOR\s+ENABLED\s+STATUS/);
    expect(listed.stdout).toMatch(new RegExp(`${taskId}\\s+Hub to WeCom\\s+downstream\\s+wecom\\s+yes\\s+never_run`));
    expect(JSON.parse((await cli('tasks', 'list', '--json')).stdout)).toEqual([expect.objectContaining({ id: taskId, name: 'Hub to WeCom' })]);

    const shown = await cli('tasks', 'show', taskId);
    expect(shown.stdout).toMatch(/secrets stored\s+corpSecret/);
    expect(shown.stdout).toContain('"corpId": "ww-cli"');
    for (const output of [created, listed, shown]) expect(output.stdout + output.stderr).not.toContain(corpSecret);
  });

  it('refuses a bad task file naming the flag, and a bad configuration naming the field', async () => {
    const missing = await cli('tasks', 'create', '--file', path.join(tmp, 'nope.json'));
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--file') });
    expect(missing.stderr).toContain('ENOENT');
    const notJson = path.join(tmp, 'bad.json');
    fs.writeFileSync(notJson, '{ name: ');
    expect(await cli('tasks', 'create', '--file', notJson)).toMatchObject({ code: 2, stderr: expect.stringContaining(`--file ${notJson} is not valid JSON`) });
    const badConfig = path.join(tmp, 'bad-config.json');
    fs.writeFileSync(badConfig, JSON.stringify({ ...wecomTask, name: 'Another', fieldMapping: [{ target: 'title', expression: '$lowercase(' }] }));
    const refused = await cli('tasks', 'create', '--file', badConfig);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('400') });
    expect(refused.stderr).toContain('fieldMapping.0.expression');
    expect(await cli('tasks', 'create')).toMatchObject({ code: 2, stderr: expect.stringContaining('--file is required') });
  });

  it('runs a task (dry or waited for), and refuses to run it while disabled', async () => {
    const dry = await cli('tasks', 'run', taskId, '--dry-run');
    expect(dry).toMatchObject({ code: 0, stdout: expect.stringMatching(/^run \S+ requested; follow it with `sync-center runs show \S+`/) });
    expect(requests.at(-1)).toEqual({ taskId, dryRun: true });

    const waited = await cli('tasks', 'run', taskId, '--wait');
    expect(waited).toMatchObject({ code: 0, stdout: expect.stringMatching(/^run \S+ succeeded: departments 0\/0 created, users 0\/0 created/) });

    expect((await cli('tasks', 'disable', taskId)).stdout).toContain('is disabled');
    const refused = await cli('tasks', 'run', taskId);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('409') });
    expect(refused.stderr).toContain('is disabled');
    expect(JSON.parse((await cli('tasks', 'enable', taskId, '--json')).stdout)).toMatchObject({ id: taskId, enabled: true });
  });

  it('names what is wrong with the arguments', async () => {
    expect(await cli('tasks', 'show')).toMatchObject({ code: 2, stderr: expect.stringContaining('tasks show: expected the task id') });
    expect(await cli('tasks', 'show', 'a', 'b')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected one task id, got 2') });
    expect(await cli('tasks', 'list', '--json=yes')).toMatchObject({ code: 2, stderr: expect.stringContaining('--json takes no value') });
    expect(await cli('tasks', 'list', '--verbose')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown flag --verbose') });
    expect(await cli('tasks', 'frobnicate')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown subcommand "frobnicate"') });
    expect(await cli('tasks', 'show', 'no-such-task')).toMatchObject({ code: 1, stderr: expect.stringContaining('404') });
  });

  it('deletes a task; its run history stays', async () => {
    const file = path.join(tmp, 'doomed.json');
    fs.writeFileSync(file, JSON.stringify({ ...wecomTask, name: 'Doomed', connector: { ...wecomTask.connector, settings: { ...wecomTask.connector.settings, corpId: 'ww-doomed' } } }));
    const id = JSON.parse((await cli('tasks', 'create', '--file', file, '--json')).stdout).id as string;
    await cli('tasks', 'run', id);
    expect((await cli('tasks', 'delete', id)).stdout).toContain(`deleted task ${id}`);
    expect((await cli('tasks', 'show', id)).code).toBe(1);
    expect(JSON.parse((await cli('runs', 'list', '--task', id, '--json')).stdout)).toHaveLength(1);
  });
});

describe('runs and approvals', () => {
  let taskId: string;
  const runId = `run-${randomBytes(4).toString('hex')}`;
  const pendingIds = [`pd-${randomBytes(4).toString('hex')}`, `pd-${randomBytes(4).toString('hex')}`];

  beforeAll(async () => {
    const file = path.join(tmp, 'runs-task.json');
    fs.writeFileSync(file, JSON.stringify({ ...wecomTask, name: 'Runs', connector: { ...wecomTask.connector, settings: { ...wecomTask.connector.settings, corpId: 'ww-runs' } } }));
    taskId = JSON.parse((await cli('tasks', 'create', '--file', file, '--json')).stdout).id;
    await database.db.insert(syncRuns).values({ id: runId, taskId, trigger: 'manual', status: 'partially_failed', finishedAt: new Date() });
    const item = (seq: number, entity: 'department' | 'user', action: string, status: 'succeeded' | 'failed' | 'staged', extra: Record<string, unknown> = {}) => ({
      runId, seq, batch: 0, key: `${entity}:${seq}`, action, entity, sourceId: `${entity}-${seq}`, displayName: `${entity} ${seq}`, status, payload: {}, ...extra,
    });
    const rows = await database.db
      .insert(runItems)
      .values([
        item(0, 'department', 'CreateDepartment', 'succeeded', { displayName: '研发部', after: { name: '研发部', parentId: null } }),
        item(1, 'user', 'CreateUser', 'succeeded', { displayName: '张三', after: { name: '张三', title: 'Engineer', email: '' } }),
        item(2, 'user', 'UpdateUser', 'failed', { before: { title: 'Dev' }, after: { title: 'Lead' }, errorCode: '60104', errorMessage: 'mobile existed' }),
        item(3, 'user', 'DeleteUser', 'staged', { targetId: 'u3' }),
        item(4, 'user', 'DeleteUser', 'staged', { targetId: 'u4' }),
      ])
      .returning({ id: runItems.id, seq: runItems.seq });
    const itemId = (seq: number) => rows.find((r) => r.seq === seq)!.id;
    await database.db.insert(pendingDeletions).values(
      pendingIds.map((id, i) => ({ id, taskId, runId, runItemId: itemId(3 + i), action: 'DeleteUser', entity: 'user' as const, targetId: `u${3 + i}`, displayName: `user ${3 + i}`, reason: 'deletion protection', status: 'PENDING' as const })),
    );
  });

  it('lists, shows and filters runs and their items', async () => {
    const listed = await cli('runs', 'list', '--task', taskId);
    expect(listed.stdout).toMatch(new RegExp(`${runId}\\s+partially_failed\\s+manual`));
    expect(JSON.parse((await cli('runs', 'list', '--task', taskId, '--status', 'succeeded', '--json')).stdout)).toEqual([]);

    const shown = await cli('runs', 'show', runId);
    expect(shown.stdout).toMatch(/status\s+partially_failed/);
    expect(shown.stdout).toMatch(/user updates\s+0\/3 succeeded, 1 failed/);
    expect(shown.stdout).toMatch(/items by status\s+.*staged 2/);

    const items = await cli('runs', 'items', runId);
    const lines = items.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    // Chinese names take two columns each: the columns after them still line up.
    const statusColumn = (line: string) => displayWidth(line.slice(0, line.search(/STATUS|succeeded|failed|staged/)));
    expect(new Set(lines.map(statusColumn)).size).toBe(1);
    expect(lines[2]).toContain('name: 张三; title: Engineer');
    expect(lines[2]).not.toContain('email');
    expect(lines[3]).toContain('title: Dev → Lead');
    expect(lines[3]).toContain('60104 mobile existed');

    const failed = JSON.parse((await cli('runs', 'items', runId, '--status', 'failed', '--json')).stdout);
    expect(failed.map((i: { seq: number }) => i.seq)).toEqual([2]);
    const creates = JSON.parse((await cli('runs', 'items', runId, '--entity', 'user', '--action', 'CreateUser', '--json')).stdout);
    expect(creates.map((i: { seq: number }) => i.seq)).toEqual([1]);
  });

  it('exports a run as CSV and XLSX to a file', async () => {
    const csv = path.join(tmp, 'run.csv');
    expect((await cli('runs', 'export', runId, '--format', 'csv', '--out', csv)).stderr).toContain(`to ${csv}`);
    const text = fs.readFileSync(csv, 'utf8');
    expect(text).toContain('张三');
    expect(text).toContain('mobile existed');

    const xlsx = path.join(tmp, 'run.xlsx');
    expect((await cli('runs', 'export', runId, '--format=xlsx', '--out', xlsx)).code).toBe(0);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(xlsx);
    expect(book.worksheets[0].rowCount).toBeGreaterThanOrEqual(6);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('names the flag in run argument errors, and writes no file when the run does not exist', async () => {
    expect(await cli('runs', 'list')).toMatchObject({ code: 2, stderr: expect.stringContaining('--task is required') });
    expect(await cli('runs', 'list', '--task', taskId, '--status', 'done')).toMatchObject({ code: 2, stderr: expect.stringContaining('--status must be one of pending, running, succeeded') });
    expect(await cli('runs', 'items', runId, '--entity', 'group')).toMatchObject({ code: 2, stderr: expect.stringContaining('--entity must be one of department, user') });
    expect(await cli('runs', 'export', runId, '--format', 'pdf', '--out', 'x')).toMatchObject({ code: 2, stderr: expect.stringContaining('--format must be one of csv, xlsx') });
    expect(await cli('runs', 'export', runId, '--format', 'csv')).toMatchObject({ code: 2, stderr: expect.stringContaining('--out is required') });
    expect(await cli('runs', 'export', runId, '--format', 'csv', '--out', path.join(tmp, 'no-dir', 'x.csv'))).toMatchObject({ code: 2, stderr: expect.stringContaining('does not exist') });
    const out = path.join(tmp, 'missing-run.csv');
    expect(await cli('runs', 'export', 'no-such-run', '--format', 'csv', '--out', out)).toMatchObject({ code: 1, stderr: expect.stringContaining('404') });
    expect(fs.existsSync(out)).toBe(false);
  });

  it('lists pending deletions and decides them, one result per id', async () => {
    const listed = await cli('approvals', 'list', '--task', taskId, '--status', 'PENDING');
    for (const id of pendingIds) expect(listed.stdout).toMatch(new RegExp(`${id}\\s+PENDING\\s+DeleteUser\\s+user \\d`));
    expect(JSON.parse((await cli('approvals', 'list', '--run', runId, '--json')).stdout)).toHaveLength(2);

    const executed = await cli('approvals', 'execute', pendingIds[0]);
    expect(executed).toMatchObject({ code: 0, stdout: `${pendingIds[0]}  accepted: executing now\n` });
    expect(signals.at(-1)).toEqual({ runId, action: 'execute', ids: [pendingIds[0]] });

    // A decided item and an unknown id are answered, and the exit code says not all went through.
    await database.db.update(pendingDeletions).set({ status: 'CANCELED' });
    const mixed = await cli('approvals', 'execute', pendingIds[1], 'pd-unknown', '--json');
    expect(mixed.code).toBe(1);
    expect(JSON.parse(mixed.stdout)).toEqual([
      { id: pendingIds[1], result: 'already_canceled', status: 'CANCELED' },
      { id: 'pd-unknown', result: 'not_found' },
    ]);
    expect(await cli('approvals', 'list', '--status', 'PENDING')).toMatchObject({ code: 0, stdout: 'nothing awaits approval\n' });
  });

  it('names the flag in approval argument errors', async () => {
    expect(await cli('approvals', 'cancel')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected one or more pending deletion ids') });
    expect(await cli('approvals', 'list', '--status', 'pending')).toMatchObject({ code: 2, stderr: expect.stringContaining('--status must be one of PENDING, EXECUTING') });
    expect(await cli('approvals', 'list', '--task')).toMatchObject({ code: 2, stderr: expect.stringContaining('--task needs a value') });
  });
});

describe('connection test', () => {
  let fake: RunningFake;
  const fakeSecret = `fake-secret-${randomBytes(6).toString('hex')}`;
  const taskFile = (secret: string) => {
    const file = path.join(tmp, `test-${randomBytes(3).toString('hex')}.json`);
    const body = { name: `Hub to test WeCom ${randomBytes(3).toString('hex')}`, direction: 'downstream', connector: { kind: 'wecom', settings: { baseUrl: fake.baseUrl, corpId: 'ww-cli-test' }, secrets: { corpSecret: secret } } };
    fs.writeFileSync(file, JSON.stringify(body));
    return file;
  };
  const taskCount = async () => (await database.db.select().from(syncTasks)).length;

  beforeAll(async () => {
    fake = await startWecomFake({ corpId: 'ww-cli-test', corpSecret: fakeSecret });
  });
  afterAll(async () => fake.close());

  it('tasks create --test with a wrong secret prints the failed check with the vendor code, exits 1 and creates nothing', async () => {
    const before = await taskCount();
    const wrong = `wrong-${randomBytes(6).toString('hex')}`;
    const refused = await cli('tasks', 'create', '--file', taskFile(wrong), '--test');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/✗ credentials: 40001/);
    expect(refused.stdout).toContain('connection test failed');
    expect(refused.stdout + refused.stderr).not.toContain(wrong);
    expect(await taskCount()).toBe(before);
  });

  it('tasks create --test creates the task once every check passed, and tasks test <id> repeats the test', async () => {
    const created = await cli('tasks', 'create', '--file', taskFile(fakeSecret), '--test');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/✓ credentials: /);
    expect(created.stdout).toMatch(/✓ write_contacts: /);
    const id = /with id (\S+)/.exec(created.stdout)![1];
    const tested = await cli('tasks', 'test', id);
    expect(tested).toMatchObject({ code: 0, stdout: expect.stringContaining('connection test passed') });
    const json = JSON.parse((await cli('tasks', 'test', id, '--json')).stdout);
    expect(json).toMatchObject({ ok: true, checks: expect.arrayContaining([expect.objectContaining({ name: 'visibility_scope', ok: true })]) });
    expect(created.stdout + tested.stdout).not.toContain(fakeSecret);
  });
});

describe('audit', () => {
  it('lists who did what, newest first, filtered by entity, actor and time, and pages', async () => {
    const all = JSON.parse((await cli('audit', '--entity', 'sync_task', '--json')).stdout);
    expect(all.total).toBeGreaterThan(0);
    expect(all.items[0]).toMatchObject({ actor: 'bootstrap-admin', entityType: 'sync_task' });
    const newest = all.items[0];
    const table = await cli('audit', '--entity', `sync_task:${newest.entityId}`);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^AT\s+ACTOR\s+ACTION\s+ENTITY\s+CHANGED/);
    expect(table.stdout).toContain(`sync_task:${newest.entityId}`);
    expect(table.stdout).not.toContain(corpSecret);
    const later = await cli('audit', '--from', new Date(Date.now() + 60_000).toISOString());
    expect(later.stdout).toContain('no audit entries match');
    const nobody = JSON.parse((await cli('audit', '--actor', 'token:nobody:0', '--json')).stdout);
    expect(nobody).toMatchObject({ items: [], total: 0 });
    const paged = await cli('audit', '--limit', '1');
    expect(paged.stdout).toMatch(/1-1 of \d+; more with --offset 1/);
  });

  it('names the flag in argument errors', async () => {
    expect(await cli('audit', '--from', 'yesterday')).toMatchObject({ code: 2, stderr: expect.stringContaining('--from must be an ISO 8601 instant') });
    expect(await cli('audit', '--limit', 'ten')).toMatchObject({ code: 2, stderr: expect.stringContaining('--limit must be a whole number') });
    expect(await cli('audit', '--limit', '9999')).toMatchObject({ code: 1, stderr: expect.stringContaining('limit') });
  });
});

describe('notification-channels', () => {
  const signingSecret = `SEC${randomBytes(12).toString('hex')}`;
  const webhookUrl = `https://oapi.dingtalk.com/robot/send?access_token=${randomBytes(12).toString('hex')}`;

  it('adds a channel with secrets from an environment variable, lists it without them, and removes it', async () => {
    process.env.SC_TEST_CHANNEL_SECRETS = JSON.stringify({ webhookUrl, signingSecret });
    try {
      const added = await cli('notification-channels', 'add', '--name', 'Ops DingTalk', '--kind', 'dingtalk-robot', '--events', 'run_failed,credentials_failing', '--secrets-env', 'SC_TEST_CHANNEL_SECRETS');
      expect(added).toMatchObject({ code: 0, stderr: '' });
      const id = added.stdout.trim();
      expect(id).not.toBe('');
      const table = await cli('notification-channels', 'list');
      expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+KIND\s+TASK\s+EVENTS\s+SECRETS\s+ENABLED/);
      const row = table.stdout.split('\n').find((line) => line.startsWith(id));
      expect(row?.split(/\s{2,}/)).toEqual([id, 'Ops DingTalk', 'dingtalk-robot', '(every task)', 'run_failed,credentials_failing', expect.stringMatching(/^(signingSecret,webhookUrl|webhookUrl,signingSecret)$/), 'yes']);
      const listed = JSON.parse((await cli('notification-channels', 'list', '--json')).stdout);
      expect(listed.items).toEqual([expect.objectContaining({ id, kind: 'dingtalk-robot', taskId: null, enabled: true })]);
      for (const out of [table.stdout, JSON.stringify(listed)]) {
        expect(out).not.toContain(signingSecret);
        expect(out).not.toContain(webhookUrl);
      }
      const audit = JSON.parse((await cli('audit', '--entity', `notification_channel:${id}`, '--json')).stdout);
      expect(audit.total).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(audit)).not.toContain(signingSecret);
      expect(await cli('notification-channels', 'remove', id)).toMatchObject({ code: 0, stdout: `removed ${id}\n` });
      expect(JSON.parse((await cli('notification-channels', 'list', '--json')).stdout).items).toEqual([]);
      expect(await cli('notification-channels', 'remove', id)).toMatchObject({ code: 1 });
    } finally {
      delete process.env.SC_TEST_CHANNEL_SECRETS;
    }
  });

  it('reads the secrets from stdin with --secrets-stdin, and binds a channel to one task', async () => {
    const file = path.join(tmp, 'channel-task.json');
    fs.writeFileSync(file, JSON.stringify({ ...wecomTask, name: 'Announced task' }));
    const taskId: string = JSON.parse((await cli('tasks', 'create', '--file', file, '--json')).stdout).id;
    // fd 0 answers the secrets a pipe would give; every other file is read as usual.
    const readFileSync = fs.readFileSync.bind(fs);
    const stdin = jest.spyOn(fs, 'readFileSync').mockImplementation(((file: unknown, ...rest: unknown[]) => {
      if (file === 0) return JSON.stringify({ url: 'https://hooks.example.test/sync', signingSecret });
      return readFileSync(file as string, ...(rest as [BufferEncoding]));
    }) as typeof fs.readFileSync);
    let added;
    try {
      added = await cli('notification-channels', 'add', '--name', 'Hook', '--kind', 'webhook', '--task', taskId, '--settings', '{"credentialFailureThreshold":2}', '--secrets-stdin', '--disabled', '--json');
    } finally {
      stdin.mockRestore();
    }
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const created = JSON.parse(added.stdout);
    expect(created).toMatchObject({ kind: 'webhook', taskId, enabled: false, settings: { credentialFailureThreshold: 2 } });
    expect(added.stdout).not.toContain(signingSecret);
    const forTask = JSON.parse((await cli('notification-channels', 'list', '--task', taskId, '--json')).stdout);
    expect(forTask.items.map((c: { id: string }) => c.id)).toContain(created.id);
    expect(await cli('notification-channels', 'remove', created.id)).toMatchObject({ code: 0 });
  });

  it('names the flag in argument errors, and never takes a secret from argv', async () => {
    const add = (...args: string[]) => cli('notification-channels', 'add', ...args);
    expect(await add('--kind', 'webhook')).toMatchObject({ code: 2, stderr: expect.stringContaining('--name is required') });
    expect(await add('--name', 'x', '--kind', 'pager')).toMatchObject({ code: 2, stderr: expect.stringContaining('--kind must be one of wecom-robot, feishu-bot, dingtalk-robot, webhook, email') });
    expect(await add('--name', 'x', '--kind', 'webhook')).toMatchObject({ code: 2, stderr: expect.stringContaining('--secrets-env VAR or --secrets-stdin') });
    expect(await add('--name', 'x', '--kind', 'webhook', '--secrets', signingSecret)).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown flag --secrets') });
    expect(await add('--name', 'x', '--kind', 'webhook', '--secrets-env', 'SC_TEST_UNSET_VAR')).toMatchObject({ code: 2, stderr: expect.stringContaining('--secrets-env SC_TEST_UNSET_VAR: the variable is not set') });
    expect(await add('--name', 'x', '--kind', 'webhook', '--secrets-env', 'SC_TEST_UNSET_VAR', '--events', 'run_failed,run_exploded')).toMatchObject({ code: 2, stderr: expect.stringContaining('--events must list events of') });
    expect(await add('--name', 'x', '--kind', 'webhook', '--settings', '[1]', '--secrets-env', 'X')).toMatchObject({ code: 2, stderr: expect.stringContaining('--settings must be a JSON object') });
    process.env.SC_TEST_BAD_SECRETS = `not json ${signingSecret}`;
    try {
      const bad = await add('--name', 'x', '--kind', 'webhook', '--secrets-env', 'SC_TEST_BAD_SECRETS');
      expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--secrets-env SC_TEST_BAD_SECRETS is not valid JSON') });
      expect(bad.stderr).not.toContain(signingSecret);
      process.env.SC_TEST_BAD_SECRETS = JSON.stringify({ url: 'not a url', signingSecret });
      const refused = await add('--name', 'x', '--kind', 'webhook', '--secrets-env', 'SC_TEST_BAD_SECRETS');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/url/);
      expect(refused.stderr).not.toContain(signingSecret);
    } finally {
      delete process.env.SC_TEST_BAD_SECRETS;
    }
    expect(await cli('notification-channels', 'remove')).toMatchObject({ code: 2, stderr: expect.stringContaining('expected the channel id') });
    expect(await cli('notification-channels', 'mute')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown subcommand "mute"') });
  });
});

describe('without a running API', () => {
  it('says where it looked', async () => {
    const url = process.env.SYNC_CENTER_API_URL;
    process.env.SYNC_CENTER_API_URL = 'http://127.0.0.1:1';
    try {
      expect(await cli('tasks', 'list')).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot reach the Sync Center API at http://127.0.0.1:1') });
    } finally {
      process.env.SYNC_CENTER_API_URL = url;
    }
  });
});
