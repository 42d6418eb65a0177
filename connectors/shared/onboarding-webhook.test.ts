import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { User } from '../../engine/model';
import { openTaskEndpoints, createConnector } from '../registry';
import type { Connector, ConnectorOperation } from '../types';
import { allowAnyHostVariable, allowedHostsVariable } from './host-policy';
import { withOnboardingWebhook } from './onboarding-webhook';

let server: Server;
let url: string;
let received: Array<{ path: string; body: Record<string, unknown> }>;
let answerStatus: number;

beforeEach(async () => {
  received = [];
  answerStatus = 200;
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text) });
      res.writeHead(answerStatus, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/secret-token-123`;
});

afterEach(() => new Promise((resolve) => server.close(resolve)));

const user: User = {
  id: 'amy', username: 'amy', name: 'Amy Lin', email: 'amy@acme.test', mobile: '+8613800000001', employeeNumber: 'E7', title: null,
  departmentIds: [], mainDepartmentId: null, managerId: null, status: 'active', attributes: {},
};

function recordingApp(fail = false): Connector & { ops: ConnectorOperation[] } {
  const ops: ConnectorOperation[] = [];
  return {
    ops,
    kind: 'wecom',
    capabilities: { read: true, write: true, disableUser: true, deleteUser: true, deleteDepartment: true, manager: true, departmentLeader: true, realtimeEvents: false },
    async *readSnapshot() {},
    readByIds: async () => ({ departments: [], users: [], missing: { departmentIds: [], userIds: [] } }),
    apply: async (op) => {
      if (fail) throw new Error('vendor refused');
      ops.push(op);
      return op.action === 'CreateUser' ? { externalId: 'amy-ext' } : {};
    },
  };
}

describe('onboarding notice webhook', () => {
  it('POSTs one notice per created account, after the create, and none for other operations', async () => {
    const app = withOnboardingWebhook(recordingApp(), url, 'wecom');
    expect(await app.apply({ action: 'CreateUser', user })).toEqual({ externalId: 'amy-ext' });
    await app.apply({ action: 'UpdateUser', id: 'amy-ext', changes: { title: 'Dev' } });
    await app.apply({ action: 'EnableUser', id: 'amy-ext' });
    expect(received).toEqual([
      {
        path: '/hook/secret-token-123',
        body: {
          event: 'account_created',
          app: 'wecom',
          account: { id: 'amy-ext', username: 'amy', name: 'Amy Lin', email: 'amy@acme.test', mobile: '+8613800000001', employeeNumber: 'E7' },
          text: expect.stringContaining('Amy Lin (amy)'),
        },
      },
    ]);
  });

  it('never fails the create: a webhook answering 500 or not there at all changes nothing; a failed create sends nothing', async () => {
    answerStatus = 500;
    expect(await withOnboardingWebhook(recordingApp(), url, 'wecom').apply({ action: 'CreateUser', user })).toEqual({ externalId: 'amy-ext' });
    expect(await withOnboardingWebhook(recordingApp(), 'http://127.0.0.1:1/nothing', 'wecom', { timeoutMs: 500 }).apply({ action: 'CreateUser', user })).toEqual({ externalId: 'amy-ext' });
    const before = received.length;
    await expect(withOnboardingWebhook(recordingApp(true), url, 'wecom').apply({ action: 'CreateUser', user })).rejects.toThrow('vendor refused');
    expect(received.length).toBe(before);
  });

  it('is wired for downstream tasks only, and a host the operator does not allow is refused naming the secret, not its value', () => {
    const app = recordingApp();
    const factory = (() => app) as unknown as typeof createConnector;
    const deps = {} as never;
    const down = openTaskEndpoints({ direction: 'downstream', connector: { kind: 'wecom', settings: {} } }, { onboardingWebhookUrl: url }, deps, factory);
    const up = openTaskEndpoints({ direction: 'upstream', connector: { kind: 'wecom', settings: {} } }, { onboardingWebhookUrl: url }, deps, factory);
    const plain = openTaskEndpoints({ direction: 'downstream', connector: { kind: 'wecom', settings: {} } }, {}, deps, factory);
    expect([up.source.apply === app.apply, plain.target.apply === app.apply, down.target.apply === app.apply]).toEqual([true, true, false]);

    const saved = { any: process.env[allowAnyHostVariable], list: process.env[allowedHostsVariable] };
    delete process.env[allowAnyHostVariable];
    process.env[allowedHostsVariable] = 'qyapi.weixin.qq.com';
    try {
      const build = () => createConnector('wecom', { corpId: 'ww1' }, { corpSecret: 's', onboardingWebhookUrl: url }, deps);
      expect(build).toThrow(/^connector\.secrets\.onboardingWebhookUrl: host "127\.0\.0\.1:\d+" is not allowed/);
      expect(build).not.toThrow(/secret-token-123/);
    } finally {
      if (saved.any === undefined) delete process.env[allowAnyHostVariable];
      else process.env[allowAnyHostVariable] = saved.any;
      if (saved.list === undefined) delete process.env[allowedHostsVariable];
      else process.env[allowedHostsVariable] = saved.list;
    }
  });
});
