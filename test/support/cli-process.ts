// Helpers for suites that run the real `sync-center` CLI as a child process.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import net from 'node:net';

/** Ports this process has handed out: the kernel may offer a just-released port again. */
const handedOut = new Set<number>();

/**
 * A port free right now on 127.0.0.1 (the child binds it a moment later), never one this process
 * handed out before: callers take two or three in a row (API, Temporal, its UI), and two equal ones
 * made a stack fail with EADDRINUSE (seen in CI's fuzz pass, which picked its ports the same way).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** An environment with none of the developer's own settings leaking in. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SYNC_CENTER_ADMIN_TOKEN', 'SYNC_CENTER_SECRET_KEY', 'SYNC_CENTER_API_URL', 'HOST', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'SYNC_CENTER_IMPORT_DIR']) delete env[name];
  return { ...env, ...extra };
}

/** A CLI child whose combined output the test can wait on. */
export class CliProcess {
  output = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcessWithoutNullStreams,
    private readonly label: string,
  ) {
    child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  async waitFor(pattern: RegExp, timeoutMs = 120_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null) throw new Error(`${this.label} exited with ${this.child.exitCode} before printing ${pattern}:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${this.label} did not print ${pattern} within ${timeoutMs} ms:\n${this.output}`);
  }
}
