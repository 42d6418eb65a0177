// The `sync-center` command line: dispatches to one module per command under cli/commands/,
// loaded only when run, so `token` or `help` never pay for loading Temporal's worker and Fastify.
import { ApiError } from './api-client';
import { UsageError } from './args';
import { ConfigError } from './config';
import type { Command } from './commands/command';

interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const commands: CommandEntry[] = [
  { name: 'start', summary: 'run everything: Temporal dev server, database, worker and API', load: async () => (await import('./commands/start')).startCommand },
  { name: 'worker', summary: 'run only the worker (needs DATABASE_URL and TEMPORAL_ADDRESS)', load: async () => (await import('./commands/worker')).workerCommand },
  { name: 'api', summary: 'run only the REST API (needs DATABASE_URL and TEMPORAL_ADDRESS)', load: async () => (await import('./commands/api')).apiCommand },
  { name: 'token', summary: 'create or list API tokens (calls the running API as admin)', load: async () => (await import('./commands/token')).tokenCommand },
  { name: 'demo', summary: 'start everything with a WeCom fake, seed a small company and sync it', load: async () => (await import('./commands/demo')).demoCommand },
  { name: 'tasks', summary: 'list, show, create, enable, disable, delete and run sync tasks', load: async () => (await import('./commands/tasks')).tasksCommand },
  { name: 'runs', summary: 'runs of a task, one run, its items, or a CSV/XLSX export', load: async () => (await import('./commands/runs')).runsCommand },
  { name: 'approvals', summary: 'list, execute or cancel staged deletions', load: async () => (await import('./commands/approvals')).approvalsCommand },
  { name: 'audit', summary: 'who did what: the audit log (admin)', load: async () => (await import('./commands/audit')).auditCommand },
  {
    name: 'notification-channels',
    summary: 'list, add or remove notification channels (admin)',
    load: async () => (await import('./commands/notification-channels')).notificationChannelsCommand,
  },
  { name: 'fake', summary: 'run a vendor fake, e.g. `fake wecom --port 18081`', load: async () => (await import('./commands/fake')).fakeCommand },
];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  return [
    'usage: sync-center <command> [flags]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  show this, or \`sync-center help <command>\``,
    '',
    'Configuration comes from the environment; see README.md.',
  ].join('\n');
}

/** Runs one command and resolves with the exit code; expected errors print one clear line. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    if (!rest[0]) {
      process.stdout.write(`${overview()}\n`);
      return 0;
    }
    const topic = commands.find((c) => c.name === rest[0]);
    if (!topic) {
      process.stderr.write(`sync-center: unknown command "${rest[0]}"\n\n${overview()}\n`);
      return 2;
    }
    process.stdout.write(`${(await topic.load()).usage}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`sync-center: unknown command "${name}"\n\n${overview()}\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`sync-center ${err.message}\n\nusage: ${command.usage.split('\n')[0]}\n`);
      return 2;
    }
    // Config and API errors are the user's to fix: one line; anything else gets its stack for a bug report.
    const oneLine = err instanceof ConfigError || err instanceof ApiError || !(err instanceof Error);
    process.stderr.write(`sync-center ${name}: ${oneLine ? String(err instanceof Error ? err.message : err) : (err.stack ?? err.message)}\n`);
    return 1;
  }
}

/** Entry point for cli/bin.js and `tsx cli/main.ts`: exits with the command's code. */
export function runCli(argv: string[] = process.argv.slice(2)): void {
  main(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`sync-center: ${String(err)}\n`);
      process.exit(1);
    },
  );
}

if (require.main === module) runCli();
