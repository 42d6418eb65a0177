// Spawns `temporal server start-dev` with state under the data directory, waits until it answers,
// forwards its output with a prefix, and stops it cleanly. It never joins a server it did not
// start: taken ports are refused before the spawn. The server runs under dev-server-watchdog.js,
// which stops it when this process dies, even by SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
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

export class PortTakenError extends Error {
  override name = 'PortTakenError';
}

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(false) : reject(err)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * Refuses ports another process holds: whatever answers there (often the orphaned dev server of
 * another installation) is not ours, and its workflows must never reach our worker.
 */
export async function assertDevServerPortsFree(ports: { port: number; uiPort: number }, host = '127.0.0.1'): Promise<void> {
  for (const [variable, port] of [['TEMPORAL_PORT', ports.port], ['TEMPORAL_UI_PORT', ports.uiPort]] as const) {
    if (await portIsFree(port, host)) continue;
    throw new PortTakenError(
      `port ${port} (${variable}) on ${host} is already in use, so Sync Center will not start its Temporal dev server there, nor use one it did not start. ` +
        `If it is a leftover dev server (\`lsof -nP -iTCP:${port} -sTCP:LISTEN\` shows its pid), stop it with \`kill <pid>\`; ` +
        `or choose free ports with TEMPORAL_PORT and TEMPORAL_UI_PORT; or, to use that server deliberately, set TEMPORAL_ADDRESS=${host}:${ports.port}.`,
    );
  }
}

const watchdogPath = path.join(__dirname, 'dev-server-watchdog.js');

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const executable = options.executable ?? findTemporalCli();
  if (!executable) {
    throw new Error('the `temporal` CLI was not found (TEMPORAL_CLI_PATH, PATH, .tools/): run `npm install` to provision it, or set TEMPORAL_ADDRESS to use an existing cluster');
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  fs.mkdirSync(options.dataDir, { recursive: true });

  await assertDevServerPortsFree(options);

  // Own process group: a terminal Ctrl-C must not kill Temporal before the worker has drained.
  // stdin is the watchdog's lifeline (closed by the kernel when we die); fd 3 tells us the server's pid.
  const child = spawn(process.execPath, [watchdogPath, executable, ...devServerArgs(options)], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true });
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);
  const serverPid = new Promise<number>((resolve) => {
    let text = '';
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(Number(text.trim()));
    });
  });

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
  // A server that lost the ports to another process between the check above and its own bind
  // exits: if ours is gone already, what answered is not ours. (One still on its way out in that
  // millisecond-wide window is not caught here; the port check is the guard that counts.)
  const pid = await Promise.race([serverPid, exited.then(() => undefined)]);
  if (pid === undefined || child.exitCode !== null || !isAlive(pid)) {
    await connection.close().catch(() => undefined);
    await stopChild(child, exited);
    throw new PortTakenError(`the Temporal dev server exited while another server answered on ${address}; Sync Center does not use a server it did not start:\n${recent.join('\n')}`);
  }

  return {
    address,
    uiUrl: `http://127.0.0.1:${options.uiPort}`,
    pid,
    connection,
    async stop() {
      stopping = true;
      await connection.close().catch(() => undefined);
      await stopChild(child, exited);
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The watchdog and the server share a process group led by the watchdog. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal); // no process groups (Windows), or the group is gone already
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, graceMs = 10_000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM'); // the watchdog passes it on and exits with the server
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
