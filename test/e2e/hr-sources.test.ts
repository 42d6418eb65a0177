/**
 * The HR systems as the identity source, end to end on the real Temporal dev server: Beisen iTalent
 * (Postgres) feeds the hub, and the hub provisions WeCom and Feishu fakes through a hire, a start date
 * that comes, a transfer, a manager change, a leave and a rehire, each second run a no-op; Moka People
 * (PGlite) feeds the hub through the same lifecycle. Each HR system changes by its own fake's seed, in
 * its own shape, as its admin would in the HR console. Tests of one describe share a story, in order.
 * Then each with `incremental` on: scheduled runs read only what changed since the last one (and the
 * people whose start day came), and the periodic full run still happens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import { createBeisenConnector, type BeisenSecrets, type BeisenSettings } from '../../connectors/beisen';
import { startBeisenFake, type RunningBeisenFake } from '../../connectors/beisen/fake';
import type { BeisenEmployee } from '../../connectors/beisen/mapping';
import type { RunningFeishuFake } from '../../connectors/feishu/fake';
import { createMokaConnector, type MokaSecrets, type MokaSettings } from '../../connectors/moka';
import { mokaFakeDefaults, startMokaFake, type RunningMokaFake } from '../../connectors/moka/fake';
import type { MokaEmployee } from '../../connectors/moka/mapping';
import { chinaDateTime, chinaDay } from '../../connectors/shared/china-time';
import { fakeControl, fakeState } from '../../connectors/shared/test-helpers';
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { getReadWatermark } from '../../db/repos/read-watermarks';
import { loadSnapshot } from '../../db/repos/sync-runs';
import { taskReadWatermarks } from '../../db/schema';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { E2eStack, quietTemporalLogs, wecomDirectory } from './harness';
import { scanForSecrets } from './secret-scan';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  quietTemporalLogs();
  [env, bundle] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows()]);
}, 180_000);

afterAll(async () => {
  await env?.teardown();
});

const dayMs = 86_400_000;
const today = () => chinaDay(new Date());
const tomorrow = () => chinaDay(new Date(Date.now() + dayMs));

/** One person in the HR system: status in the vendor's own code; manager and department by name. */
interface Person {
  id: number;
  username: string;
  name: string;
  department: 'Engineering' | 'Sales';
  manager: string | null;
  status: string;
  start?: string;
}

const company: Person[] = [
  { id: 1001, username: 'alice', name: 'Alice Wang', department: 'Engineering', manager: null, status: '3' },
  { id: 1002, username: 'bob', name: 'Bob Li', department: 'Engineering', manager: 'alice', status: '3' },
  { id: 1003, username: 'carol', name: 'Carol Zhang', department: 'Sales', manager: 'alice', status: '3' },
  { id: 1004, username: 'dave', name: 'Dave Chen', department: 'Sales', manager: 'carol', status: '2' },
  { id: 1005, username: 'erin', name: 'Erin Zhou', department: 'Sales', manager: 'carol', status: '3' },
  { id: 1006, username: 'fay', name: 'Fay Sun', department: 'Engineering', manager: 'alice', status: '3' },
  { id: 1007, username: 'gus', name: 'Gus Liu', department: 'Engineering', manager: 'alice', status: '3' },
  // Signed but not started: 待入职, and an active record whose first day is tomorrow.
  { id: 1008, username: 'hank', name: 'Hank Wu', department: 'Engineering', manager: 'bob', status: '1', start: 'tomorrow' },
  { id: 1009, username: 'iris', name: 'Iris He', department: 'Sales', manager: 'carol', status: '2', start: 'tomorrow' },
];

const mobileOf = (id: number) => `1380000${id}`;

describe('Beisen → hub → WeCom and Feishu', () => {
  const beisenDepartments = { Engineering: 2, Sales: 3 };
  let database: Database;
  let beisen: RunningBeisenFake;
  let wecom: RunningWecomFake;
  let feishu: RunningFeishuFake;
  let stack: E2eStack;
  let upstreamId: string;
  let wecomId: string;
  let feishuId: string;
  let people: Person[];
  /** the WeCom task's onboarding-notice webhook: usernames in the order notices arrived */
  let hook: Server;
  let hookUrl: string;
  const notices: string[] = [];

  interface FeishuUser {
    user_id: string;
    name: string;
    department_ids: string[];
    leader_user_id: string;
    status: { is_frozen: boolean };
  }
  const feishuState = () => fakeState<{ departments: { department_id: string; name: string }[]; users: FeishuUser[] }>(feishu);
  const wecomMember = async (userid: string) => (await wecomDirectory(wecom)).userlist.find((u) => u.userid === userid);
  const wecomDepartment = async (name: string) => (await wecomDirectory(wecom)).department.find((d) => d.name === name)?.id;
  const feishuUser = async (username: string) => (await feishuState()).users.find((u) => u.user_id === username);
  const feishuDepartment = async (name: string) => (await feishuState()).departments.find((d) => d.name === name)?.department_id;

  async function seedBeisen(): Promise<void> {
    const idOf = (username: string | null) => (username ? people.find((p) => p.username === username)!.id : null);
    const employees: BeisenEmployee[] = people.map((p) => ({
      employeeInfo: { userID: p.id, name: p.name, email: `${p.username}@acme.test`, mobilePhone: mobileOf(p.id) },
      recordInfo: {
        userID: p.id,
        oIdDepartment: beisenDepartments[p.department],
        pOIdEmpAdmin: idOf(p.manager),
        jobNumber: `E${p.id}`,
        entryDate: `${p.start === 'tomorrow' ? tomorrow() : p.start === 'today' ? today() : '2022-03-01'}T00:00:00`,
        employeeStatus: p.status,
      },
    }));
    const organizations = [
      { oId: 1, name: 'Acme', pOIdOrgAdmin: null, status: 1, orderAdmin: 1 },
      { oId: 2, name: 'Engineering', pOIdOrgAdmin: 1, status: 1, orderAdmin: 1 },
      { oId: 3, name: 'Sales', pOIdOrgAdmin: 1, status: 1, orderAdmin: 2 },
    ];
    expect((await fakeControl(beisen, 'seed', { organizations, employees })).status).toBe(200);
  }

  const change = async (username: string, changes: Partial<Person>) => {
    people = people.map((p) => (p.username === username ? { ...p, ...changes } : p));
    await seedBeisen();
  };

  /** Upstream, then both downstream tasks, as a schedule runs them: each must succeed with no failed item. */
  async function syncAll(): Promise<void> {
    for (const taskId of [upstreamId, wecomId, feishuId]) {
      const run = await stack.run(taskId);
      expect({ taskId, status: run.status }).toEqual({ taskId, status: 'succeeded' });
      expect((await stack.items(run.runId)).filter((i) => i.status !== 'succeeded')).toEqual([]);
    }
  }

  async function expectNoOpRuns(): Promise<void> {
    for (const taskId of [upstreamId, wecomId, feishuId]) await stack.expectNoOpRun(taskId);
  }

  beforeAll(async () => {
    [database, beisen, wecom, feishu] = await Promise.all([openTestDatabase('postgres'), startBeisenFake(), E2eStack.startWecom(), E2eStack.startFeishu()]);
    stack = new E2eStack(env, bundle, database);
    people = company;
    await seedBeisen();
    const historyStart = chinaDay(new Date(Date.now() - 200 * dayMs)); // three windows of 90 days
    upstreamId = await stack.insertTask({
      name: 'Beisen to hub',
      direction: 'upstream',
      connector: { kind: 'beisen', settings: { baseUrl: beisen.baseUrl, tenantId: '100001', appId: 'fake-beisen-app', historyStart, usernameFrom: 'emailLocalPart' }, secrets: { secret: 'fake-beisen-secret' } },
    });
    hook = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        notices.push((JSON.parse(text) as { account: { username: string } }).account.username);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/notify/e2e-hook-token-5150`;
    const wecomTask = stack.wecomTask(wecom, { offboarding: 'disable' });
    wecomId = await stack.insertTask({ ...wecomTask, connector: { ...wecomTask.connector, secrets: { ...wecomTask.connector.secrets, onboardingWebhookUrl: hookUrl } } });
    // Feishu's task sends its invitation to each new account (onboarding notice); WeCom's stays at the default, off.
    const feishuTask = stack.feishuTask(feishu, { offboarding: 'disable' });
    feishuId = await stack.insertTask({ ...feishuTask, connector: { ...feishuTask.connector, settings: { ...feishuTask.connector.settings, inviteOnCreate: true } } });
  }, 120_000);

  afterAll(async () => {
    await Promise.all([beisen?.close(), wecom?.close(), feishu?.close(), new Promise((resolve) => (hook ? hook.close(resolve) : resolve(undefined)))]);
    await database?.close();
  });

  test('a first sync provisions everyone who has started in both apps, with department and manager; not those still to start', async () => {
    await syncAll();
    const hubUsers = await createHubDirectory(database.db).listUsersPage(null, 100);
    expect(hubUsers.map((u) => u.username).sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'fay', 'gus']);
    expect(hubUsers.find((u) => u.username === 'bob')).toMatchObject({ mobile: '+8613800001002', employeeNumber: 'E1002' });

    expect(await wecomMember('bob')).toMatchObject({ name: 'Bob Li', department: [await wecomDepartment('Engineering')], direct_leader: ['alice'] });
    expect(await wecomMember('dave')).toMatchObject({ department: [await wecomDepartment('Sales')], direct_leader: ['carol'] });
    expect(await feishuUser('bob')).toMatchObject({ name: 'Bob Li', department_ids: [await feishuDepartment('Engineering')], leader_user_id: 'alice' });
    for (const notYet of ['hank', 'iris']) {
      expect(await wecomMember(notYet)).toBeUndefined();
      expect(await feishuUser(notYet)).toBeUndefined();
    }
    // Invitations: off by default (WeCom got to_invite false), on for the Feishu task.
    expect((await fakeState<{ invited: string[] }>(wecom)).invited).toEqual([]);
    expect((await fakeState<{ invited: string[] }>(feishu)).invited.sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'fay', 'gus']);
    // The WeCom task's onboarding notice: one POST per account it created.
    expect([...notices].sort()).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'fay', 'gus']);
  });

  test('a second run of each task right after is a no-op', expectNoOpRuns);

  test('hire: a new 试用 employee starting today, and the start day of one signed earlier, reach both apps', async () => {
    people = [...people, { id: 1010, username: 'jane', name: 'Jane Ma', department: 'Sales', manager: 'carol', status: '2', start: 'today' }];
    // Iris's first day comes: a scheduled run that day reads the same record with entryDate today.
    people = people.map((p) => (p.username === 'iris' ? { ...p, start: 'today' } : p));
    await seedBeisen();
    await syncAll();
    for (const username of ['jane', 'iris']) {
      expect(await wecomMember(username)).toMatchObject({ department: [await wecomDepartment('Sales')], direct_leader: ['carol'] });
      expect(await feishuUser(username)).toMatchObject({ department_ids: [await feishuDepartment('Sales')], leader_user_id: 'carol' });
    }
    // Hank is still 待入职: not provisioned whatever his start date says.
    expect(await wecomMember('hank')).toBeUndefined();
    expect((await fakeState<{ invited: string[] }>(feishu)).invited.slice(-2).sort()).toEqual(['iris', 'jane']);
    expect(notices.slice(7).sort()).toEqual(['iris', 'jane']);
    await expectNoOpRuns();
  });

  test('transfer: Bob moves to Sales in Beisen, and in both apps', async () => {
    await change('bob', { department: 'Sales' });
    await syncAll();
    expect(await wecomMember('bob')).toMatchObject({ department: [await wecomDepartment('Sales')], direct_leader: ['alice'] });
    expect(await feishuUser('bob')).toMatchObject({ department_ids: [await feishuDepartment('Sales')] });
    await expectNoOpRuns();
  });

  test('manager change: Dave reports to Alice (pOIdEmpAdmin), in both apps', async () => {
    await change('dave', { manager: 'alice' });
    await syncAll();
    expect(await wecomMember('dave')).toMatchObject({ direct_leader: ['alice'] });
    expect(await feishuUser('dave')).toMatchObject({ leader_user_id: 'alice' });
    await expectNoOpRuns();
  });

  test('leave: Erin is 离职 in Beisen; she is offboarded in the hub and frozen in both apps', async () => {
    await change('erin', { status: '8' });
    await syncAll();
    const [erin] = (await createHubDirectory(database.db).listUsersPage(null, 100)).filter((u) => u.username === 'erin');
    expect(erin?.status).toBe('disabled');
    expect(await wecomMember('erin')).toMatchObject({ enable: 0 });
    expect(await feishuUser('erin')).toMatchObject({ status: expect.objectContaining({ is_frozen: true }) });
    expect((await wecomDirectory(wecom)).userlist.filter((u) => u.enable === 0).map((u) => u.userid)).toEqual(['erin']);
    await expectNoOpRuns();
  });

  test('rehire: Erin is back (试用, the same userID); she is enabled again in both apps, with her department and manager', async () => {
    await change('erin', { status: '2', department: 'Engineering', manager: 'alice' });
    await syncAll();
    expect(await wecomMember('erin')).toMatchObject({ enable: 1, department: [await wecomDepartment('Engineering')], direct_leader: ['alice'] });
    expect(await feishuUser('erin')).toMatchObject({ status: expect.objectContaining({ is_frozen: false }), department_ids: [await feishuDepartment('Engineering')], leader_user_id: 'alice' });
    // A rehire is an existing account enabled again, not a new one: no second invitation.
    expect((await fakeState<{ invited: string[] }>(feishu)).invited.filter((u) => u === 'erin')).toEqual(['erin']);
    expect(notices.filter((u) => u === 'erin')).toEqual(['erin']);
    await expectNoOpRuns();
  });

  test('the Beisen secret and the webhook URL (its token) never reach run rows, items, logs or Temporal history', async () => {
    const { leaks, searched } = await scanForSecrets({ env, database, secretBox: stack.secretBox, secrets: ['fake-beisen-secret', 'e2e-hook-token-5150'] });
    expect(leaks).toEqual([]);
    expect(searched.histories).toBeGreaterThan(0);
  });
});

describe('Moka → hub', () => {
  let database: Database;
  let moka: RunningMokaFake;
  let stack: E2eStack;
  let upstreamId: string;
  let staff: MokaEmployee[];

  const hubUsers = () => createHubDirectory(database.db).listUsersPage(null, 100);
  const seed = async () => {
    const departments = [
      { nodeUid: 10, nodeName: 'Acme', parentNodeUid: null, sortNum: 1 },
      { nodeUid: 11, nodeName: 'Product', parentNodeUid: 10, sortNum: 1 },
      { nodeUid: 12, nodeName: 'Ops', parentNodeUid: 10, sortNum: 2 },
    ];
    expect((await fakeControl(moka, 'seed', { departments, employees: staff })).status).toBe(200);
  };
  const person = (employee_id: number, username: string, employee_status: number, over: Partial<MokaEmployee> = {}): MokaEmployee => ({
    employee_id, name: username.toUpperCase(), email: `${username}@acme.test`, mobile: `1390000${String(employee_id).padStart(4, '0')}`, employee_no: `M${employee_id}`,
    department_id: 11, position_name: 'Engineer', employee_status, report_leader_id: 1, entry_date: '2023-01-01', ...over,
  });
  const update = async (id: number, changes: Partial<MokaEmployee>) => {
    staff = staff.map((e) => (e.employee_id === id ? { ...e, ...changes } : e));
    await seed();
  };
  const run = async () => {
    const result = await stack.run(upstreamId);
    expect(result.status).toBe('succeeded');
    expect((await stack.items(result.runId)).filter((i) => i.status !== 'succeeded')).toEqual([]);
  };

  beforeAll(async () => {
    [database, moka] = await Promise.all([openTestDatabase('pglite'), startMokaFake()]);
    stack = new E2eStack(env, bundle, database);
    staff = [
      person(1, 'max', 1, { report_leader_id: null, department_id: 10, position_name: 'CEO' }),
      person(2, 'nina', 3),
      ...['otto', 'pia', 'quinn', 'rosa'].map((u, i) => person(3 + i, u, 1)),
      person(9, 'sam', 4, { entry_date: tomorrow() }),
    ];
    await seed();
    const { entCode, apiKey, privateKey, departmentsApiCode, employeesApiCode } = mokaFakeDefaults;
    upstreamId = await stack.insertTask({
      name: 'Moka to hub',
      direction: 'upstream',
      connector: { kind: 'moka', settings: { baseUrl: moka.baseUrl, entCode, departmentsApiCode, employeesApiCode, usernameFrom: 'emailLocalPart' }, secrets: { apiKey, privateKey } },
    });
  }, 120_000);

  afterAll(async () => {
    await moka?.close();
    await database?.close();
  });

  test('a full run fills the hub with the 在职 and 试用 people, managers from report_leader_id, not the 待入职 one; the second run is a no-op', async () => {
    await run();
    const users = await hubUsers();
    expect(users.map((u) => u.username).sort()).toEqual(['max', 'nina', 'otto', 'pia', 'quinn', 'rosa']);
    const max = users.find((u) => u.username === 'max')!;
    expect(users.find((u) => u.username === 'nina')).toMatchObject({ managerId: max.id, title: 'Engineer', mobile: '+8613900000002' });
    await stack.expectNoOpRun(upstreamId);
  });

  test('hire, transfer, manager change, leave and rehire reach the hub; each second run is a no-op', async () => {
    const byName = async (username: string) => (await hubUsers()).find((u) => u.username === username);
    const departmentId = async (name: string) => (await createHubDirectory(database.db).listAllDepartments()).find((d) => d.name === name)!.id;

    await update(9, { employee_status: 3, entry_date: today() }); // hire: Sam's first day
    await run();
    expect(await byName('sam')).toMatchObject({ status: 'active', departmentIds: [await departmentId('Product')] });
    await stack.expectNoOpRun(upstreamId);

    await update(3, { department_id: 12, report_leader_id: 2 }); // transfer and a new manager
    await run();
    expect(await byName('otto')).toMatchObject({ departmentIds: [await departmentId('Ops')], managerId: (await byName('nina'))!.id });
    await stack.expectNoOpRun(upstreamId);

    await update(4, { employee_status: 2 }); // leave
    await run();
    expect(await byName('pia')).toMatchObject({ status: 'disabled' });
    await stack.expectNoOpRun(upstreamId);

    await update(4, { employee_status: 1 }); // rehire
    await run();
    expect(await byName('pia')).toMatchObject({ status: 'active' });
    await stack.expectNoOpRun(upstreamId);
  });

  test('the Moka API key and private key never reach run rows, items or Temporal history', async () => {
    const { leaks, searched } = await scanForSecrets({ env, database, secretBox: stack.secretBox, secrets: [mokaFakeDefaults.apiKey, mokaFakeDefaults.privateKey.split('\n')[5]] });
    expect(leaks).toEqual([]);
    expect(searched.histories).toBeGreaterThan(0);
  });
});

/** Scheduled runs of an upstream HR task with `incremental` on, on a clock the test moves (the connector's; Temporal's is real). */
function incrementalTask(connector: { kind: string; settings: Record<string, unknown>; secrets: Record<string, string> }) {
  return {
    name: `${connector.kind} to hub, incremental`,
    direction: 'upstream' as const,
    connector,
    triggers: { manual: true as const, realtime: false, schedule: { every: '2h' as const } },
    incremental: { enabled: true },
  };
}

const fakeCalls = async (fake: { url: string }, route: string) => ((await (await fetch(`${fake.url}/__fake/calls`)).json()) as { calls: Record<string, number> }).calls[route] ?? 0;

describe('Beisen → hub, incremental reads on scheduled runs', () => {
  const employeeRoute = 'POST /TenantBaseExternal/api/v5/Employee/GetByTimeWindow';
  let database: Database;
  let beisen: RunningBeisenFake;
  let stack: E2eStack;
  let taskId: string;
  let clockShiftMs = 0;
  interface Row {
    id: number;
    username: string;
    department: 2 | 3;
    manager: number | null;
    status: string;
    start: string;
    modified: string;
  }
  const longAgo = chinaDateTime(new Date(Date.now() - 10 * dayMs));
  let rows: Row[] = [
    { id: 2001, username: 'una', department: 2, manager: null, status: '3', start: '2022-01-01', modified: longAgo },
    { id: 2002, username: 'vic', department: 2, manager: 2001, status: '3', start: '2022-01-01', modified: longAgo },
    { id: 2003, username: 'wes', department: 3, manager: 2001, status: '3', start: '2022-01-01', modified: longAgo },
    { id: 2004, username: 'xia', department: 3, manager: 2003, status: '2', start: '2022-01-01', modified: longAgo },
    // Active (试用) but starting tomorrow; her record will not change on the day.
    { id: 2005, username: 'yan', department: 3, manager: 2003, status: '2', start: tomorrow(), modified: longAgo },
    // Enough people that one leaver stays under the mass-offboarding guard (20%).
    ...['ada', 'ben', 'cy', 'dot', 'ed'].map((username, i): Row => ({ id: 2011 + i, username, department: 2, manager: 2001, status: '3', start: '2022-01-01', modified: longAgo })),
  ];
  const seed = async () => {
    const employees: BeisenEmployee[] = rows.map((r) => ({
      employeeInfo: { userID: r.id, name: r.username.toUpperCase(), email: `${r.username}@acme.test`, mobilePhone: mobileOf(r.id), modifiedTime: r.modified },
      recordInfo: { userID: r.id, oIdDepartment: r.department, pOIdEmpAdmin: r.manager, jobNumber: `E${r.id}`, entryDate: `${r.start}T00:00:00`, employeeStatus: r.status, modifiedTime: r.modified },
    }));
    const organizations = [
      { oId: 1, name: 'Acme', pOIdOrgAdmin: null, status: 1, orderAdmin: 1, modifiedTime: longAgo },
      { oId: 2, name: 'Engineering', pOIdOrgAdmin: 1, status: 1, orderAdmin: 1, modifiedTime: longAgo },
      { oId: 3, name: 'Sales', pOIdOrgAdmin: 1, status: 1, orderAdmin: 2, modifiedTime: longAgo },
    ];
    expect((await fakeControl(beisen, 'seed', { organizations, employees })).status).toBe(200);
  };
  /** An HR edit now: the record's modifiedTime moves. */
  const edit = (id: number, changes: Partial<Row>) => {
    rows = rows.map((r) => (r.id === id ? { ...r, ...changes, modified: chinaDateTime(new Date()) } : r));
  };
  const scheduled = () => stack.run(taskId, { trigger: 'schedule' });
  /** Past the second of the edits: a run's watermark in that same second would list them again next time (≥, harmless, but not countable). */
  const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1050 - (Date.now() % 1000)));
  const hubUser = async (username: string) => (await createHubDirectory(database.db).listUsersPage(null, 100)).find((u) => u.username === username);
  const hubDepartment = async (name: string) => (await createHubDirectory(database.db).listAllDepartments()).find((d) => d.name === name)!.id;
  const noFailedItems = async (runId: string) => expect((await stack.items(runId)).filter((i) => i.status !== 'succeeded')).toEqual([]);

  beforeAll(async () => {
    [database, beisen] = await Promise.all([openTestDatabase('postgres'), startBeisenFake()]);
    stack = new E2eStack(env, bundle, database);
    stack.hooks.createVendor = (kind, settings, secrets) =>
      kind === 'beisen' ? createBeisenConnector(settings as unknown as BeisenSettings, secrets as unknown as BeisenSecrets, { now: () => new Date(Date.now() + clockShiftMs) }) : undefined;
    await seed();
    const historyStart = chinaDay(new Date(Date.now() - 200 * dayMs)); // three windows of 90 days
    taskId = await stack.insertTask(
      incrementalTask({ kind: 'beisen', settings: { baseUrl: beisen.baseUrl, tenantId: '100001', appId: 'fake-beisen-app', historyStart, usernameFrom: 'emailLocalPart' }, secrets: { secret: 'fake-beisen-secret' } }),
    );
  }, 120_000);

  afterAll(async () => {
    await beisen?.close();
    await database?.close();
  });

  test('the first scheduled run reads in full and stores a watermark that carries the person still to start', async () => {
    const before = await fakeCalls(beisen, employeeRoute);
    const run = await scheduled();
    expect(run).toMatchObject({ status: 'succeeded', read: { kind: 'full', reason: expect.stringContaining('no watermark yet') } });
    // The watermark's full read is the run's read: three windows, not six.
    expect((await fakeCalls(beisen, employeeRoute)) - before).toBe(3);
    expect((await createHubDirectory(database.db).listUsersPage(null, 100)).map((u) => u.username).sort()).toEqual(['ada', 'ben', 'cy', 'dot', 'ed', 'una', 'vic', 'wes', 'xia']);
    const mark = JSON.parse((await getReadWatermark(database.db, taskId))!.watermark) as { since: string; starts: unknown[] };
    expect(mark.starts).toEqual([{ id: '2005', day: tomorrow(), changed: longAgo }]);
  });

  test('hire, transfer and leave arrive through a scheduled run that reads only the changed people', async () => {
    edit(2002, { department: 3 }); // transfer
    edit(2004, { status: '8' }); // leave
    rows = [...rows, { id: 2006, username: 'zoe', department: 3, manager: 2003, status: '2', start: today(), modified: chinaDateTime(new Date()) }]; // hire
    await seed();
    await nextSecond();
    const before = await fakeCalls(beisen, employeeRoute);
    const run = await scheduled();
    expect(run).toMatchObject({ status: 'succeeded', read: { kind: 'incremental', changed: 3 } });
    expect((await fakeCalls(beisen, employeeRoute)) - before).toBe(1); // one window, since the watermark
    const source = await loadSnapshot(database.db, run.runId, 'source');
    expect(source.users.map((u) => u.username).sort()).toEqual(['vic', 'zoe']);
    await noFailedItems(run.runId);
    const wes = (await hubUser('wes'))!;
    expect(await hubUser('zoe')).toMatchObject({ status: 'active', managerId: wes.id, departmentIds: [await hubDepartment('Sales')] });
    expect(await hubUser('vic')).toMatchObject({ departmentIds: [await hubDepartment('Sales')] });
    expect(await hubUser('xia')).toMatchObject({ status: 'disabled' });
  });

  test('manager change: Vic reports to Wes, who did not change; the incremental run reads only Vic and sets the manager through Wes’s link', async () => {
    edit(2002, { manager: 2003 });
    await seed();
    await nextSecond();
    const run = await scheduled();
    expect(run).toMatchObject({ status: 'succeeded', read: { kind: 'incremental', changed: 1 } });
    expect((await loadSnapshot(database.db, run.runId, 'source')).users.map((u) => u.username)).toEqual(['vic']);
    await noFailedItems(run.runId);
    expect(await hubUser('vic')).toMatchObject({ managerId: (await hubUser('wes'))!.id });
  });

  test('a start date that comes with no change to the record is provisioned by the scheduled run on its day, not before', async () => {
    const sameDay = await scheduled();
    expect(sameDay).toMatchObject({ status: 'succeeded', read: { kind: 'incremental' } });
    expect(await hubUser('yan')).toBeUndefined();

    clockShiftMs = dayMs; // the next day
    const run = await scheduled();
    expect(run).toMatchObject({ status: 'succeeded', read: { kind: 'incremental' } });
    await noFailedItems(run.runId);
    expect(await hubUser('yan')).toMatchObject({ status: 'active', managerId: (await hubUser('wes'))!.id, departmentIds: [await hubDepartment('Sales')] });
    expect(JSON.parse((await getReadWatermark(database.db, taskId))!.watermark).starts).toEqual([]);
  });

  test('the periodic full run still happens (fullRunEveryHours after the last full read), and finds nothing the incremental runs missed', async () => {
    await database.db.update(taskReadWatermarks).set({ fullReadAt: new Date(Date.now() - 25 * 3_600_000) }).where(eq(taskReadWatermarks.taskId, taskId));
    const before = await fakeCalls(beisen, employeeRoute);
    const run = await scheduled();
    expect(run).toMatchObject({ status: 'succeeded', read: { kind: 'full', reason: 'full run due (every 24 h)' }, plan: { actions: 0 } });
    expect((await fakeCalls(beisen, employeeRoute)) - before).toBe(3);
    expect((await getReadWatermark(database.db, taskId))!.fullReadAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('Moka → hub, incremental reads on scheduled runs', () => {
  const employeeRoute = 'POST /v1/batch/data';
  let database: Database;
  let moka: RunningMokaFake;
  let stack: E2eStack;
  let taskId: string;
  let clockShiftMs = 0;
  const mokaTime = (at: Date) => chinaDateTime(at).replace('T', ' ');
  const longAgo = mokaTime(new Date(Date.now() - 10 * dayMs));
  const person = (employee_id: number, username: string, employee_status: number, over: Partial<MokaEmployee> = {}): MokaEmployee => ({
    employee_id, name: username.toUpperCase(), email: `${username}@acme.test`, mobile: `1391100${String(employee_id).padStart(4, '0')}`, employee_no: `M${employee_id}`,
    department_id: 11, position_name: 'Engineer', employee_status, report_leader_id: 1, entry_date: '2023-01-01', update_time: longAgo, ...over,
  });
  let staff: MokaEmployee[] = [
    person(1, 'abe', 1, { report_leader_id: null, department_id: 10 }),
    person(2, 'bea', 1),
    person(3, 'cal', 3),
    person(4, 'dee', 1),
    person(5, 'eli', 3, { entry_date: tomorrow(), report_leader_id: 2 }),
    // Enough people that one leaver stays under the mass-offboarding guard (20%).
    ...['gil', 'hal', 'ivo', 'jo', 'kit'].map((username, i) => person(11 + i, username, 1)),
  ];
  const seed = async () => {
    const departments = [
      { nodeUid: 10, nodeName: 'Acme', parentNodeUid: null, sortNum: 1 },
      { nodeUid: 11, nodeName: 'Product', parentNodeUid: 10, sortNum: 1 },
      { nodeUid: 12, nodeName: 'Ops', parentNodeUid: 10, sortNum: 2 },
    ];
    expect((await fakeControl(moka, 'seed', { departments, employees: staff })).status).toBe(200);
  };
  const edit = (id: number, changes: Partial<MokaEmployee>) => {
    staff = staff.map((e) => (e.employee_id === id ? { ...e, ...changes, update_time: mokaTime(new Date()) } : e));
  };
  const scheduled = () => stack.run(taskId, { trigger: 'schedule' });
  const hubUser = async (username: string) => (await createHubDirectory(database.db).listUsersPage(null, 100)).find((u) => u.username === username);
  const hubDepartment = async (name: string) => (await createHubDirectory(database.db).listAllDepartments()).find((d) => d.name === name)!.id;
  const noFailedItems = async (runId: string) => expect((await stack.items(runId)).filter((i) => i.status !== 'succeeded')).toEqual([]);

  beforeAll(async () => {
    [database, moka] = await Promise.all([openTestDatabase('pglite'), startMokaFake()]);
    stack = new E2eStack(env, bundle, database);
    stack.hooks.createVendor = (kind, settings, secrets) =>
      kind === 'moka' ? createMokaConnector(settings as unknown as MokaSettings, secrets as unknown as MokaSecrets, { now: () => new Date(Date.now() + clockShiftMs) }) : undefined;
    await seed();
    const { entCode, apiKey, privateKey, departmentsApiCode, employeesApiCode } = mokaFakeDefaults;
    taskId = await stack.insertTask(incrementalTask({ kind: 'moka', settings: { baseUrl: moka.baseUrl, entCode, departmentsApiCode, employeesApiCode, usernameFrom: 'emailLocalPart' }, secrets: { apiKey, privateKey } }));
  }, 120_000);

  afterAll(async () => {
    await moka?.close();
    await database?.close();
  });

  test('the first scheduled run reads in full and stores a watermark that carries the person still to start', async () => {
    const run = await scheduled();
    expect(run).toMatchObject({ status: 'succeeded', read: { kind: 'full', reason: expect.stringContaining('no watermark yet') } });
    expect((await createHubDirectory(database.db).listUsersPage(null, 100)).map((u) => u.username).sort()).toEqual(['abe', 'bea', 'cal', 'dee', 'gil', 'hal', 'ivo', 'jo', 'kit']);
    expect(JSON.parse((await getReadWatermark(database.db, taskId))!.watermark)).toEqual({ since: today(), starts: [{ id: '5', day: tomorrow(), changed: longAgo.slice(0, 10) }] });
  });

  test('hire, transfer and leave arrive through a scheduled run that reads only the employees changed since the watermark day', async () => {
    edit(3, { department_id: 12 }); // transfer
    edit(4, { employee_status: 2 }); // leave
    staff = [...staff, person(6, 'fox', 3, { entry_date: today(), report_leader_id: 2, update_time: mokaTime(new Date()) })]; // hire
    await seed();
    const before = await fakeCalls(moka, employeeRoute);
    const run = await scheduled();
    // The three people, and the departments they are in with their parent.
    expect(run).toMatchObject({ status: 'succeeded', read: { kind: 'incremental', changed: 6 } });
    expect((await fakeCalls(moka, employeeRoute)) - before).toBe(1);
    const source = await loadSnapshot(database.db, run.runId, 'source');
    expect(source.users.map((u) => u.username).sort()).toEqual(['cal', 'fox']);
    await noFailedItems(run.runId);
    expect(await hubUser('fox')).toMatchObject({ status: 'active', managerId: (await hubUser('bea'))!.id, departmentIds: [await hubDepartment('Product')] });
    expect(await hubUser('cal')).toMatchObject({ departmentIds: [await hubDepartment('Ops')] });
    expect(await hubUser('dee')).toMatchObject({ status: 'disabled' });
  });

  test('a start date that comes with no change to the record is provisioned by the scheduled run on its day, not before', async () => {
    expect(await scheduled()).toMatchObject({ status: 'succeeded', read: { kind: 'incremental' } });
    expect(await hubUser('eli')).toBeUndefined();
    clockShiftMs = dayMs;
    const run = await scheduled();
    expect(run).toMatchObject({ status: 'succeeded', read: { kind: 'incremental' } });
    await noFailedItems(run.runId);
    expect(await hubUser('eli')).toMatchObject({ status: 'active', managerId: (await hubUser('bea'))!.id });
  });

  test('the periodic full run still happens, and finds nothing the incremental runs missed', async () => {
    await database.db.update(taskReadWatermarks).set({ fullReadAt: new Date(Date.now() - 25 * 3_600_000) }).where(eq(taskReadWatermarks.taskId, taskId));
    const run = await scheduled();
    expect(run).toMatchObject({ status: 'succeeded', read: { kind: 'full', reason: 'full run due (every 24 h)' }, plan: { actions: 0 } });
  });
});
