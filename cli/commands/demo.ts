// `sync-center demo` (`npm run demo`): everything `start` runs, plus a WeCom fake and a small
// company: an HR export feeds the hub, the hub provisions the fake, both run once, and a guide
// says where to look. Re-runnable on the same data directory: the demo tasks are found by name.
import fs from 'node:fs';
import path from 'node:path';
import { allowedHostsVariable } from '../../connectors/shared/host-policy';
import { startWecomFake, type RunningWecomFake } from '../../connectors/wecom/fake';
import { ApiError } from '../api-client';
import { parseFlags } from '../args';
import { loadConfig } from '../config';
import { Lifecycle } from '../lifecycle';
import { projectRoot } from '../temporal-binaries';
import type { Command } from './command';
import { startStack, type RunningStack } from './start';
import { createSyncApi, waitForRun, type RunView, type SyncApi, type TaskView } from './sync-api';
import { runSummaryLine } from './tasks';

const log = (line: string) => process.stderr.write(`${line}\n`);

export const demoTemplate = path.join(projectRoot, 'demo', 'hr.csv');
export const demoTaskNames = { upstream: 'Demo: HR export to hub', downstream: 'Demo: hub to WeCom (fake)' } as const;
/** The credentials the demo's fake accepts; a fake's, not a real tenant's. */
const demoWecom = { corpId: 'ww-demo-acme', corpSecret: 'demo-corp-secret' };
const defaultWecomPort = 18081;

const flags = {
  'wecom-port': { description: `port of the WeCom fake (default ${defaultWecomPort}, or a free one when it is taken; 0 = any free one)`, kind: 'port' as const },
};

/** The worker runs in this process: its connectors may call this fake (and no other private host). */
function allowFakeHost(fake: RunningWecomFake): void {
  const host = new URL(fake.baseUrl).host;
  const listed = process.env[allowedHostsVariable]?.trim();
  process.env[allowedHostsVariable] = listed ? `${listed},${host}` : host;
}

/** 18081 as the docs say when it is free; any free port rather than failing when it is not. */
async function startDemoWecom(port: number | undefined): Promise<RunningWecomFake> {
  if (port !== undefined) return startWecomFake({ ...demoWecom, port });
  try {
    return await startWecomFake({ ...demoWecom, port: defaultWecomPort });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    log(`[demo] port ${defaultWecomPort} is taken; the WeCom fake takes a free port instead`);
    return startWecomFake({ ...demoWecom, port: 0 });
  }
}

/** Copies the template unless the file exists: the newcomer's edits survive a restart. */
function ensureHrExport(importDir: string): { file: string; created: boolean } {
  // Under the import directory: the only place a CSV task may read from.
  const file = path.join(importDir, 'demo', 'hr.csv');
  if (fs.existsSync(file)) return { file, created: false };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.copyFileSync(demoTemplate, file);
  return { file, created: true };
}

function upstreamBody(csvPath: string) {
  return { name: demoTaskNames.upstream, direction: 'upstream', connector: { kind: 'csv', settings: { path: csvPath } } };
}

function downstreamBody(wecom: RunningWecomFake) {
  return {
    name: demoTaskNames.downstream,
    direction: 'downstream',
    connector: { kind: 'wecom', settings: { baseUrl: wecom.baseUrl, corpId: demoWecom.corpId }, secrets: { corpSecret: demoWecom.corpSecret } },
    // Removed people are deleted, and deletion protection (on by default) stages every delete for an approver.
    offboarding: 'delete',
  };
}

/** Creates the task, or points the existing one (same name) at this run's file and fake, enabled. */
async function ensureTask(api: SyncApi, existing: TaskView[], body: { name: string; connector: unknown }): Promise<TaskView> {
  const found = existing.find((t) => t.name === body.name);
  if (!found) {
    const created = await api.createTask(body);
    log(`[demo] created task "${created.name}" (${created.id})`);
    return created;
  }
  // Each demo starts a fresh fake (maybe on another port): the old links and open items name ids of
  // the previous one, so a re-point resets them (the secrets travel in body.connector).
  let task = await api.patchTask(found.id, { connector: body.connector, resetLinks: true });
  if (!task.enabled) task = await api.setEnabled(task.id, true);
  log(`[demo] reusing task "${task.name}" (${task.id})`);
  return task;
}

async function runToEnd(api: SyncApi, task: TaskView): Promise<RunView> {
  log(`[demo] running "${task.name}"…`);
  const { runId } = await api.requestRun(task.id, false);
  const run = await waitForRun(api, runId, { timeoutMs: 5 * 60_000 });
  log(`[demo] ${runSummaryLine(run)}`);
  return run;
}

interface DemoState {
  stack: RunningStack;
  wecom: RunningWecomFake;
  csv: { file: string; created: boolean };
  upstream: TaskView;
  downstream: TaskView;
  upRun: RunView;
  downRun: RunView;
}

function temporalUiLink(uiUrl: string, namespace: string, taskId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(`SyncTaskId="${taskId}"`)}`;
}

export function demoGuide(s: DemoState): string {
  const { stack, wecom, upstream, downstream, upRun, downRun } = s;
  const api = `${stack.api.url}/api/v1`;
  const namespace = stack.config.temporal.namespace;
  const tokenSource = stack.secrets.adminTokenSource?.kind === 'env' ? '$SYNC_CENTER_ADMIN_TOKEN' : `$(cat ${path.join(stack.config.dataDir, 'admin-token')})`;
  // Another terminal must find this API (and its data directory's token) when they are not the defaults.
  const cliEnv = [
    stack.api.url !== 'http://127.0.0.1:3000' ? `SYNC_CENTER_API_URL=${stack.api.url}` : '',
    stack.config.dataDir !== path.join(projectRoot, '.data') ? `SYNC_CENTER_DATA_DIR=${stack.config.dataDir}` : '',
  ].filter(Boolean);
  const cli = 'npx sync-center';
  const auth = '-H "Authorization: Bearer $TOKEN"';
  const ok = (run: RunView) => (run.status === 'succeeded' ? '' : '   <- look at its items: `runs items ' + run.id + '`');
  const lines = [
    '',
    'Sync Center demo',
    `  HR export        ${s.csv.file}${s.csv.created ? ' (written from demo/hr.csv: 25 people, 5 departments)' : ' (kept from an earlier demo)'}`,
    `  Upstream task    ${upstream.id}  "${upstream.name}"  (csv → hub)`,
    `                   ${runSummaryLine(upRun)}${ok(upRun)}`,
    `  Downstream task  ${downstream.id}  "${downstream.name}"  (hub → wecom)`,
    `                   ${runSummaryLine(downRun)}${ok(downRun)}`,
    `  WeCom fake       ${wecom.url} (API base ${wecom.baseUrl}, corp id ${demoWecom.corpId})`,
    '',
    'Where to look',
    `  Temporal UI      ${stack.uiUrl ? temporalUiLink(stack.uiUrl, namespace, downstream.id) : "your cluster's Web UI"}`,
    `                   every workflow of a task: filter with SyncTaskId="${downstream.id}" (or "${upstream.id}")`,
    `  Web console      ${stack.api.consoleUrl} (sign in with the admin token, ${tokenSource})`,
    `  API docs         ${stack.api.docsUrl}`,
    `  The REST API     TOKEN=${tokenSource}`,
    `    runs           curl ${auth} ${api}/sync-tasks/${downstream.id}/runs`,
    `    run detail     curl ${auth} ${api}/runs/${downRun.id}`,
    `    run items      curl ${auth} "${api}/runs/${downRun.id}/items?entity=user&action=CreateUser"`,
    `    approvals      curl ${auth} "${api}/pending-deletions?taskId=${downstream.id}&status=PENDING"`,
    `  The WeCom fake   curl ${wecom.url}/__fake/state`,
    ...(cliEnv.length ? [`  The CLI          export ${cliEnv.join(' ')}   (in another terminal, so the CLI finds this API)`] : []),
    `  The CLI          ${cli} tasks list · ${cli} runs items ${downRun.id} · ${cli} approvals list`,
    '',
    'Try this',
    `  1. Offboard someone: remove a person's line from ${s.csv.file}, then run both tasks:`,
    `       ${cli} tasks run ${upstream.id} --wait && ${cli} tasks run ${downstream.id} --wait`,
    '     The hub and WeCom freeze the account (DisableUser): offboarding disables, nothing is deleted.',
    '  2. Stage a deletion: delete a hub user (Leo He, E1025, manages nobody), then run only the downstream task:',
    `       curl -X DELETE ${auth} ${api}/users/E1025`,
    `       ${cli} tasks run ${downstream.id} --wait`,
    `       ${cli} approvals list --task ${downstream.id} --status PENDING`,
    `       ${cli} approvals execute <id>     (or: approvals cancel <id>)`,
    '     WeCom keeps the account until an approver executes the staged DeleteUser.',
    '     (The next upstream run brings Leo back from the HR export.)',
    '',
    'Demo ready. Press Ctrl-C to stop.',
    '',
  ];
  return lines.join('\n');
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'start everything with a WeCom fake, seed a small company and sync it',
  usage: `sync-center demo [--wecom-port N]   (npm run demo)

  Runs everything \`sync-center start\` runs, plus a WeCom fake; writes a small company's HR export
  to <import dir>/demo/hr.csv (kept if it exists; the import dir is SYNC_CENTER_IMPORT_DIR, default
  <data dir>/imports), creates (or reuses, by name) an upstream task CSV → hub and a downstream
  task hub → WeCom fake (its host allowed for this process), runs both, and prints where to look.
  Ctrl-C stops everything.
${Object.entries(flags).map(([name, f]) => `    --${name.padEnd(12)} ${f.description}`).join('\n')}`,
  async run(argv) {
    const parsed = parseFlags('demo', argv, flags);
    const config = loadConfig();
    const lifecycle = new Lifecycle(log);
    try {
      const stack = await startStack(config, lifecycle);
      const wecom = await startDemoWecom(parsed['wecom-port']);
      await lifecycle.add('WeCom fake', () => wecom.close());
      allowFakeHost(wecom);
      log(`[demo] WeCom fake on ${wecom.url}`);
      const csv = ensureHrExport(config.importDir);
      log(`[demo] HR export ${csv.created ? 'written to' : 'kept at'} ${csv.file}`);

      if (!stack.secrets.adminToken) throw new ApiError('no admin token to call the API with');
      const api = createSyncApi({ baseUrl: stack.api.url, token: stack.secrets.adminToken });
      const existing = await api.listTasks();
      const upstream = await ensureTask(api, existing, upstreamBody(csv.file));
      const downstream = await ensureTask(api, existing, downstreamBody(wecom));
      const upRun = await runToEnd(api, upstream);
      const downRun = await runToEnd(api, downstream);
      process.stdout.write(demoGuide({ stack, wecom, csv, upstream, downstream, upRun, downRun }));
    } catch (err) {
      return lifecycle.abortStartup(err);
    }
    const code = await lifecycle.untilStopped();
    log(`[sync-center] stopped${code === 0 ? '' : ` with errors (exit code ${code})`}`);
    return code;
  },
};
