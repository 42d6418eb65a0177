// `sync-center runs list|show|items|export`: run results through the running API.
import fs from 'node:fs';
import path from 'node:path';
import { itemStatuses, runStatuses } from '../../db/repos/run-queries';
import { apiClientOptionsFromEnv } from '../api-client';
import { UsageError } from '../args';
import { apiClientUsage, runSubcommand, type Command } from './command';
import { cell, oneOf, parseCommandLine, printFields, printJson, printTable, singleId } from './output';
import { createSyncApi, downloadRunExport, type RunView, type SuccessOfTotal } from './sync-api';

const entities = ['department', 'user'] as const;
const formats = ['csv', 'xlsx'] as const;

function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0) throw new UsageError(`${command}: unexpected argument "${positionals[0]}"`);
}

const listFlags = {
  task: { description: 'the sync task id', required: true },
  status: { description: `only runs in this status (${runStatuses.join(', ')})` },
};

async function list(argv: string[]): Promise<number> {
  const { flags, switches, positionals } = parseCommandLine('runs list', argv, { flags: listFlags });
  noPositionals('runs list', positionals);
  const status = oneOf('runs list', 'status', flags.status, runStatuses);
  const runs = await createSyncApi(apiClientOptionsFromEnv()).listRuns(flags.task!, status);
  if (switches.has('json')) printJson(runs);
  else {
    printTable(
      ['RUN', 'STATUS', 'TRIGGER', 'DRY RUN', 'STARTED', 'FINISHED', 'ERROR'],
      runs.map((r) => [r.id, r.status, r.trigger, r.dryRun ? 'yes' : '', r.startedAt, r.finishedAt ?? '', cell(r.error, 50)]),
      `no runs of task ${flags.task}`,
    );
  }
  return 0;
}

const ofTotal = (c: SuccessOfTotal) => `${c.succeeded}/${c.total} succeeded${c.failed ? `, ${c.failed} failed` : ''}`;

function printRun(run: RunView): void {
  const fields: [string, string][] = [
    ['run', run.id],
    ['task', run.taskId],
    ['status', `${run.status}${run.dryRun ? ' (dry run: nothing applied)' : ''}`],
    ['trigger', run.trigger],
    ['phase', run.phase],
    ['started', run.startedAt],
    ['finished', run.finishedAt ?? ''],
    ['workflow id', run.workflowId ?? ''],
  ];
  if (run.error) fields.push(['error', run.error]);
  if (run.summary) {
    fields.push(
      ['departments created', ofTotal(run.summary.departments)],
      ['department updates', ofTotal(run.summary.departmentUpdates)],
      ['users created', ofTotal(run.summary.users)],
      ['user updates', ofTotal(run.summary.userUpdates)],
      ['items by status', Object.entries(run.summary.byStatus).map(([status, n]) => `${status} ${n}`).join(', ') || 'none'],
    );
  }
  if (run.progress) fields.push(['progress', `${run.progress.phase}, batch ${run.progress.batchesDone}/${run.progress.batchesTotal}`]);
  printFields(fields);
}

async function show(argv: string[]): Promise<number> {
  const { switches, positionals } = parseCommandLine('runs show', argv, { flags: {} });
  const run = await createSyncApi(apiClientOptionsFromEnv()).getRun(singleId('runs show', positionals, 'run id'));
  if (switches.has('json')) printJson(run);
  else printRun(run);
  return 0;
}

const itemFlags = {
  status: { description: `only items in this status (${itemStatuses.join(', ')})` },
  entity: { description: `only ${entities.join(' or ')} items` },
  action: { description: 'only this action, e.g. CreateUser, MoveDepartment, DisableUser' },
};

/** The fields an item changed, `field: before → after`, for one table cell. */
function changeCell(before: unknown, after: unknown): string {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  if (typeof a !== 'object' || typeof b !== 'object') return cell(after);
  const blank = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
  // A creation lists only the fields it sets; a change lists what differs.
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]) && !(blank(a[k]) && !(k in b)));
  const parts = keys.map((k) => (k in b ? `${k}: ${cell(b[k], 20)} → ${cell(a[k], 20)}` : `${k}: ${cell(a[k], 30)}`));
  return cell(parts.join('; '), 80);
}

async function items(argv: string[]): Promise<number> {
  const { flags, switches, positionals } = parseCommandLine('runs items', argv, { flags: itemFlags });
  const runId = singleId('runs items', positionals, 'run id');
  const filter = {
    status: oneOf('runs items', 'status', flags.status, itemStatuses),
    entity: oneOf('runs items', 'entity', flags.entity, entities),
    action: flags.action,
  };
  const found = await createSyncApi(apiClientOptionsFromEnv()).listItems(runId, filter);
  if (switches.has('json')) printJson(found);
  else {
    printTable(
      ['SEQ', 'ACTION', 'ENTITY', 'NAME', 'STATUS', 'TARGET ID', 'CHANGE', 'ERROR'],
      found.map((i) => [
        String(i.seq),
        i.action,
        i.entity,
        cell(i.displayName ?? i.sourceId, 30),
        i.status,
        cell(i.targetId, 24),
        changeCell(i.before, i.after),
        cell(i.errorCode ? `${i.errorCode} ${i.errorMessage ?? ''}` : i.errorMessage, 60),
      ]),
      `no items in run ${runId}${Object.values(filter).some(Boolean) ? ' matching the filter' : ''}`,
    );
  }
  return 0;
}

const exportFlags = {
  format: { description: `${formats.join(' or ')}`, required: true },
  out: { description: 'the file to write', required: true },
};

async function exportItems(argv: string[]): Promise<number> {
  const { flags, positionals } = parseCommandLine('runs export', argv, { flags: exportFlags });
  const runId = singleId('runs export', positionals, 'run id');
  const format = oneOf('runs export', 'format', flags.format, formats)!;
  const out = path.resolve(flags.out!);
  if (!fs.existsSync(path.dirname(out))) throw new UsageError(`runs export: --out ${flags.out}: the folder ${path.dirname(out)} does not exist`);
  const body = await downloadRunExport(apiClientOptionsFromEnv(), runId, format);
  // Written aside and renamed, so a failed write never leaves half a file under the chosen name.
  const partial = `${out}.partial-${process.pid}`;
  try {
    fs.writeFileSync(partial, body);
    fs.renameSync(partial, out);
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw err;
  }
  process.stderr.write(`wrote ${body.length} bytes (${format}) to ${out}\n`);
  return 0;
}

export const runsCommand: Command = {
  name: 'runs',
  summary: 'list runs of a task, show one, its items, or export them as CSV/XLSX',
  usage: `sync-center runs list --task <id> [--status S]|show <runId>|items <runId> [--status S] [--entity E] [--action A]|export <runId> --format csv|xlsx --out FILE

  list --task <id>   the task's runs, newest first
  show <runId>       status, timing and counters (live progress while it runs)
  items <runId>      what the run did, item by item, in plan order, with field-level changes
${Object.entries(itemFlags).map(([name, f]) => `    --${name.padEnd(10)} ${f.description}`).join('\n')}
  export <runId>     download the items as a spreadsheet: --format csv|xlsx --out FILE
  --json             machine-readable output (list, show, items)

${apiClientUsage}`,
  run: (argv) => runSubcommand('runs', argv, { list, show, items, export: exportItems }),
};
