import { openDatabase, type Database } from '../db/client';
import { connectorCapabilities, connectorRootId, createConnector, openTaskEndpoints, predictedUserId } from './registry';

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
  expect(() => createConnector('ldap', {}, {}, deps())).toThrow('connector.kind: unknown connector kind "ldap"');
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
