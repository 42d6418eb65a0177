// Runs the real `sync-center demo` as a child process, as a newcomer runs `npm run demo`: the
// company reaches the WeCom fake, the guide's "try this" works through the CLI, Ctrl-C exits 0,
// and a second demo on the same data directory reuses its tasks and keeps the edited HR export.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv, CliProcess, freePort } from '../test/support/cli-process';
import { demoTaskNames, demoTemplate } from './commands/demo';

jest.setTimeout(240_000);

const bin = path.join(__dirname, 'bin.js');

class DemoProcess extends CliProcess {
  constructor(child: ChildProcessWithoutNullStreams) {
    super(child, 'demo');
  }

  override waitFor(pattern: RegExp, timeoutMs = 180_000): Promise<RegExpMatchArray> {
    return super.waitFor(pattern, timeoutMs);
  }

  async stop(): Promise<void> {
    this.child.kill('SIGINT');
    const code = await this.exited;
    expect({ code, output: code === 0 ? '' : this.output }).toEqual({ code: 0, output: '' });
  }
}

interface Person {
  username: string;
  name: string;
  employeeNumber: string;
  department: string;
  manager: string;
  status: string;
}

/** The template's people; it has no quoted cells, so a split is a faithful read. */
function templatePeople(): Person[] {
  const [, ...lines] = fs.readFileSync(demoTemplate, 'utf8').trim().split('\n');
  return lines.map((line) => {
    const [username, name, , , employeeNumber, , department, manager, status] = line.split(',');
    return { username, name, employeeNumber, department, manager, status };
  });
}

interface WecomState {
  department: { id: number; name: string; parentid: number }[];
  userlist: { userid: string; name: string; department: number[]; direct_leader?: string[]; enable?: number }[];
}

describe('sync-center demo', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let apiUrl: string;
  let demo: DemoProcess | undefined;
  let taskIds: { upstream: string; downstream: string };

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-demo-'));
    const api = await freePort();
    apiUrl = `http://127.0.0.1:${api}`;
    // No blanket host permission: the demo must allow its own fake's host.
    env = cleanEnv({ SYNC_CENTER_ALLOW_ANY_HOST: '', SYNC_CENTER_DATA_DIR: dataDir, PORT: String(api), TEMPORAL_PORT: String(await freePort()), TEMPORAL_UI_PORT: String(await freePort()) });
  });

  afterAll(async () => {
    if (demo && demo.child.exitCode === null) {
      demo.child.kill('SIGTERM');
      await demo.exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function startDemo(): Promise<{ wecomUrl: string }> {
    demo = new DemoProcess(spawn(process.execPath, [bin, 'demo', '--wecom-port', '0'], { env }));
    await demo.waitFor(/Demo ready/);
    const [, wecomUrl] = await demo.waitFor(/WeCom fake\s+(http:\S+)/);
    return { wecomUrl };
  }

  async function api<T>(method: string, url: string): Promise<T> {
    const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const res = await fetch(`${apiUrl}/api/v1${url}`, { method, headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  async function wecomState(wecomUrl: string): Promise<WecomState> {
    return (await (await fetch(`${wecomUrl}/__fake/state`)).json()) as WecomState;
  }

  function cli(...args: string[]) {
    return promisify(execFile)(process.execPath, [bin, ...args], { env: { ...env, SYNC_CENTER_API_URL: apiUrl } });
  }

  interface Task {
    id: string;
    name: string;
    lastRun: { id: string; status: string } | null;
  }

  async function demoTasks(): Promise<{ upstream: Task; downstream: Task }> {
    const { items } = await api<{ items: Task[] }>('GET', '/sync-tasks');
    const byName = (name: string) => items.filter((t) => t.name === name);
    expect([byName(demoTaskNames.upstream).length, byName(demoTaskNames.downstream).length]).toEqual([1, 1]);
    return { upstream: byName(demoTaskNames.upstream)[0], downstream: byName(demoTaskNames.downstream)[0] };
  }

  it('seeds the company: both runs succeed, and every active person is in WeCom with the right department and manager', async () => {
    const { wecomUrl } = await startDemo();
    expect(fs.readFileSync(path.join(dataDir, 'imports', 'demo', 'hr.csv'), 'utf8')).toBe(fs.readFileSync(demoTemplate, 'utf8'));
    const { upstream, downstream } = await demoTasks();
    taskIds = { upstream: upstream.id, downstream: downstream.id };
    for (const task of [upstream, downstream]) {
      const run = await api<{ status: string; summary: { users: { succeeded: number; total: number }; departments: { succeeded: number } } }>('GET', `/runs/${task.lastRun!.id}`);
      expect(run).toMatchObject({ status: 'succeeded', summary: { users: { succeeded: 24, total: 24 }, departments: { succeeded: 6 } } });
    }

    const people = templatePeople();
    expect(people).toHaveLength(25);
    const state = await wecomState(wecomUrl);
    const departmentName = (id: number) => state.department.find((d) => d.id === id)?.name;
    const acme = state.department.find((d) => d.name === 'Acme')!;
    expect(acme.parentid).toBe(1);
    expect(state.department.filter((d) => d.parentid === acme.id).map((d) => d.name).sort()).toEqual(['Engineering', 'Marketing', 'Sales', '人力资源部', '财务部'].sort());

    const usernameOf = new Map(people.map((p) => [p.employeeNumber, p.username]));
    const active = people.filter((p) => p.status === 'active');
    expect(state.userlist.map((u) => u.userid).sort()).toEqual(active.map((p) => p.username).sort());
    for (const person of active) {
      const user = state.userlist.find((u) => u.userid === person.username)!;
      expect({ userid: user.userid, name: user.name, departments: user.department.map(departmentName), leader: user.direct_leader ?? [] }).toEqual({
        userid: person.username,
        name: person.name,
        departments: [person.department.split('/').at(-1)],
        leader: person.manager ? [usernameOf.get(person.manager)] : [],
      });
    }
    expect(demo!.output).toContain(`SyncTaskId="${downstream.id}"`);
    expect(demo!.output).not.toContain(fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim());
  });

  it('"try this": a deleted hub user is staged by the downstream run, and goes from WeCom only when `approvals execute` says so', async () => {
    const [, wecomUrl] = demo!.output.match(/WeCom fake\s+(http:\S+)/)!;
    await api('DELETE', '/users/E1025');
    const ran = await cli('tasks', 'run', taskIds.downstream, '--wait');
    expect(ran.stdout).toMatch(/succeeded: .*1 staged for approval/);

    const pending = JSON.parse((await cli('approvals', 'list', '--task', taskIds.downstream, '--status', 'PENDING', '--json')).stdout) as { id: string; action: string; targetId: string }[];
    expect(pending).toEqual([expect.objectContaining({ action: 'DeleteUser', targetId: 'leo' })]);
    expect((await wecomState(wecomUrl)).userlist.some((u) => u.userid === 'leo')).toBe(true);

    expect((await cli('approvals', 'execute', pending[0].id)).stdout).toContain('accepted');
    const deadline = Date.now() + 30_000;
    while ((await wecomState(wecomUrl)).userlist.some((u) => u.userid === 'leo') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await wecomState(wecomUrl)).userlist.some((u) => u.userid === 'leo')).toBe(false);
  });

  it('stops everything on SIGINT with exit code 0', async () => {
    await demo!.stop();
    expect(demo!.output).toContain('[sync-center] stopped\n');
  });

  it('runs again on the same data directory: the same tasks, the edited HR export kept and synced', async () => {
    // Henry leaves in the HR export before the restart: the hub disables him, so the fresh fake never gets him.
    const csv = path.join(dataDir, 'imports', 'demo', 'hr.csv');
    fs.writeFileSync(csv, fs.readFileSync(csv, 'utf8').split('\n').filter((line) => !line.startsWith('henry,')).join('\n'));
    const { wecomUrl } = await startDemo();
    expect(demo!.output).toContain('kept from an earlier demo');
    const { upstream, downstream } = await demoTasks();
    expect({ upstream: upstream.id, downstream: downstream.id }).toEqual(taskIds);
    expect([upstream.lastRun?.status, downstream.lastRun?.status]).toEqual(['succeeded', 'succeeded']);
    const users = (await wecomState(wecomUrl)).userlist.map((u) => u.userid);
    expect(users).toEqual(expect.arrayContaining(['leo', 'alice', 'chenjing']));
    expect(users).not.toContain('henry');
    expect(users).toHaveLength(23);
    await demo!.stop();
  });
});
