// `start` owns its Temporal dev server: it never joins one it did not start (issue 18: an
// orphaned server of another installation fed its workflows to our worker), and its server dies
// with it, SIGKILL included.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cleanEnv, CliProcess, freePort } from '../test/support/cli-process';
import { findTemporalCli } from './temporal-binaries';

jest.setTimeout(180_000);

const bin = path.join(__dirname, 'bin.js');

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function within<T>(ms: number, check: () => Promise<T> | T): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const dataDirs: string[] = [];
const cleanups: (() => void)[] = [];

async function startEnv(ports: { temporal: number; ui: number }) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-owner-'));
  dataDirs.push(dataDir);
  return cleanEnv({ SYNC_CENTER_DATA_DIR: dataDir, PORT: String(await freePort()), TEMPORAL_PORT: String(ports.temporal), TEMPORAL_UI_PORT: String(ports.ui) });
}

function track(child: ChildProcess): void {
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

afterAll(() => {
  for (const cleanup of cleanups) cleanup();
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

test('a SIGKILLed `start` takes its Temporal dev server with it: the process is gone and its ports are free', async () => {
  const ports = { temporal: await freePort(), ui: await freePort() };
  const start = new CliProcess(spawn(process.execPath, [bin, 'start'], { env: await startEnv(ports) }), 'start');
  track(start.child);
  const [, pid] = await start.waitFor(/Temporal dev server ready \(pid (\d+)\)/);
  const serverPid = Number(pid);
  cleanups.push(() => isRunning(serverPid) && process.kill(serverPid, 'SIGKILL'));
  await start.waitFor(/Sync Center is running/);
  expect(isRunning(serverPid)).toBe(true);

  start.child.kill('SIGKILL');
  await start.exited;
  expect(await within(8000, () => !isRunning(serverPid))).toBe(true);
  expect(await within(2000, async () => (await refusesConnections(ports.temporal)) && (await refusesConnections(ports.ui)))).toBe(true);
});

test('a foreign Temporal dev server on the port makes `start` refuse, naming the port and what to do, instead of joining it', async () => {
  const ports = { temporal: await freePort(), ui: await freePort() };
  const foreignDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-foreign-'));
  dataDirs.push(foreignDir);
  // Another installation's server, orphaned: it holds the ports `start` is configured for.
  const foreign = spawn(findTemporalCli()!, ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(ports.temporal), '--ui-port', String(ports.ui), '--db-filename', path.join(foreignDir, 'temporal.db'), '--log-level', 'error'], {
    stdio: 'ignore',
  });
  track(foreign);
  expect(await within(30_000, async () => !(await refusesConnections(ports.temporal)) && !(await refusesConnections(ports.ui)))).toBe(true);

  const start = new CliProcess(spawn(process.execPath, [bin, 'start'], { env: await startEnv(ports) }), 'start');
  track(start.child);
  const code = await Promise.race([start.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 60_000))]);
  expect({ code, joined: /Sync Center is running/.test(start.output) }).toEqual({ code: 1, joined: false });
  expect(start.output).toContain(`port ${ports.temporal} (TEMPORAL_PORT) on 127.0.0.1 is already in use`);
  expect(start.output).toMatch(/TEMPORAL_PORT and TEMPORAL_UI_PORT/);
  expect(start.output).toContain(`lsof -nP -iTCP:${ports.temporal} -sTCP:LISTEN`);
  // The foreign server is left alone.
  expect(foreign.exitCode).toBeNull();
});

test('a foreign listener on the Web UI port is refused as well', async () => {
  const ports = { temporal: await freePort(), ui: await freePort() };
  const listener = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => listener.listen(ports.ui, '127.0.0.1', resolve));
  cleanups.push(() => listener.close());
  const start = new CliProcess(spawn(process.execPath, [bin, 'start'], { env: await startEnv(ports) }), 'start');
  track(start.child);
  expect(await start.exited).toBe(1);
  expect(start.output).toContain(`port ${ports.ui} (TEMPORAL_UI_PORT) on 127.0.0.1 is already in use`);
  expect(await refusesConnections(ports.temporal)).toBe(true);
});
