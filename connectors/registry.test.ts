import { openDatabase, type Database } from '../db/client';
import { requiredSecretNames } from '../engine/connector-kind';
import { dingtalkDocumentedHosts } from './dingtalk/hosts';
import { connectorCatalog } from './definitions';
import { feishuDocumentedHosts } from './feishu/hosts';
import { scimDocumentedHosts } from './scim/hosts';
import { connectorCapabilities, connectorRootId, connectorSettingsIssues, createConnector, openTaskEndpoints, predictedUserId, testConnectorConnection } from './registry';
import { allowAnyHostVariable } from './shared/host-policy';
import { wecomDocumentedHosts } from './wecom/hosts';

let database: Database;
beforeAll(async () => {
  database = await openDatabase({});
});
afterAll(async () => {
  await database.close();
});

const deps = () => ({ database, actor: 'sync:test' });

test('bad settings and missing secrets name the field, never a secret value', () => {
  // baseUrl defaults to the vendor's own endpoint; the corp id has no default.
  expect(() => createConnector('wecom', { baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin' }, { corpSecret: 's3cr3t' }, deps())).toThrow('connector.settings.corpId: is required');
  expect(() => createConnector('wecom', { baseUrl: 'ftp://x', corpId: 'ww1' }, { corpSecret: 's3cr3t' }, deps())).toThrow('connector.settings.baseUrl: must be an http(s) URL');
  expect(() => createConnector('wecom', { baseUrl: 'http://127.0.0.1:1/cgi-bin', corpId: 'ww1' }, {}, deps())).toThrow('connector.secrets.corpSecret: is required');
  expect(() => createConnector('csv', { path: 'a.csv', delimiter: ';;' }, {}, deps())).toThrow(/^connector\.settings\.delimiter: /);
  expect(() => createConnector('csv', {}, {}, deps())).toThrow(/^connector\.settings\.path: /);
  expect(() => createConnector('ldap', { url: 'ldap://127.0.0.1:1', bindDn: 'cn=sync,dc=x', baseDn: 'dc=x' }, {}, deps())).toThrow('connector.secrets.bindPassword: is required');
  expect(() => createConnector('ldap', { url: 'http://127.0.0.1:1', bindDn: 'cn=sync,dc=x', baseDn: 'dc=x' }, { bindPassword: 'p' }, deps())).toThrow(/^connector\.settings\.url: /);
  expect(() => createConnector('ldap', { url: 'ldap://127.0.0.1:1', bindDn: 'not a dn', baseDn: 'dc=x' }, { bindPassword: 'p' }, deps())).toThrow(/^connector\.settings\.bindDn: /);
  expect(() => createConnector('fax', {}, {}, deps())).toThrow('connector.kind: unknown connector kind "fax"');
});

test('capabilities and root ids come without building a connector', () => {
  expect(connectorCapabilities('csv').write).toBe(false);
  expect(connectorCapabilities('wecom').disableUser).toBe(true);
  expect([connectorRootId('wecom'), connectorRootId('hub'), connectorRootId('dingtalk')]).toEqual(['1', null, '1']);
  expect(predictedUserId('wecom', { id: '', username: 'amy' } as never)).toBe('amy');
  expect(predictedUserId('hub', { id: '', username: 'amy' } as never)).toBeUndefined();
});

test('upstream reads the app and writes the hub; downstream the reverse', () => {
  const wecom = { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:1/cgi-bin', corpId: 'ww1' } };
  const up = openTaskEndpoints({ direction: 'upstream', connector: wecom }, { corpSecret: 'x' }, deps());
  expect([up.source.kind, up.target.kind, up.targetKind, up.targetRootId]).toEqual(['wecom', 'hub', 'hub', null]);
  const down = openTaskEndpoints({ direction: 'downstream', connector: wecom }, { corpSecret: 'x' }, deps());
  expect([down.source.kind, down.target.kind, down.targetKind, down.targetRootId]).toEqual(['hub', 'wecom', 'wecom', '1']);
});

test('each kind names its required secrets and its allowed hosts once, in its definition (the vendor client checks the same list)', () => {
  const facts = Object.fromEntries(connectorCatalog.map((kind) => [kind.kind, { required: requiredSecretNames(kind), hosts: kind.allowedHosts }]));
  // The kinds named here on purpose; a kind added later needs no line here (docs/connectors.md).
  expect(facts).toMatchObject({
    wecom: { required: ['corpSecret'], hosts: wecomDocumentedHosts },
    feishu: { required: ['appSecret'], hosts: feishuDocumentedHosts },
    dingtalk: { required: ['appSecret'], hosts: dingtalkDocumentedHosts },
    csv: { required: [], hosts: undefined },
    ldap: { required: ['bindPassword'], hosts: undefined },
    // token or (Zoom) clientId + clientSecret, by profile: create() names the missing one; a re-point asks for every stored secret again.
    scim: { required: [], hosts: scimDocumentedHosts },
    'scim-push': { required: [], hosts: undefined },
  });
});

describe('with the allow-list in force', () => {
  const saved = process.env[allowAnyHostVariable];
  beforeAll(() => delete process.env[allowAnyHostVariable]);
  afterAll(() => (saved === undefined ? delete process.env[allowAnyHostVariable] : (process.env[allowAnyHostVariable] = saved)));

  test('every URL setting of a kind must name an allowed host: on save, on create and before a connection test', async () => {
    expect(connectorSettingsIssues('dingtalk', { appKey: 'k', oapiBaseUrl: 'https://oapi.dingtalk.com', apiBaseUrl: 'http://10.0.0.1:8080' })).toEqual([
      { field: 'connector.settings.apiBaseUrl', message: expect.stringContaining('host "10.0.0.1:8080" is not allowed') },
    ]);
    expect(connectorSettingsIssues('feishu', { appId: 'cli_1', baseUrl: 'https://open.larksuite.com/open-apis' })).toEqual([]);
    expect(() => createConnector('wecom', { baseUrl: 'http://169.254.169.254/cgi-bin', corpId: 'ww1' }, { corpSecret: 's3cr3t' }, deps())).toThrow(/^connector\.settings\.baseUrl: host "169\.254\.169\.254" is not allowed/);
    await expect(testConnectorConnection('feishu', { baseUrl: 'http://127.0.0.1:1/open-apis', appId: 'cli_1' }, { appSecret: 's3cr3t' }, { direction: 'upstream', realtime: false })).rejects.toThrow(
      /^connector\.settings\.baseUrl: host "127\.0\.0\.1:1" is not allowed/,
    );
  });
});

test('a run context with shared budgets gives the connector limiters bound to its tenant: kind and tenant settings', async () => {
  const reserved: string[] = [];
  const rateBudgets = {
    reserve: async (tenant: string, bucket: string) => {
      reserved.push(bucket);
      expect(bucket.startsWith(`${tenant}|`)).toBe(true);
      return { granted: 1, waitMs: 0, blockedMs: 0, sentAt: Date.now() };
    },
    giveBack: async () => undefined,
    block: async () => undefined,
  };
  const open = (corpId: string) => createConnector('wecom', { baseUrl: 'http://127.0.0.1:1/cgi-bin', corpId }, { corpSecret: 's3cr3t' }, { ...deps(), rateBudgets });
  // Nothing listens on port 1: the token call fails after its permit was reserved.
  for (const corpId of ['ww1', 'ww1', 'ww2']) await expect(open(corpId).readByIds({ departmentIds: [], userIds: ['u1'] })).rejects.toThrow();
  expect(reserved).toEqual([
    'wecom:"http://127.0.0.1:1/cgi-bin":"ww1"|60000|/gettoken',
    'wecom:"http://127.0.0.1:1/cgi-bin":"ww1"|60000|/gettoken',
    'wecom:"http://127.0.0.1:1/cgi-bin":"ww2"|60000|/gettoken',
  ]);
});
