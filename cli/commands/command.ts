// The shape of one `sync-center` command; main.ts dispatches on `name`.
import { UsageError } from '../args';
export interface Command {
  name: string;
  summary: string;
  /** full help text, shown by `sync-center help <name>` */
  usage: string;
  /** resolves with the process exit code */
  run(argv: string[]): Promise<number>;
}

/** Closes the usage of every command that talks to the API. */
export const apiClientUsage = `  Uses SYNC_CENTER_API_URL (default http://127.0.0.1:3000) and the admin token from
  SYNC_CENTER_ADMIN_TOKEN or <data dir>/admin-token.`;

/** Runs the subcommand argv names (`tasks list …`), or says which ones exist. */
export function runSubcommand(command: string, argv: string[], subcommands: Record<string, (rest: string[]) => Promise<number>>): Promise<number> {
  const [sub, ...rest] = argv;
  const names = Object.keys(subcommands);
  const known = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0];
  if (sub !== undefined && Object.hasOwn(subcommands, sub)) return subcommands[sub](rest);
  throw new UsageError(sub ? `${command}: unknown subcommand "${sub}" (expected ${known})` : `${command}: expected a subcommand: ${known}`);
}
