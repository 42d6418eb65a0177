// `sync-center tasks list|show|create|test|enable|disable|delete|run`: sync tasks through the running API.
import fs from 'node:fs';
import { apiClientOptionsFromEnv } from '../api-client';
import { UsageError } from '../args';
import { apiClientUsage, runSubcommand, type Command } from './command';
import { cell, parseCommandLine, printFields, printJson, printTable, singleId } from './output';
import { createSyncApi, waitForRun, type ConnectionTestView, type RunView, type SyncApi, type TaskView } from './sync-api';

const api = (): SyncApi => createSyncApi(apiClientOptionsFromEnv());

function lastRunCell(task: TaskView): string {
  return task.lastRun ? `${task.lastRun.status} ${task.lastRun.startedAt}` : '';
}

async function list(argv: string[]): Promise<number> {
  const { switches, positionals } = parseCommandLine('tasks list', argv, { flags: {} });
  if (positionals.length > 0) throw new UsageError(`tasks list: unexpected argument "${positionals[0]}"`);
  const tasks = await api().listTasks();
  if (switches.has('json')) printJson(tasks);
  else {
    printTable(
      ['ID', 'NAME', 'DIRECTION', 'CONNECTOR', 'ENABLED', 'STATUS', 'PENDING DELETIONS', 'LAST RUN'],
      tasks.map((t) => [t.id, cell(t.name, 40), t.direction, t.connectorKind, t.enabled ? 'yes' : 'no', t.status, String(t.pendingDeletions), lastRunCell(t)]),
      'no sync tasks (create one with `sync-center tasks create --file task.json`)',
    );
  }
  return 0;
}

function printTask(task: TaskView): void {
  printFields([
    ['id', task.id],
    ['name', task.name],
    ['direction', task.direction],
    ['connector', task.connectorKind],
    ['enabled', task.enabled ? 'yes' : 'no'],
    ['status', task.status],
    ['last run', task.lastRun ? `${task.lastRun.id} ${task.lastRun.status} (${task.lastRun.trigger}${task.lastRun.dryRun ? ', dry run' : ''}) ${task.lastRun.startedAt}` : 'never'],
    ['last error', task.lastError ?? ''],
    ['pending deletions', String(task.pendingDeletions)],
    ['secrets stored', task.hasSecrets.join(', ') || 'none'],
    ['webhook URL', task.webhookUrl ?? ''],
    ['created', task.createdAt],
    ['updated', task.updatedAt],
  ]);
  process.stdout.write(`config\n${JSON.stringify(task.config, null, 2).replace(/^/gm, '  ')}\n`);
}

async function show(argv: string[]): Promise<number> {
  const { switches, positionals } = parseCommandLine('tasks show', argv, { flags: {} });
  const task = await api().getTask(singleId('tasks show', positionals, 'task id'));
  if (switches.has('json')) printJson(task);
  else printTask(task);
  return 0;
}

const createFlags = { file: { description: 'a JSON file with the task configuration (docs/design.md shape), or - for stdin', required: true } };

function readTaskFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`tasks create: --file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`tasks create: --file ${file} is not valid JSON (${(err as Error).message})`);
  }
}

/** One line per check, ✓ or ✗, with what the vendor said. */
function printChecks(result: ConnectionTestView): void {
  for (const check of result.checks) process.stdout.write(`${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}\n`);
  process.stdout.write(result.ok ? 'connection test passed\n' : 'connection test failed\n');
}

async function create(argv: string[]): Promise<number> {
  const { flags, switches, positionals } = parseCommandLine('tasks create', argv, { flags: createFlags, switches: ['test'] });
  if (positionals.length > 0) throw new UsageError(`tasks create: unexpected argument "${positionals[0]}" (the configuration comes from --file)`);
  const body = readTaskFile(flags.file!);
  const client = api();
  // --test: the connection test first; a failed one creates nothing.
  const tested = switches.has('test') ? await client.testConnection(body) : undefined;
  if (tested && !tested.ok) {
    if (switches.has('json')) printJson({ created: false, connectionTest: tested });
    else printChecks(tested);
    return 1;
  }
  const task = await client.createTask(body);
  if (switches.has('json')) printJson(tested ? { ...task, connectionTest: tested } : task);
  else {
    if (tested) printChecks(tested);
    process.stdout.write(`created ${task.direction} task "${task.name}" (${task.connectorKind}) with id ${task.id}\n`);
    if (task.webhookUrl) process.stdout.write(`register ${task.webhookUrl} as the callback URL in the vendor's console\n`);
  }
  return 0;
}

async function test(argv: string[]): Promise<number> {
  const { switches, positionals } = parseCommandLine('tasks test', argv, { flags: {} });
  const result = await api().testTask(singleId('tasks test', positionals, 'task id'));
  if (switches.has('json')) printJson(result);
  else printChecks(result);
  return result.ok ? 0 : 1;
}

async function setEnabled(argv: string[], enabled: boolean): Promise<number> {
  const name = enabled ? 'tasks enable' : 'tasks disable';
  const { switches, positionals } = parseCommandLine(name, argv, { flags: {} });
  const task = await api().setEnabled(singleId(name, positionals, 'task id'), enabled);
  if (switches.has('json')) printJson(task);
  else process.stdout.write(`task ${task.id} "${task.name}" is ${enabled ? 'enabled' : 'disabled (its schedule and real-time triggers are paused)'}\n`);
  return 0;
}

async function remove(argv: string[]): Promise<number> {
  const { switches, positionals } = parseCommandLine('tasks delete', argv, { flags: {} });
  const id = singleId('tasks delete', positionals, 'task id');
  await api().deleteTask(id);
  if (switches.has('json')) printJson({ id, deleted: true });
  else process.stdout.write(`deleted task ${id}: its workflow and schedule are stopped; its run history stays\n`);
  return 0;
}

/** One line per finished run, for people; `runs show` has the rest. */
export function runSummaryLine(run: RunView): string {
  const s = run.summary;
  const counts = s
    ? `departments ${s.departments.succeeded}/${s.departments.total} created, users ${s.users.succeeded}/${s.users.total} created, ` +
      `updates ${s.departmentUpdates.succeeded + s.userUpdates.succeeded}/${s.departmentUpdates.total + s.userUpdates.total}` +
      (s.byStatus.staged ? `, ${s.byStatus.staged} staged for approval` : '') +
      (s.byStatus.failed ? `, ${s.byStatus.failed} failed` : '')
    : '';
  return `run ${run.id} ${run.status}${run.dryRun ? ' (dry run)' : ''}${counts ? `: ${counts}` : ''}${run.error ? ` — ${run.error}` : ''}`;
}

async function run(argv: string[]): Promise<number> {
  const { switches, positionals } = parseCommandLine('tasks run', argv, { flags: {}, switches: ['dry-run', 'wait'] });
  const id = singleId('tasks run', positionals, 'task id');
  const client = api();
  const accepted = await client.requestRun(id, switches.has('dry-run'));
  if (!switches.has('wait')) {
    if (switches.has('json')) printJson(accepted);
    else process.stdout.write(`run ${accepted.runId} requested${accepted.coalesced ? ' (joins a run already waiting)' : ''}; follow it with \`sync-center runs show ${accepted.runId}\`\n`);
    return 0;
  }
  const finished = await waitForRun(client, accepted.runId);
  if (switches.has('json')) printJson(finished);
  else process.stdout.write(`${runSummaryLine(finished)}\n`);
  return finished.status === 'succeeded' ? 0 : 1;
}

export const tasksCommand: Command = {
  name: 'tasks',
  summary: 'list, show, create, test, enable, disable, delete and run sync tasks',
  usage: `sync-center tasks list|show <id>|create --file task.json [--test]|test <id>|enable <id>|disable <id>|delete <id>|run <id> [--dry-run] [--wait]

  list              every task with its status, last run and pending deletions
  show <id>         one task and its configuration (never its secrets)
  create --file F   create a task from a JSON file (- reads stdin); refused with the offending field;
                    --test runs the connection test first and creates nothing when it fails
  test <id>         connection test of a stored task: credentials, permissions, callback URL;
                    exits 0 only if every check passed
  enable <id>       unpause its schedule and real-time triggers
  disable <id>      pause them
  delete <id>       stop its workflow and schedule; run history stays
  run <id>          request a run and print its id; --dry-run stores the plan and applies nothing;
                    --wait waits for it and exits 0 only if it succeeded
  --json            machine-readable output (any subcommand)

${apiClientUsage}`,
  run: (argv) => runSubcommand('tasks', argv, { list, show, create, test, enable: (rest) => setEnabled(rest, true), disable: (rest) => setEnabled(rest, false), delete: remove, run }),
};
