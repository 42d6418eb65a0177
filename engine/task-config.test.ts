import {
  checkNoUpDownConflict,
  parseTaskConfig,
  parseTaskConfigPatch,
  splitSecrets,
  TaskConfigError,
  withSecrets,
  type ExistingTask,
  type TaskConfigIssue,
} from './task-config';
// The real definitions' facts: engine code never imports connectors/, its tests check it with what ships.
import { connectorCatalog } from '../connectors/definitions';
import { defaultFieldMapping as defaultMappingOf } from './connector-kind';

const kinds = { kinds: connectorCatalog };
const defaultFieldMapping = (kind: string) => defaultMappingOf(connectorCatalog, kind);

const designExample = {
  name: 'Hub to WeCom',
  direction: 'downstream',
  connector: {
    kind: 'wecom',
    settings: { baseUrl: 'http://127.0.0.1:18081/cgi-bin', corpId: 'ww0001' },
    secrets: { corpSecret: 'corp-secret-value' },
  },
  scope: { departmentIds: ['d1'], userIds: [], includeNewUsers: true },
  fieldMapping: [
    { target: 'title', source: 'title' },
    { target: 'email', expression: '$lowercase(email)' },
  ],
  matchRules: ['employeeNumber', 'email', 'mobile'],
  offboarding: 'disable',
  triggers: { manual: true, schedule: { every: 'daily', at: '02:00', timezone: 'Asia/Shanghai' }, realtime: false },
  deletionProtection: { mode: 'always' },
  enabled: true,
};

const wecomSettings = { baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin', corpId: 'ww0001' };
const minimal = { name: 'Hub to WeCom', direction: 'downstream', connector: { kind: 'wecom', settings: wecomSettings, secrets: { corpSecret: 's' } } };
const hrUpstream = { name: 'HR export', direction: 'upstream', connector: { kind: 'csv', settings: { path: '/data/hr.csv' } } };
const ldapUpstream = {
  name: 'LDAP to hub',
  direction: 'upstream',
  connector: { kind: 'ldap', settings: { url: 'ldaps://ldap.acme.test', bindDn: 'cn=sync,dc=acme,dc=test', baseDn: 'dc=acme,dc=test' }, secrets: { bindPassword: 'p' } },
  triggers: { schedule: { every: '2h' } },
};

function refusal(body: unknown): TaskConfigIssue[] {
  try {
    parseTaskConfig(body, kinds);
  } catch (error) {
    if (error instanceof TaskConfigError) return error.issues;
    throw error;
  }
  throw new Error('accepted a body that should be refused');
}

describe('parseTaskConfig', () => {
  it('accepts the docs/design.md example as written', () => {
    const config = parseTaskConfig(designExample, kinds);
    expect(config).toMatchObject({ ...designExample, massOffboardingGuard: { maxDisablePercent: 20 }, realtimeDebounceMs: 1000 });
  });

  it('fills the documented defaults', () => {
    expect(parseTaskConfig(minimal, kinds)).toEqual({
      ...minimal,
      connector: { kind: 'wecom', settings: wecomSettings, secrets: { corpSecret: 's' } },
      scope: { departmentIds: [], userIds: [], includeNewUsers: true },
      fieldMapping: defaultFieldMapping('wecom'),
      matchRules: ['employeeNumber', 'email', 'mobile'],
      offboarding: 'disable',
      triggers: { manual: true, realtime: false },
      deletionProtection: { mode: 'always' },
      massOffboardingGuard: { maxDisablePercent: 20 },
      requireSecondApprover: false,
      realtimeDebounceMs: 1000,
      enabled: true,
    });
    // An upstream task has no scope at all.
    expect(parseTaskConfig(hrUpstream, kinds)).not.toHaveProperty('scope');
  });

  it('pre-fills a per-kind mapping that the field-mapping engine compiles', () => {
    expect(defaultFieldMapping('wecom')).toContainEqual({ target: 'title', source: 'title' });
    expect(parseTaskConfig(hrUpstream, kinds).fieldMapping).toEqual(defaultFieldMapping('csv'));
  });

  it("accepts a target named by the vendor's field (docs/design.md's WeCom `position`) as its canonical field", () => {
    const config = parseTaskConfig({ ...minimal, fieldMapping: [{ target: 'position', source: 'title' }, { target: 'extattr.employeeNumber', expression: 'employeeNumber' }] }, kinds);
    expect(config.fieldMapping).toEqual([{ target: 'title', source: 'title' }, { target: 'employeeNumber', expression: 'employeeNumber' }]);
    // Another vendor's name is still unknown, and a vendor name colliding with its canonical twin is a duplicate.
    expect(refusal({ ...minimal, fieldMapping: [{ target: 'job_title', source: 'title' }] })).toContainEqual({ field: 'fieldMapping.0.target', message: expect.stringContaining('unknown field') });
    expect(refusal({ ...minimal, fieldMapping: [{ target: 'title', source: 'title' }, { target: 'position', source: 'name' }] })).toContainEqual({ field: 'fieldMapping.1.target', message: 'title is mapped more than once' });
  });

  it('accepts a cron schedule and a threshold deletion protection', () => {
    const config = parseTaskConfig({
      ...minimal,
      triggers: { schedule: { cron: '30 1 * * 1-5' } },
      deletionProtection: { mode: 'threshold', minPercent: 5 },
    }, kinds);
    expect(config.triggers).toEqual({ manual: true, realtime: false, schedule: { cron: '30 1 * * 1-5', timezone: 'UTC' } });
    expect(config.deletionProtection).toEqual({ mode: 'threshold', minPercent: 5 });
  });

  it.each<[string, unknown, TaskConfigIssue]>([
    ['an unknown top-level field', { ...minimal, colour: 'red' }, { field: 'colour', message: 'unknown field' }],
    ['an unknown nested field', { ...minimal, triggers: { manual: true, hourly: true } }, { field: 'triggers.hourly', message: 'unknown field' }],
    ['a missing name', { ...minimal, name: undefined }, { field: 'name', message: 'is required' }],
    ['a bad direction', { ...minimal, direction: 'sideways' }, { field: 'direction', message: expect.stringContaining('upstream') }],
    ['an unknown connector kind', { ...minimal, connector: { kind: 'fax' } }, { field: 'connector.kind', message: expect.stringContaining('unknown connector kind') }],
    [
      'an expression that does not compile',
      { ...minimal, fieldMapping: [{ target: 'email', expression: '$lowercase(' }] },
      { field: 'fieldMapping.0.expression', message: expect.stringContaining('does not compile') },
    ],
    ['a mapping to an unknown field', { ...minimal, fieldMapping: [{ target: 'shoeSize', source: 'title' }] }, { field: 'fieldMapping.0.target', message: expect.stringContaining('unknown field') }],
    ['a mapping entry with neither source nor expression', { ...minimal, fieldMapping: [{ target: 'email' }] }, { field: 'fieldMapping.0.source', message: 'is required' }],
    ['empty match rules', { ...minimal, matchRules: [] }, { field: 'matchRules', message: 'needs at least one match key' }],
    ['a repeated match rule', { ...minimal, matchRules: ['email', 'email'] }, { field: 'matchRules', message: 'lists a match key more than once' }],
    ['an unknown match rule', { ...minimal, matchRules: ['email', 'badge'] }, { field: 'matchRules.1', message: expect.stringContaining('employeeNumber') }],
    ['a bad offboarding policy', { ...minimal, offboarding: 'archive' }, { field: 'offboarding', message: expect.stringContaining('disable') }],
    ['a bad schedule time', { ...minimal, triggers: { schedule: { every: 'daily', at: '25:00' } } }, { field: 'triggers.schedule.at', message: expect.stringContaining('HH:MM') }],
    ['a bad time zone', { ...minimal, triggers: { schedule: { every: 'daily', at: '02:00', timezone: 'Asia/Atlantis' } } }, { field: 'triggers.schedule.timezone', message: expect.stringContaining('unknown time zone') }],
    ['a bad cron', { ...minimal, triggers: { schedule: { cron: 'every day' } } }, { field: 'triggers.schedule.cron', message: expect.stringContaining('5 fields') }],
    ['a schedule mixing every and cron', { ...minimal, triggers: { schedule: { every: 'daily', cron: '0 2 * * *' } } }, { field: 'triggers.schedule.cron', message: 'unknown field' }],
    ['manual switched off', { ...minimal, triggers: { manual: false } }, { field: 'triggers.manual', message: expect.any(String) }],
    ['a threshold with no limit', { ...minimal, deletionProtection: { mode: 'threshold' } }, { field: 'deletionProtection.minCount', message: 'give minCount and/or minPercent' }],
    ['an unknown protection mode', { ...minimal, deletionProtection: { mode: 'never' } }, { field: 'deletionProtection.mode', message: 'mode must be "always" or "threshold"' }],
    ['a guard above 100 %', { ...minimal, massOffboardingGuard: { maxDisablePercent: 150 } }, { field: 'massOffboardingGuard.maxDisablePercent', message: expect.any(String) }],
    ['an upstream task with a scope', { ...hrUpstream, scope: { departmentIds: ['d1'] } }, { field: 'scope', message: expect.stringContaining('only a downstream task') }],
    ['csv as downstream', { ...hrUpstream, direction: 'downstream' }, { field: 'direction', message: 'a csv connector is read-only, so it can only be upstream' }],
    ['real time from a csv source', { ...hrUpstream, triggers: { realtime: true } }, { field: 'triggers.realtime', message: expect.stringContaining('no change events') }],
    ['incremental reads on a downstream task', { ...minimal, triggers: { schedule: { every: '2h' } }, incremental: { enabled: true } }, { field: 'incremental.enabled', message: expect.stringContaining('only an upstream task') }],
    ['incremental reads from a csv source', { ...hrUpstream, triggers: { schedule: { every: '2h' } }, incremental: { enabled: true } }, { field: 'incremental.enabled', message: expect.stringContaining('a csv source cannot list what changed') }],
    ['incremental reads without a schedule', { ...ldapUpstream, triggers: {}, incremental: { enabled: true } }, { field: 'incremental.enabled', message: expect.stringContaining('give triggers.schedule') }],
    ['a full run every 0 hours', { ...ldapUpstream, incremental: { enabled: true, fullRunEveryHours: 0 } }, { field: 'incremental.fullRunEveryHours', message: expect.any(String) }],
    ['a fractional full-run interval', { ...ldapUpstream, incremental: { enabled: true, fullRunEveryHours: 1.5 } }, { field: 'incremental.fullRunEveryHours', message: expect.any(String) }],
    ['an unknown incremental option', { ...ldapUpstream, incremental: { enabled: true, since: 'x' } }, { field: 'incremental.since', message: 'unknown field' }],
    ['a non-object body', 'not json', { field: '(body)', message: expect.any(String) }],
  ])('refuses %s, naming the field', (_label, body, issue) => {
    expect(refusal(body)).toContainEqual(issue);
  });

  it('reports every unknown key by name, and never echoes a secret', () => {
    const issues = refusal({ ...designExample, extra: 1, connector: { ...designExample.connector, token: 'x', secrets: { corpSecret: 42 } } });
    expect(issues.map((i) => i.field)).toEqual(expect.arrayContaining(['extra', 'connector.token', 'connector.secrets.corpSecret']));
    const withSecret = refusal({ ...designExample, matchRules: [] });
    expect(JSON.stringify(withSecret)).not.toContain('corp-secret-value');
  });

  it('takes incremental reads for an upstream LDAP task on a schedule, a full run every 24 h by default', () => {
    expect(parseTaskConfig({ ...ldapUpstream, incremental: { enabled: true } }, kinds).incremental).toEqual({ enabled: true, fullRunEveryHours: 24 });
    expect(parseTaskConfig({ ...ldapUpstream, incremental: { enabled: true, fullRunEveryHours: 6 } }, kinds).incremental).toEqual({ enabled: true, fullRunEveryHours: 6 });
    // Switched off, it is checked for shape only.
    expect(parseTaskConfig({ ...minimal, incremental: { enabled: false } }, kinds).incremental).toEqual({ enabled: false, fullRunEveryHours: 24 });
    expect(parseTaskConfig(ldapUpstream, kinds).incremental).toBeUndefined();
  });

  it('takes write capability from the kind facts it is given', () => {
    const readOnly = connectorCatalog.map((f) => (f.kind === 'wecom' ? { ...f, capabilities: { ...f.capabilities, write: false } } : f));
    expect(() => parseTaskConfig(minimal, { kinds: readOnly })).toThrow(/direction: a wecom connector is read-only/);
  });
});

describe('parseTaskConfigPatch', () => {
  const existing = parseTaskConfig(designExample, kinds);

  it('merges objects key by key and re-validates the whole', () => {
    const patched = parseTaskConfigPatch(existing, { name: 'Renamed', triggers: { realtime: true }, connector: { secrets: { callbackToken: 'a2' } } }, kinds);
    expect(patched.name).toBe('Renamed');
    expect(patched.triggers).toEqual({ ...existing.triggers, realtime: true });
    expect(patched.connector.secrets).toEqual({ corpSecret: 'corp-secret-value', callbackToken: 'a2' });
    expect(patched.connector.settings).toEqual(existing.connector.settings);
  });

  it('replaces a schedule, arrays and deletion protection wholesale; null removes', () => {
    const patched = parseTaskConfigPatch(existing, {
      triggers: { schedule: { cron: '0 3 * * *', timezone: 'Asia/Shanghai' } },
      matchRules: ['email'],
      deletionProtection: { mode: 'threshold', minCount: 10 },
    }, kinds);
    expect(patched.triggers.schedule).toEqual({ cron: '0 3 * * *', timezone: 'Asia/Shanghai' });
    expect(patched.matchRules).toEqual(['email']);
    expect(patched.deletionProtection).toEqual({ mode: 'threshold', minCount: 10 });
    expect(parseTaskConfigPatch(existing, { triggers: { schedule: null } }, kinds).triggers).toEqual({ manual: true, realtime: false });
  });

  it('refuses a patch that makes the whole invalid, naming the field', () => {
    expect(() => parseTaskConfigPatch(existing, { direction: 'upstream' }, kinds)).toThrow(/scope: only a downstream task/);
    expect(() => parseTaskConfigPatch(existing, { fieldMapping: [{ target: 'email', expression: '(' }] }, kinds)).toThrow(/fieldMapping\.0\.expression/);
    expect(() => parseTaskConfigPatch(existing, [1], kinds)).toThrow(TaskConfigError);
  });

  it('replaces the whole connector when the kind changes', () => {
    const patched = parseTaskConfigPatch(existing, { connector: { kind: 'feishu', settings: { baseUrl: 'https://open.feishu.cn/open-apis', appId: 'cli_1' }, secrets: { appSecret: 'f' } } }, kinds);
    expect(patched.connector).toEqual({ kind: 'feishu', settings: { baseUrl: 'https://open.feishu.cn/open-apis', appId: 'cli_1' }, secrets: { appSecret: 'f' } });
  });
});

describe('splitSecrets', () => {
  it('keeps credentials out of the public part and can put them back', () => {
    const config = parseTaskConfig(designExample, kinds);
    const { publicConfig, secrets } = splitSecrets(config);
    expect(secrets).toEqual({ corpSecret: 'corp-secret-value' });
    expect(JSON.stringify(publicConfig)).not.toContain('corp-secret-value');
    expect(publicConfig.connector).toEqual({ kind: 'wecom', settings: designExample.connector.settings });
    expect(withSecrets(publicConfig, secrets)).toEqual(config);
  });
});

describe('checkNoUpDownConflict', () => {
  const wecomUpstream: ExistingTask = {
    id: 't-up',
    name: 'WeCom to hub',
    direction: 'upstream',
    connector: { kind: 'wecom', settings: { corpId: 'ww0001', baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin' } },
  };

  it('refuses the same app downstream when it is already upstream, naming the connector', () => {
    const config = parseTaskConfig(designExample, kinds);
    expect(() => checkNoUpDownConflict(config, [wecomUpstream], kinds)).toThrow(TaskConfigError);
    try {
      checkNoUpDownConflict(config, [wecomUpstream], kinds);
    } catch (error) {
      expect((error as TaskConfigError).issues).toEqual([{ field: 'connector', message: expect.stringContaining('already upstream in task "WeCom to hub"') }]);
    }
  });

  it('allows another tenant, the same direction, and the task being edited', () => {
    const config = parseTaskConfig(designExample, kinds);
    expect(() => checkNoUpDownConflict(config, [{ ...wecomUpstream, connector: { kind: 'wecom', settings: { corpId: 'ww0002' } } }], kinds)).not.toThrow();
    expect(() => checkNoUpDownConflict(config, [{ ...wecomUpstream, direction: 'downstream' }], kinds)).not.toThrow();
    expect(() => checkNoUpDownConflict(config, [wecomUpstream], { ...kinds, selfId: 't-up' })).not.toThrow();
  });

  it('compares endpoints when there is no identifying setting, ignoring case and trailing slashes', () => {
    const scim = (direction: 'upstream' | 'downstream', baseUrl: string) => ({
      id: `t-${direction}`,
      name: `scim ${direction}`,
      direction,
      connector: { kind: 'scim', settings: { baseUrl } },
    });
    expect(() => checkNoUpDownConflict(scim('downstream', 'https://Api.Example.com/scim/'), [scim('upstream', 'https://api.example.com/scim')], kinds)).toThrow(
      /connector: this scim app is already upstream/,
    );
  });
});
