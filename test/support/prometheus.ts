// A real Prometheus for the scrape test of deploy/prometheus.yml: Debian's prometheus and promtool
// (installed by scripts/provision-prometheus.sh when missing), started on a free loopback port with a
// temporary config and data directory, stopped and deleted after.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './cli-process';
import { findBinary, provision } from './system-binaries';

/** prometheus and promtool, installing them first (apt, as root) when missing. */
export function ensurePrometheus(): { prometheus: string; promtool: string } {
  let prometheus = findBinary('prometheus');
  let promtool = findBinary('promtool');
  if (!prometheus || !promtool) {
    provision('prometheus');
    prometheus = findBinary('prometheus');
    promtool = findBinary('promtool');
  }
  if (!prometheus || !promtool) throw new Error('prometheus is not installed and could not be installed: apt-get install prometheus');
  return { prometheus, promtool };
}

/** `promtool check config` on a file: its output, or an Error carrying it. */
export function promtoolCheckConfig(file: string, options: { syntaxOnly?: boolean } = {}): string {
  const { promtool } = ensurePrometheus();
  try {
    return execFileSync(promtool, ['check', 'config', ...(options.syntaxOnly ? ['--syntax-only'] : []), file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool check config ${file} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

export interface RunningPrometheus {
  url: string;
  /** the temporary directory of the config, its data and any files a test writes for it */
  dir: string;
  /** GET /api/v1/<path>: the answer's data (throws on an error status) */
  api<T = unknown>(pathAndQuery: string): Promise<T>;
  /** what the server logged, for a failure message */
  output(): string;
  stop(): Promise<void>;
}

/** A fresh directory for a config and the files it names (credentials files). */
export function prometheusDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'sync-center-prometheus-'));
}

/** Starts prometheus on a free loopback port with this config text, written into `dir`; resolves once it is ready. */
export async function startPrometheus(dir: string, configYaml: string): Promise<RunningPrometheus> {
  const { prometheus } = ensurePrometheus();
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(configFile, configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const child: ChildProcess = spawn(
    prometheus,
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk) => (log += String(chunk)));
  child.stderr?.on('data', (chunk) => (log += String(chunk)));
  // A Jest worker that force-exits (jest.config.js forceExit) never reaches afterAll: take it down too.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${log}`);
      const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      if (i > 300) throw new Error(`prometheus did not get ready on ${url}:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    dir,
    async api<T>(pathAndQuery: string): Promise<T> {
      const res = await fetch(`${url}/api/v1/${pathAndQuery}`);
      const body = (await res.json()) as { status: string; data: T; error?: string };
      if (!res.ok || body.status !== 'success') throw new Error(`prometheus /api/v1/${pathAndQuery}: ${res.status} ${body.error ?? ''}`);
      return body.data;
    },
    output: () => log,
    stop,
  };
}
