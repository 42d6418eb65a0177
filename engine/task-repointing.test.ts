import { parseTaskConfig, TaskConfigError } from './task-config';
import { connectorCatalog } from '../connectors/definitions';
import { factsOf } from './connector-kind';
import { changedProtectionFields, checkSecretsGivenAgain, parseTaskPatch, repointedFields, secretNamesGiven } from './task-repointing';

const wecom = (settings: Record<string, unknown>, secrets: Record<string, string> = { corpSecret: 's' }) =>
  parseTaskConfig({ name: 't', direction: 'downstream', connector: { kind: 'wecom', settings, secrets } }, { kinds: connectorCatalog });

describe('repointedFields', () => {
  const base = { kind: 'wecom', settings: { baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin', corpId: 'ww1', timeoutMs: 1000 } };

  it('names each tenant setting that changed, and only those', () => {
    expect(repointedFields(base, { ...base, settings: { ...base.settings, timeoutMs: 5 } }, connectorCatalog)).toEqual([]);
    expect(repointedFields(base, { ...base, settings: { ...base.settings, baseUrl: 'https://QYAPI.weixin.qq.com/cgi-bin/' } }, connectorCatalog)).toEqual([]);
    expect(repointedFields(base, { ...base, settings: { ...base.settings, baseUrl: 'https://evil.example/cgi-bin', corpId: 'ww2' } }, connectorCatalog)).toEqual(['connector.settings.baseUrl', 'connector.settings.corpId']);
    // Adding or removing one counts as well: a default endpoint differs from an explicit one.
    const { corpId: _corpId, ...withoutCorp } = base.settings;
    expect(repointedFields(base, { ...base, settings: withoutCorp }, connectorCatalog)).toEqual(['connector.settings.corpId']);
  });

  it('sees a change of case in the path or query of a URL (another tenant), not in its scheme or host', () => {
    const at = (baseUrl: string) =>
      repointedFields({ ...base, settings: { ...base.settings, baseUrl: 'https://qyapi.example/WeCom-Prod/cgi-bin?tenant=B' } }, { ...base, settings: { ...base.settings, baseUrl } }, connectorCatalog);
    expect(at('https://qyapi.example/wecom-prod/cgi-bin?tenant=B')).toEqual(['connector.settings.baseUrl']);
    expect(at('https://qyapi.example/WeCom-Prod/cgi-bin?tenant=b')).toEqual(['connector.settings.baseUrl']);
    expect(at('HTTPS://QyApi.Example/WeCom-Prod/cgi-bin?tenant=B')).toEqual([]);
    expect(at('https://qyapi.example/WeCom-Prod/cgi-bin/?tenant=B')).toEqual([]);
    // Only one trailing slash is cosmetic; a different path is not.
    // No LDAP connector ships: a kind with LDAP's tenant settings stands in for one.
    const withLdap = [...connectorCatalog, { ...factsOf(connectorCatalog, 'wecom')!, kind: 'ldap', tenantSettings: ['url', 'baseDn', 'bindDn'] }];
    const ldap = { kind: 'ldap', settings: { url: 'ldap://Dir.Example:389', baseDn: 'dc=example', bindDn: 'cn=admin' } };
    expect(repointedFields(ldap, { ...ldap, settings: { ...ldap.settings, url: 'LDAP://dir.example:389/' } }, withLdap)).toEqual([]);
    expect(repointedFields(ldap, { ...ldap, settings: { ...ldap.settings, url: 'ldap://dir.example:389/other' } }, withLdap)).toEqual(['connector.settings.url']);
    expect(repointedFields(base, { ...base, settings: { ...base.settings, baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin//' } }, connectorCatalog)).toEqual(['connector.settings.baseUrl']);
  });

  it('treats a new kind as a re-point of its own', () => {
    expect(repointedFields(base, { kind: 'feishu', settings: {} }, connectorCatalog)).toEqual(['connector.kind']);
  });

  it('has a tenant list for every kind a task can name (a file source has none)', () => {
    for (const { kind, tenantSettings } of connectorCatalog) expect({ kind, list: Array.isArray(tenantSettings) }).toEqual({ kind, list: true });
    expect(factsOf(connectorCatalog, 'csv')!.tenantSettings).toEqual([]);
    expect(factsOf(connectorCatalog, 'dingtalk')!.tenantSettings).toEqual(expect.arrayContaining(['oapiBaseUrl', 'apiBaseUrl', 'appKey']));
  });
});

describe('checkSecretsGivenAgain', () => {
  const after = wecom({ baseUrl: 'https://evil.example', corpId: 'ww1' }, { corpSecret: 'old', callbackToken: 'old' });

  it('refuses a re-point that keeps a stored secret it was not given, naming connector.secrets and the missing ones', () => {
    const refusal = (() => {
      try {
        checkSecretsGivenAgain(['connector.settings.baseUrl'], after, ['corpSecret'], connectorCatalog);
      } catch (error) {
        return error;
      }
    })() as TaskConfigError;
    expect(refusal).toBeInstanceOf(TaskConfigError);
    expect(refusal.issues).toEqual([{ field: 'connector.secrets', message: expect.stringContaining('callbackToken') }]);
    expect(refusal.message).not.toContain('old');
  });

  it('passes when nothing moved or every secret was given', () => {
    expect(() => checkSecretsGivenAgain([], after, [], connectorCatalog)).not.toThrow();
    expect(() => checkSecretsGivenAgain(['connector.settings.baseUrl'], after, ['corpSecret', 'callbackToken'], connectorCatalog)).not.toThrow();
  });

  it('reads only secrets a body really gives (a null removes one)', () => {
    expect(secretNamesGiven({ connector: { secrets: { corpSecret: 'x', callbackToken: null, other: '' } } })).toEqual(['corpSecret']);
    expect(secretNamesGiven({ connector: { settings: {} } })).toEqual([]);
    expect(secretNamesGiven(null)).toEqual([]);
  });
});

describe('parseTaskPatch', () => {
  const existing = wecom({ baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin', corpId: 'ww1' }, { corpSecret: 'old' });
  const options = { kinds: connectorCatalog };
  const issuesOf = (patch: unknown) => {
    try {
      parseTaskPatch(existing, patch, options);
    } catch (error) {
      return (error as TaskConfigError).issues;
    }
    return [];
  };

  it('refuses a re-point that drops a required secret as a re-point (naming it), not as a schema gap', () => {
    expect(issuesOf({ connector: { settings: { corpId: 'ww2' }, secrets: { corpSecret: null } } })).toEqual([{ field: 'connector.secrets', message: expect.stringMatching(/connector\.settings\.corpId .*corpSecret/) }]);
  });

  it('leaves other invalid bodies to the schema, and parses a valid one', () => {
    expect(issuesOf({ connector: { secrets: { corpSecret: null } } })).toEqual([{ field: 'connector.secrets.corpSecret', message: 'is required' }]);
    expect(issuesOf({ connector: { settings: { timeoutMs: -1 } } })).toEqual([expect.objectContaining({ field: 'connector.settings.timeoutMs' })]);
    expect(parseTaskPatch(existing, { name: 'renamed' }, options).name).toBe('renamed');
  });
});

describe('changedProtectionFields', () => {
  it('compares a new task with the defaults and an edit with what is stored, whatever the key order', () => {
    const config = wecom({ baseUrl: 'https://x', corpId: 'ww1' });
    expect(changedProtectionFields(undefined, config)).toEqual([]);
    expect(changedProtectionFields(undefined, { ...config, offboarding: 'delete', requireSecondApprover: true })).toEqual(['offboarding', 'requireSecondApprover']);
    const threshold = { ...config, deletionProtection: { mode: 'threshold' as const, minCount: 5, minPercent: 2 } };
    expect(changedProtectionFields(threshold, { ...config, deletionProtection: { minPercent: 2, minCount: 5, mode: 'threshold' } })).toEqual([]);
    expect(changedProtectionFields(threshold, { ...config, deletionProtection: { mode: 'threshold', minCount: 1e9, minPercent: 2 } })).toEqual(['deletionProtection']);
  });

  it('reads a task stored before requireSecondApprover existed as having the default', () => {
    const { requireSecondApprover: _omitted, ...stored } = wecom({ baseUrl: 'https://x', corpId: 'ww1' });
    expect(changedProtectionFields(stored, { ...stored, requireSecondApprover: false })).toEqual([]);
    expect(changedProtectionFields(stored, { ...stored, requireSecondApprover: true })).toEqual(['requireSecondApprover']);
  });
});
