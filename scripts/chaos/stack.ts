// The production shape on one machine, for the chaos run: the Temporal dev server (state in a file,
// so a restart keeps every execution), a fresh Postgres database, the API and the worker as separate
// processes (the worker is the one that gets kill -9), and the WeCom, Feishu and DingTalk fakes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { definitionOf } from '../../connectors/definitions';
import type { RunningFake } from '../../connectors/types';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../cli/temporal-dev-server';
import { stateQuery, taskWorkflowId } from '../../workflows/definitions';
import { projectRoot } from '../../cli/temporal-binaries';
import { freePort } from '../../test/support/cli-process';

export const fakeKinds = ['wecom', 'feishu', 'dingtalk'] as const;
export type FakeKind = (typeof fakeKinds)[number];

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export interface StackOptions {
  dir: string;
  /** the Postgres server the database is created on (trust auth) */
  postgresUrl: string;
  log: (line: string) => void;
}

export class ChaosStack {
  readonly adminToken = randomBytes(24).toString('hex');
  readonly secretKey = randomBytes(32).toString('base64');
  readonly databaseName = `chaos_${process.pid}_${Date.now()}`;
  readonly importDir: string;
  apiUrl = '';
  databaseUrl = '';
  temporal!: DevServer;
  private temporalClient?: Client;
  fakes = {} as Record<FakeKind, RunningFake>;
  sql!: postgres.Sql;
  private temporalPort = 0;
  private uiPort = 0;
  private api?: ChildProcess;
  private worker?: ChildProcess;
  private stopping = false;
  /** worker processes that died without being killed by the run (a crash of our own) */
  unexpectedWorkerExits = 0;

  constructor(private readonly options: StackOptions) {
    this.importDir = path.join(options.dir, 'imports');
    fs.mkdirSync(this.importDir, { recursive: true });
  }

  private env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      DATABASE_URL: this.databaseUrl,
      TEMPORAL_ADDRESS: this.temporal.address,
      TEMPORAL_TASK_QUEUE: 'sync-center-chaos',
      SYNC_CENTER_SECRET_KEY: this.secretKey,
      SYNC_CENTER_ADMIN_TOKEN: this.adminToken,
      SYNC_CENTER_IMPORT_DIR: this.importDir,
      SYNC_CENTER_DATA_DIR: path.join(this.options.dir, 'data'),
      // The connectors call the fakes on 127.0.0.1.
      SYNC_CENTER_ALLOW_ANY_HOST: '1',
      SYNC_CENTER_RATE_LIMIT: 'off',
    };
  }

  async start(): Promise<void> {
    const admin = postgres(this.options.postgresUrl, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`CREATE DATABASE ${this.databaseName}`);
    await admin.end();
    const url = new URL(this.options.postgresUrl);
    url.pathname = `/${this.databaseName}`;
    this.databaseUrl = url.toString();
    this.sql = postgres(this.databaseUrl, { max: 2, onnotice: () => undefined });

    [this.temporalPort, this.uiPort] = [await freePort(), await freePort()];
    await this.startTemporal();
    for (const kind of fakeKinds) this.fakes[kind] = await definitionOf(kind)!.fake!.start({ host: '127.0.0.1', port: 0 });

    const apiPort = await freePort();
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    this.api = this.spawnCli('api', { PORT: String(apiPort), HOST: '127.0.0.1' });
    await until('the API', 60_000, async () => ((await fetch(`${this.apiUrl}/healthz`)).ok ? true : undefined));
    // After the API: it applied the migrations.
    this.startWorker();
  }

  /**
   * Whether the task's workflow holds work no run row shows yet: triggers waiting, or a run asked
   * for whose first step has not started (a killed worker held it until its timeout). Undefined when
   * the question cannot be answered (Temporal restarting).
   */
  async taskWorkflowBusy(taskId: string): Promise<boolean | undefined> {
    try {
      this.temporalClient ??= new Client({ connection: await Connection.connect({ address: this.temporal.address }) });
      const state = await this.temporalClient.workflow.getHandle(taskWorkflowId(taskId)).query(stateQuery);
      return state.running !== undefined || state.pending.real !== undefined || state.pending.dry !== undefined;
    } catch {
      this.temporalClient = undefined;
      return undefined;
    }
  }

  private async startTemporal(): Promise<void> {
    this.temporal = await startDevServer({
      dataDir: path.join(this.options.dir, 'temporal'),
      port: this.temporalPort,
      uiPort: this.uiPort,
      namespace: 'default',
      log: () => undefined,
    });
  }

  private spawnCli(command: string, extra: Record<string, string> = {}): ChildProcess {
    const logFile = fs.openSync(path.join(this.options.dir, `${command}.log`), 'a');
    const child = spawn(process.execPath, [path.join(projectRoot, 'cli', 'bin.js'), command], {
      cwd: projectRoot,
      env: { ...this.env(), ...extra },
      stdio: ['ignore', logFile, logFile],
    });
    fs.closeSync(logFile);
    return child;
  }

  startWorker(): void {
    const worker = this.spawnCli('worker');
    this.worker = worker;
    worker.once('exit', (code, signal) => {
      if (this.worker !== worker || this.stopping || signal === 'SIGKILL') return;
      // The worker gave up on its own (e.g. Temporal away too long): that is a finding, and the run goes on.
      this.unexpectedWorkerExits++;
      this.options.log(`[chaos] worker exited by itself (code ${code}, signal ${signal}); restarting it`);
      this.startWorker();
    });
  }

  /** kill -9: no drain, no shutdown hooks, in-flight activities abandoned. */
  async killWorker(): Promise<void> {
    const worker = this.worker;
    if (!worker || worker.exitCode !== null) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGKILL');
    await exited;
  }

  /** Every connection of the application to its database is cut; postgres.js reconnects on the next query. */
  async cutPostgres(): Promise<number> {
    const rows = await this.sql`SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE datname = ${this.databaseName} AND pid <> pg_backend_pid()`;
    return rows.length;
  }

  /** Stops the dev server and starts it again on the same port and state file. */
  async restartTemporal(downMs: number): Promise<void> {
    await this.temporal.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.startTemporal();
  }

  /** 5xx and rate-limit bursts and revoked tokens on every fake at once. */
  async vendorStorm(): Promise<void> {
    for (const kind of fakeKinds) {
      await fetch(`${this.fakes[kind].url}/__fake/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // Each refusal of a burst comes after the 60 s block the previous one earned (WeCom: "a minute
        // block lasts 60 s"), so a burst of N costs N minutes; 2 keep the round inside its settle time.
        body: JSON.stringify({ serverErrors: 6, rateLimitBurst: 2, revokeTokens: true }),
      });
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.temporalClient?.connection.close().catch(() => undefined);
    for (const child of [this.worker, this.api]) {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    }
    for (const fake of Object.values(this.fakes)) await fake.close();
    await this.temporal?.stop();
    await this.sql?.end();
    const admin = postgres(this.options.postgresUrl, { max: 1, onnotice: () => undefined });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${this.databaseName} WITH (FORCE)`);
    await admin.end();
  }
}
