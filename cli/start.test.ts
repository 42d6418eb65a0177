// Runs the real `sync-center start` as a child process, as a newcomer would after `npm install`.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { cleanEnv, CliProcess, freePort } from '../test/support/cli-process';

jest.setTimeout(180_000);

const bin = path.join(__dirname, 'bin.js');

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

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('sync-center start', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let ports: { api: number; temporal: number; ui: number };
  let running: CliProcess | undefined;
  let devServerPid: number;
  let createdToken: string;
  const parkedWorkflowId = `parked-${Date.now()}`;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-start-'));
    ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
    env = cleanEnv({
      SYNC_CENTER_DATA_DIR: dataDir,
      PORT: String(ports.api),
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
    });
  });

  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGTERM');
      await running.exited;
    }
    if (devServerPid && isRunning(devServerPid)) process.kill(devServerPid, 'SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<{ healthUrl: string; uiUrl: string }> {
    running = new CliProcess(spawn(process.execPath, [bin, 'start'], { env }), 'start');
    const [, pid] = await running.waitFor(/Temporal dev server ready \(pid (\d+)\)/);
    devServerPid = Number(pid);
    const [, healthUrl] = await running.waitFor(/Health\s+(\S+)/);
    const [, uiUrl] = await running.waitFor(/Temporal UI\s+(\S+)/);
    return { healthUrl, uiUrl };
  }

  async function stopWithSigint(): Promise<void> {
    running!.child.kill('SIGINT');
    const code = await running!.exited;
    expect({ code, output: code === 0 ? '' : running!.output }).toEqual({ code: 0, output: '' });
    for (const port of Object.values(ports)) expect(await refusesConnections(port)).toBe(true);
    expect(isRunning(devServerPid)).toBe(false);
  }

  function cli(...args: string[]) {
    return promisify(execFile)(process.execPath, [bin, ...args], { env: { ...env, SYNC_CENTER_API_URL: `http://127.0.0.1:${ports.api}` } });
  }

  it('brings up Temporal with its UI and search attributes, the worker and a healthy API, and prints where the admin token is', async () => {
    const { healthUrl, uiUrl } = await start();
    expect(running!.output).toContain(`Admin token  in ${path.join(dataDir, 'admin-token')} (created now)`);
    expect(running!.output).not.toContain(fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim());

    const health = await fetch(healthUrl);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(health.status).toBe(200);
    const adminToken = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const readiness = await fetch(`http://127.0.0.1:${ports.api}/api/v1/readiness`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(await readiness.json()).toEqual({ status: 'ok', database: { status: 'ok' }, temporal: { status: 'ok' } });
    expect((await fetch(uiUrl)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.api}/docs`, { redirect: 'follow' })).status).toBe(200);

    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(['SyncTaskId', 'SyncDirection', 'ConnectorKind']));
      // A workflow on a queue nobody polls stays open: the restart test looks for it.
      await new Client({ connection }).workflow.start('parkedWorkflow', { taskQueue: 'nobody-polls-this', workflowId: parkedWorkflowId, args: [{}] });
      const pollers = await connection.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: 'sync-center' }, taskQueueType: 1 });
      expect(pollers.pollers.length).toBeGreaterThan(0);
    } finally {
      await connection.close();
    }
  });

  it('`sync-center token create` mints a token through the running API, and `token list` shows it', async () => {
    const created = await cli('token', 'create', '--role', 'operator', '--name', 'ci-bot', '--expires-in-days', '30');
    createdToken = created.stdout.trim();
    expect(createdToken.length).toBeGreaterThan(16);
    expect(created.stderr).toContain('operator token "ci-bot"');
    expect(created.stderr).toMatch(/expires \d{4}-\d\d-\d\dT/);

    const departments = await fetch(`http://127.0.0.1:${ports.api}/api/v1/departments`, { headers: { authorization: `Bearer ${createdToken}` } });
    expect(departments.status).toBe(200);
    const listed = await cli('token', 'list');
    expect(listed.stdout).toMatch(/ci-bot\s+operator.*\d{4}-\d\d-\d\dT\S+\s*$/m);
    expect(listed.stdout).not.toContain(createdToken);
  });

  it('stops everything on SIGINT with exit code 0, leaving nothing listening', async () => {
    await stopWithSigint();
  });

  it('keeps Temporal and database state in the data directory across restarts', async () => {
    const { healthUrl } = await start();
    expect((await fetch(healthUrl)).status).toBe(200);
    expect(running!.output).toContain(`Admin token  in ${path.join(dataDir, 'admin-token')}\n`);

    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    try {
      const described = await new Client({ connection }).workflow.getHandle(parkedWorkflowId).describe();
      expect(described.status.name).toBe('RUNNING');
    } finally {
      await connection.close();
    }
    const departments = await fetch(`http://127.0.0.1:${ports.api}/api/v1/departments`, { headers: { authorization: `Bearer ${createdToken}` } });
    expect(departments.status).toBe(200);
    await stopWithSigint();
  });

  it('refuses `worker` without DATABASE_URL and TEMPORAL_ADDRESS, naming both', async () => {
    const failed = cli('worker');
    await expect(failed).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('needs DATABASE_URL and TEMPORAL_ADDRESS') });
  });

  it('names the flag in argument errors', async () => {
    await expect(cli('token', 'create', '--name', 'x')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--role is required') });
    await expect(cli('fake', 'wecom', '--port', 'abc')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--port must be a port number') });
  });
});
