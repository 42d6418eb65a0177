// `sync-center approvals list|execute|cancel`: staged deletions (and disables held by the
// mass-offboarding guard) decided through the running API.
import { pendingDeletionStatuses } from '../../db/repos/run-queries';
import { apiClientOptionsFromEnv } from '../api-client';
import { UsageError } from '../args';
import { apiClientUsage, runSubcommand, type Command } from './command';
import { cell, oneOf, parseCommandLine, printJson, printTable } from './output';
import { createSyncApi } from './sync-api';

const listFlags = {
  task: { description: 'only this sync task' },
  run: { description: 'only this run' },
  status: { description: `only this status (${pendingDeletionStatuses.join(', ')})` },
};

async function list(argv: string[]): Promise<number> {
  const { flags, switches, positionals } = parseCommandLine('approvals list', argv, { flags: listFlags });
  if (positionals.length > 0) throw new UsageError(`approvals list: unexpected argument "${positionals[0]}"`);
  const status = oneOf('approvals list', 'status', flags.status, pendingDeletionStatuses);
  const found = await createSyncApi(apiClientOptionsFromEnv()).listPendingDeletions({ taskId: flags.task, runId: flags.run, status });
  if (switches.has('json')) printJson(found);
  else {
    printTable(
      ['ID', 'STATUS', 'ACTION', 'NAME', 'TARGET ID', 'TASK', 'RUN', 'REASON', 'ERROR'],
      found.map((p) => [
        p.id,
        p.status,
        p.action,
        cell(p.displayName ?? p.sourceId, 30),
        cell(p.targetId, 24),
        p.taskId,
        p.runId,
        cell(p.reason, 50),
        cell(p.errorCode ? `${p.errorCode} ${p.errorMessage ?? ''}` : p.errorMessage, 50),
      ]),
      'nothing awaits approval',
    );
  }
  return 0;
}

async function decide(action: 'execute' | 'cancel', argv: string[]): Promise<number> {
  const command = `approvals ${action}`;
  const { switches, positionals } = parseCommandLine(command, argv, { flags: {} });
  if (positionals.length === 0) throw new UsageError(`${command}: expected one or more pending deletion ids (see \`sync-center approvals list\`)`);
  const { results } = await createSyncApi(apiClientOptionsFromEnv()).decide(action, positionals);
  if (switches.has('json')) printJson(results);
  else {
    const explain: Record<string, string> = {
      accepted: action === 'execute' ? 'accepted: executing now' : 'accepted: canceled',
      already_canceled: 'not done: it was canceled earlier, and a canceled item is never executed',
      already_decided: 'not done: it was already decided',
      not_found: 'not done: no such pending deletion',
      requester_may_not_approve: 'not done: you asked for its run, and the task requires a second approver',
      stale: 'not done: it is stale (a later run no longer wants it, fresh state says so, or it expired)',
    };
    for (const r of results) process.stdout.write(`${r.id}  ${explain[r.result] ?? r.result}${r.status && r.result !== 'accepted' ? ` (status ${r.status})` : ''}\n`);
  }
  // Scripts learn from the exit code whether every decision went through.
  return results.every((r) => r.result === 'accepted') ? 0 : 1;
}

export const approvalsCommand: Command = {
  name: 'approvals',
  summary: 'list, execute or cancel staged deletions',
  usage: `sync-center approvals list [--task <id>] [--run <runId>] [--status PENDING]|execute <id…>|cancel <id…>

  list            staged deletions, newest first
${Object.entries(listFlags).map(([name, f]) => `    --${name.padEnd(10)} ${f.description}`).join('\n')}
  execute <id…>   carry them out (an approver's or admin's decision); a FAILED item is tried again
  cancel <id…>    cancel them for good: a canceled item can never be executed later
                  execute and cancel exit 1 when any id was not accepted
  --json          machine-readable output

${apiClientUsage}`,
  run: (argv) => runSubcommand('approvals', argv, { list, execute: (rest) => decide('execute', rest), cancel: (rest) => decide('cancel', rest) }),
};
