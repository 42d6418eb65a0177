// `sync-center api` and `sync-center worker` as separate processes against an existing Postgres and
// Temporal cluster — the docker-compose shape — including search attribute registration.
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import postgres from 'postgres';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from '../test/support/cli-process';
import { postgresAdminUrl } from '../test/support/databases';
import { startLocalTemporal } from '../test/support/temporal';

jest.setTimeout(180_000);

function run(command: string, env: NodeJS.ProcessEnv) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [path.join(__dirname, 'bin.js'), command], { env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    child,
    exited,
    output: () => output,
    async waitFor(pattern: RegExp): Promise<void> {
      const deadline = Date.now() + 120_000;
      while (!pattern.test(output)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${command} never printed ${pattern}:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

describe('api and worker as separate processes (DATABASE_URL + TEMPORAL_ADDRESS)', () => {
  let temporal: TestWorkflowEnvironment;
  const dbName = `sc_cli_${randomBytes(6).toString('hex')}`;
  let env: NodeJS.ProcessEnv;
  let apiPort: number;
  const started: ReturnType<typeof run>[] = [];

  beforeAll(async () => {
    // A cluster that knows nothing of our search attributes, like a fresh production one.
    temporal = await startLocalTemporal({ searchAttributes: [] });
    const admin = postgres(postgresAdminUrl, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`create database ${dbName}`);
    await admin.end();
    apiPort = await freePort();
    const url = new URL(postgresAdminUrl);
    url.pathname = `/${dbName}`;
    env = {
      PATH: process.env.PATH,
      DATABASE_URL: url.toString(),
      TEMPORAL_ADDRESS: temporal.address,
      PORT: String(apiPort),
      SYNC_CENTER_ADMIN_TOKEN: 'compose-admin-token-0123456789',
      SYNC_CENTER_SECRET_KEY: randomBytes(32).toString('base64'),
      SYNC_CENTER_DATA_DIR: path.join(__dirname, '..', '.data', 'unused-by-this-test'),
    };
  });

  afterAll(async () => {
    for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await temporal?.teardown();
    const admin = postgres(postgresAdminUrl, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  });

  it('serves a healthy API, runs a worker that registers the search attributes, and both stop on SIGTERM', async () => {
    const api = run('api', env);
    started.push(api);
    await api.waitFor(/API on (\S+)/);
    const health = await fetch(`http://127.0.0.1:${apiPort}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });
    const readiness = await fetch(`http://127.0.0.1:${apiPort}/api/v1/readiness`, { headers: { authorization: `Bearer ${env.SYNC_CENTER_ADMIN_TOKEN}` } });
    expect(await readiness.json()).toEqual({ status: 'ok', database: { status: 'ok' }, temporal: { status: 'ok' } });
    const tokens = await fetch(`http://127.0.0.1:${apiPort}/api/v1/tokens`, { headers: { authorization: `Bearer ${env.SYNC_CENTER_ADMIN_TOKEN}` } });
    expect(tokens.status).toBe(200);

    const worker = run('worker', env);
    started.push(worker);
    await worker.waitFor(/worker polling task queue sync-center/);
    expect(worker.output()).toContain('registered search attributes SyncTaskId, SyncDirection, ConnectorKind');
    const { customAttributes } = await temporal.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(['SyncTaskId', 'SyncDirection', 'ConnectorKind']));

    worker.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(await api.exited).toBe(0);
  });

  it('worker refuses to start without SYNC_CENTER_SECRET_KEY', async () => {
    const worker = run('worker', { ...env, SYNC_CENTER_SECRET_KEY: '' });
    started.push(worker);
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toContain('needs SYNC_CENTER_SECRET_KEY');
  });
});
