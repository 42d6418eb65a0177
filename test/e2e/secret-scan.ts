// After a suite's runs: search every place a connector secret could have leaked to (workflow
// histories with their payloads decoded, worker and API log lines, API answers, the run export,
// and the rows the runs wrote) for each secret the suite used. A suite asserts the list is empty.
import { Writable } from 'node:stream';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import { createTemporalControl } from '../../api/temporal-control';
import { startTestApi } from '../../api/testing';
import type { Database } from '../../db/client';
import { auditLog, pendingDeletions, runItems, runSnapshotChunks, syncRuns, syncTasks, taskLinks, webhookInbox } from '../../db/schema';
import type { SecretBox } from '../../db/secret-box';

const workerLogLines: string[] = [];

/**
 * Worker and activity logs (the SDK's Runtime logger) are kept for the scan; only errors are
 * printed, as before: state changes and expected retried failures would drown the test output.
 */
export function captureTemporalLogs(): void {
  const record = (entry: LogEntry) => {
    const line = `${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {}, bytesAsText)}`;
    workerLogLines.push(line);
    if (entry.level === 'ERROR') console.error(line);
  };
  Runtime.install({ logger: new DefaultLogger('DEBUG', record) });
}

/** JSON.stringify replacer: payload bytes (Uint8Array or Buffer) become their UTF-8 text, so a secret in a payload is seen. */
function bytesAsText(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  return raw instanceof Uint8Array ? Buffer.from(raw).toString('utf8') : value;
}

export interface SecretScanInput {
  env: TestWorkflowEnvironment;
  database: Database;
  secretBox: SecretBox;
  /** every secret value the suite gave a connector (app secrets, AES keys, callback tokens) */
  secrets: string[];
}

export interface SecretLeak {
  where: string;
  /** which secret (by position in the input, never the value itself, so the failure output stays clean) */
  secretIndex: number;
}

export interface SecretScanResult {
  leaks: SecretLeak[];
  /** what was searched, so a suite can check the scan saw something (no vacuous pass) */
  searched: { histories: number; logLines: number; apiAnswers: number; rows: number; exports: number };
}

export async function scanForSecrets(input: SecretScanInput): Promise<SecretScanResult> {
  const texts: Array<{ where: string; text: string }> = [];
  const searched = { histories: 0, logLines: 0, apiAnswers: 0, rows: 0, exports: 0 };

  for await (const execution of input.env.client.workflow.list()) {
    const history = await input.env.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    texts.push({ where: `history of ${execution.workflowId}`, text: JSON.stringify(history, bytesAsText) });
    searched.histories += 1;
  }

  const db = input.database.db;
  const tables = { syncTasks, syncRuns, runItems, runSnapshotChunks, pendingDeletions, taskLinks, auditLog, webhookInbox };
  for (const [name, table] of Object.entries(tables)) {
    const rows = await db.select().from(table);
    texts.push({ where: `table ${name}`, text: JSON.stringify(rows) });
    searched.rows += rows.length;
  }

  const apiLogLines: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (apiLogLines.push(String(chunk)), done()) });
  const api = await startTestApi(input.database, {
    secretBox: input.secretBox,
    temporal: createTemporalControl(input.env.client, { taskQueue: 'secret-scan' }),
    logger: { level: 'debug', stream },
  });
  try {
    const get = async (url: string) => {
      const res = await api.as('admin', { method: 'GET', url });
      if (res.statusCode !== 200) throw new Error(`secret scan: GET ${url} answered ${res.statusCode}`);
      texts.push({ where: `API answer of GET ${url}`, text: res.body });
      searched.apiAnswers += 1;
      return res;
    };
    const tasks = (await get('/api/v1/sync-tasks')).json() as { items?: Array<{ id: string }> } | Array<{ id: string }>;
    for (const task of Array.isArray(tasks) ? tasks : (tasks.items ?? [])) {
      await get(`/api/v1/sync-tasks/${task.id}`);
      await get(`/api/v1/sync-tasks/${task.id}/runs`);
    }
    await get('/api/v1/pending-deletions');
    for (const run of await db.select({ id: syncRuns.id }).from(syncRuns)) {
      await get(`/api/v1/runs/${run.id}`);
      await get(`/api/v1/runs/${run.id}/items`);
      await get(`/api/v1/runs/${run.id}/export?format=csv`);
      searched.exports += 1;
    }
  } finally {
    await api.app.close();
  }

  for (const line of [...workerLogLines, ...apiLogLines]) texts.push({ where: 'a log line', text: line });
  searched.logLines = workerLogLines.length + apiLogLines.length;

  const leaks: SecretLeak[] = [];
  input.secrets.forEach((secret, secretIndex) => {
    const forms = [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)];
    for (const { where, text } of texts) {
      if (forms.some((form) => text.includes(form))) leaks.push({ where, secretIndex });
    }
  });
  // A vendor access token is a secret too; its values are the fake's, but a URL must never carry one unredacted.
  for (const { where, text } of texts) {
    if (/access_token=(?!REDACTED)[^&\s"']+/.test(text)) leaks.push({ where: `${where} (an unredacted access_token)`, secretIndex: -1 });
  }
  return { leaks, searched };
}
