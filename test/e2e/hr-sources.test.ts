/**
 * The HR systems as the identity source, end to end on the real Temporal dev server: Beisen iTalent
 * (Postgres) feeds the hub, and the hub provisions WeCom and Feishu fakes through a hire, a start date
 * that comes, a transfer, a manager change, a leave and a rehire, each second run a no-op; Moka People
 * (PGlite) feeds the hub through the same lifecycle. Each HR system changes by its own fake's seed, in
 * its own shape, as its admin would in the HR console. Tests of one describe share a story, in order.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startBeisenFake, type RunningBeisenFake } from '../../connectors/beisen/fake';
import type { BeisenEmployee } from '../../connectors/beisen/mapping';
import type { RunningFeishuFake } from '../../connectors/feishu/fake';
import { mokaFakeDefaults, startMokaFake, type RunningMokaFake } from '../../connectors/moka/fake';
import type { MokaEmployee } from '../../connectors/moka/mapping';
import { chinaDay } from '../../connectors/shared/china-time';
import { fakeControl, fakeState } from '../../connectors/shared/test-helpers';
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
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
