// Spawns `temporal server start-dev` with state under the data directory, waits until it answers,
// forwards its output with a prefix, and stops it cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Connection } from '@temporalio/client';
import { devServerSearchAttributeArgs } from './search-attributes';
import { findTemporalCli } from './temporal-binaries';
import { waitForTemporal } from './temporal-health';

export interface DevServerOptions {
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** defaults to findTemporalCli() */
  executable?: string;
  /** where prefixed output lines go; defaults to stderr */
  log?: (line: string) => void;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  pid: number;
  /** an open client connection, proven healthy during start-up */
  connection: Connection;
  stop(): Promise<void>;
}

export function devServerArgs(options: Pick<DevServerOptions, 'dataDir' | 'port' | 'uiPort' | 'namespace'>): string[] {
  const args = [
    'server', 'start-dev',
    '--db-filename', path.join(options.dataDir, 'temporal.db'),
    '--ip', '127.0.0.1',
    '--port', String(options.port),
    '--ui-port', String(options.uiPort),
    '--log-level', 'warn',
    '--ui-disable-news-fetch',
    ...devServerSearchAttributeArgs(),
  ];
  // "default" always exists; any other namespace must be created at launch.
  if (options.namespace !== 'default') args.push('--namespace', options.namespace);
  return args;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const executable = options.executable ?? findTemporalCli();
  if (!executable) {
    throw new Error('the `temporal` CLI was not found (TEMPORAL_CLI_PATH, PATH, .tools/): run `npm install` to provision it, or set TEMPORAL_ADDRESS to use an existing cluster');
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  fs.mkdirSync(options.dataDir, { recursive: true });

  // Own process group: a terminal Ctrl-C must not kill Temporal before the worker has drained.
  const child = spawn(executable, devServerArgs(options), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const recent: string[] = [];
  let stopping = false;
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 20) recent.shift();
      // Its own workers complain while it shuts down; that noise says nothing to the user.
      if (!stopping) log(`[temporal] ${line}`);
    });
  }

  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      process.removeListener('exit', killOnExit);
      resolve(code ?? (signal ? null : 0));
    });
  });
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
  spawnFailed.catch(() => undefined); // only the race below reports it
  const earlyExit = new AbortController();
  void exited.then((code) => earlyExit.abort(new Error(`the Temporal dev server exited during start-up (code ${code}):\n${recent.join('\n')}`)));

  const address = `127.0.0.1:${options.port}`;
  let connection: Connection;
  try {
    connection = await Promise.race([
      waitForTemporal({ address, namespace: options.namespace, timeoutMs: options.startTimeoutMs ?? 60_000, abortSignal: earlyExit.signal }),
      spawnFailed,
    ]);
  } catch (err) {
    await stopChild(child, exited);
    throw err;
  }

  return {
    address,
    uiUrl: `http://127.0.0.1:${options.uiPort}`,
    pid: child.pid ?? -1,
    connection,
    async stop() {
      stopping = true;
      await connection.close().catch(() => undefined);
      await stopChild(child, exited);
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, graceMs = 10_000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
