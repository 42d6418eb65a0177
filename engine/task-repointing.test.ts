import { parseTaskConfig, TaskConfigError } from './task-config';
import { connectorKinds } from './task-config-kinds';
import { changedProtectionFields, checkSecretsGivenAgain, repointedFields, secretNamesGiven } from './task-repointing';

const wecom = (settings: Record<string, unknown>, secrets: Record<string, string> = { corpSecret: 's' }) =>
  parseTaskConfig({ name: 't', direction: 'downstream', connector: { kind: 'wecom', settings, secrets } });

describe('repointedFields', () => {
  const base = { kind: 'wecom', settings: { baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin', corpId: 'ww1', timeoutMs: 1000 } };

  it('names each tenant setting that changed, and only those', () => {
    expect(repointedFields(base, { ...base, settings: { ...base.settings, timeoutMs: 5 } })).toEqual([]);
    expect(repointedFields(base, { ...base, settings: { ...base.settings, baseUrl: 'https://QYAPI.weixin.qq.com/cgi-bin/' } })).toEqual([]);
    expect(repointedFields(base, { ...base, settings: { ...base.settings, baseUrl: 'https://evil.example/cgi-bin', corpId: 'ww2' } })).toEqual(['connector.settings.baseUrl', 'connector.settings.corpId']);
    // Adding or removing one counts as well: a default endpoint differs from an explicit one.
    const { corpId: _corpId, ...withoutCorp } = base.settings;
    expect(repointedFields(base, { ...base, settings: withoutCorp })).toEqual(['connector.settings.corpId']);
  });

  it('sees a change of case in the path or query of a URL (another tenant), not in its scheme or host', () => {
    const at = (baseUrl: string) => repointedFields({ ...base, settings: { ...base.settings, baseUrl: 'https://qyapi.example/WeCom-Prod/cgi-bin?tenant=B' } }, { ...base, settings: { ...base.settings, baseUrl } });
    expect(at('https://qyapi.example/wecom-prod/cgi-bin?tenant=B')).toEqual(['connector.settings.baseUrl']);
    expect(at('https://qyapi.example/WeCom-Prod/cgi-bin?tenant=b')).toEqual(['connector.settings.baseUrl']);
    expect(at('HTTPS://QyApi.Example/WeCom-Prod/cgi-bin?tenant=B')).toEqual([]);
    expect(at('https://qyapi.example/WeCom-Prod/cgi-bin/?tenant=B')).toEqual([]);
    // Only one trailing slash is cosmetic; a different path is not.
    const ldap = { kind: 'ldap', settings: { url: 'ldap://Dir.Example:389', baseDn: 'dc=example', bindDn: 'cn=admin' } };
    expect(repointedFields(ldap, { ...ldap, settings: { ...ldap.settings, url: 'LDAP://dir.example:389/' } })).toEqual([]);
    expect(repointedFields(base, { ...base, settings: { ...base.settings, baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin//' } })).toEqual(['connector.settings.baseUrl']);
  });

  it('treats a new kind as a re-point of its own', () => {
    expect(repointedFields(base, { kind: 'feishu', settings: {} })).toEqual(['connector.kind']);
  });

  it('has a tenant list for every kind a task can name (a file source has none)', () => {
    for (const [kind, info] of Object.entries(connectorKinds)) expect({ kind, list: Array.isArray(info.tenantSettings) }).toEqual({ kind, list: true });
    expect(connectorKinds.csv.tenantSettings).toEqual([]);
    expect(connectorKinds.dingtalk.tenantSettings).toEqual(expect.arrayContaining(['oapiBaseUrl', 'apiBaseUrl', 'appKey']));
  });
});

describe('checkSecretsGivenAgain', () => {
  const after = wecom({ baseUrl: 'https://evil.example', corpId: 'ww1' }, { corpSecret: 'old', callbackToken: 'old' });

  it('refuses a re-point that keeps a stored secret it was not given, naming connector.secrets and the missing ones', () => {
    const refusal = (() => {
      try {
        checkSecretsGivenAgain(['connector.settings.baseUrl'], after, ['corpSecret']);
      } catch (error) {
        return error;
      }
    })() as TaskConfigError;
    expect(refusal).toBeInstanceOf(TaskConfigError);
    expect(refusal.issues).toEqual([{ field: 'connector.secrets', message: expect.stringContaining('callbackToken') }]);
    expect(refusal.message).not.toContain('old');
  });

  it('passes when nothing moved or every secret was given', () => {
    expect(() => checkSecretsGivenAgain([], after, [])).not.toThrow();
    expect(() => checkSecretsGivenAgain(['connector.settings.baseUrl'], after, ['corpSecret', 'callbackToken'])).not.toThrow();
  });

  it('reads only secrets a body really gives (a null removes one)', () => {
    expect(secretNamesGiven({ connector: { secrets: { corpSecret: 'x', callbackToken: null, other: '' } } })).toEqual(['corpSecret']);
    expect(secretNamesGiven({ connector: { settings: {} } })).toEqual([]);
    expect(secretNamesGiven(null)).toEqual([]);
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
