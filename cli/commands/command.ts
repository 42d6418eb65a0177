// The shape of one `sync-center` command; main.ts dispatches on `name`.
export interface Command {
  name: string;
  summary: string;
  /** full help text, shown by `sync-center help <name>` */
  usage: string;
  /** resolves with the process exit code */
  run(argv: string[]): Promise<number>;
}
