// The console's task form ⇄ task body (console/src/taskBody.ts): what an edit sends back must keep
// what the form does not show (a cron schedule, expiry days, stored secrets) and leave out the
// admin-only parts for anyone else, or a save would silently change the task or answer 403.
import { bodyOf, defaultsFor, fieldPath, FormFieldError, valuesOfTask } from '../../console/src/taskBody';
import type { ConnectorKind, Task } from '../../console/src/types';

const wecom: ConnectorKind = {
  kind: 'wecom',
  directions: ['upstream', 'downstream'],
  settings: { type: 'object', properties: { baseUrl: { type: 'string' }, corpId: { type: 'string' }, timeoutMs: { type: 'integer' } }, required: ['corpId'] },
  secrets: { type: 'object', properties: { corpSecret: { type: 'string' } }, required: ['corpSecret'] },
  defaultMapping: [{ target: 'title', source: 'title', vendorField: 'position' }],
  tenantSettings: ['baseUrl', 'corpId'],
  realtime: true,
  connectionTest: true,
};
const csv: ConnectorKind = { ...wecom, kind: 'csv', directions: ['upstream'], settings: { type: 'object', properties: { path: { type: 'string' }, columns: { type: 'object' } } }, secrets: { type: 'object', properties: {} } };

function storedTask(config: Record<string, unknown>): Task {
  return {
    id: 't1',
    name: 'Hub to WeCom',
    direction: 'downstream',
    connectorKind: 'wecom',
    enabled: true,
    config: { connector: { kind: 'wecom', settings: { baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin', corpId: 'ww1', timeoutMs: 5000 } }, ...config },
    hasSecrets: ['corpSecret'],
    webhookUrl: null,
    status: 'succeeded',
    lastError: null,
    lastRun: null,
    pendingDeletions: 0,
    nextRunAt: null,
    createdAt: '2026-12-01T00:00:00Z',
    updatedAt: '2026-12-01T00:00:00Z',
  };
}

describe('console task form body', () => {
  it('a new task: empty inputs and secrets left out, the default mapping pre-filled, no schedule unless chosen', () => {
    const values = defaultsFor(wecom, 'downstream');
    values.name = 'New';
    values.connector.settings = { corpId: 'ww2', baseUrl: '', timeoutMs: undefined };
    values.connector.secrets = { corpSecret: 's3cret' };
    expect(bodyOf(values, wecom, { admin: true })).toEqual({
      name: 'New',
      direction: 'downstream',
      connector: { kind: 'wecom', settings: { corpId: 'ww2' }, secrets: { corpSecret: 's3cret' } },
      scope: { departmentIds: [], userIds: [], includeNewUsers: true },
      fieldMapping: [{ target: 'title', source: 'title' }],
      matchRules: ['employeeNumber', 'email', 'mobile'],
      triggers: { manual: true, realtime: false },
      realtimeDebounceMs: 1000,
      offboarding: 'disable',
      deletionProtection: { mode: 'always' },
      massOffboardingGuard: { maxDisablePercent: 20 },
      requireSecondApprover: false,
    });
  });

  it('real-time timing and the second approver: read from the stored task, sent back; an empty debounce is left to the default; the second approver is admin-only', () => {
    const task = storedTask({ triggers: { manual: true, realtime: true }, realtimeDebounceMs: 5000, requireSecondApprover: true });
    const values = valuesOfTask(task, wecom);
    expect({ realtime: values.triggers.realtime, debounce: values.realtimeDebounceMs, second: values.requireSecondApprover }).toEqual({ realtime: true, debounce: 5000, second: true });
    const body = bodyOf(values, wecom, { admin: true, previous: task });
    expect({ triggers: body.triggers, realtimeDebounceMs: body.realtimeDebounceMs, requireSecondApprover: body.requireSecondApprover }).toEqual({ triggers: { manual: true, realtime: true, schedule: null }, realtimeDebounceMs: 5000, requireSecondApprover: true });
    const byOperator = bodyOf(values, wecom, { admin: false, previous: task });
    expect(byOperator.realtimeDebounceMs).toBe(5000);
    expect(byOperator).not.toHaveProperty('requireSecondApprover');
    values.realtimeDebounceMs = null;
    expect(bodyOf(values, wecom, { admin: true })).not.toHaveProperty('realtimeDebounceMs');
    // A task stored before the settings existed shows their defaults.
    expect({ debounce: valuesOfTask(storedTask({}), wecom).realtimeDebounceMs, second: valuesOfTask(storedTask({}), wecom).requireSecondApprover }).toEqual({ debounce: 1000, second: false });
  });

  it('an edit keeps a cron schedule, expiry days and the stored secrets, and names a cleared setting null', () => {
    const task = storedTask({ triggers: { manual: true, realtime: false, schedule: { cron: '0 2 * * 1-5', timezone: 'Asia/Shanghai' } }, deletionProtection: { mode: 'threshold', minCount: 10, expireAfterDays: 7 } });
    const values = valuesOfTask(task, wecom);
    expect(values.triggers.schedule).toEqual({ every: 'cron', cron: '0 2 * * 1-5', timezone: 'Asia/Shanghai' });
    values.connector.settings.timeoutMs = undefined;
    const body = bodyOf(values, wecom, { admin: true, previous: task });
    expect(body.connector).toEqual({ kind: 'wecom', settings: { baseUrl: 'https://qyapi.weixin.qq.com/cgi-bin', corpId: 'ww1', timeoutMs: null }, secrets: {} });
    expect(body.triggers).toEqual({ manual: true, realtime: false, schedule: { cron: '0 2 * * 1-5', timezone: 'Asia/Shanghai' } });
    expect(body.deletionProtection).toEqual({ mode: 'threshold', minCount: 10, expireAfterDays: 7 });
  });

  it('weekly and monthly schedules carry their day; choosing no schedule on an edit removes it', () => {
    const task = storedTask({ triggers: { manual: true, realtime: false, schedule: { every: 'weekly', at: '03:30', timezone: 'UTC', dayOfWeek: 'friday' } } });
    const values = valuesOfTask(task, wecom);
    expect(bodyOf(values, wecom, { admin: true, previous: task }).triggers).toEqual({ manual: true, realtime: false, schedule: { every: 'weekly', at: '03:30', timezone: 'UTC', dayOfWeek: 'friday' } });
    values.triggers.schedule = { every: 'monthly', at: '01:00', timezone: 'Asia/Shanghai', dayOfMonth: 15, dayOfWeek: 'friday' };
    expect(bodyOf(values, wecom, { admin: true, previous: task }).triggers).toEqual({ manual: true, realtime: false, schedule: { every: 'monthly', at: '01:00', timezone: 'Asia/Shanghai', dayOfMonth: 15 } });
    values.triggers.schedule = { every: 'none' };
    expect(bodyOf(values, wecom, { admin: true, previous: task }).triggers).toEqual({ manual: true, realtime: false, schedule: null });
  });

  it('leaves offboarding, deletion protection and the guard out for a non-admin (the API answers 403 to a changed one)', () => {
    const body = bodyOf(valuesOfTask(storedTask({ offboarding: 'delete' }), wecom), wecom, { admin: false, previous: storedTask({}) });
    expect(Object.keys(body)).not.toEqual(expect.arrayContaining(['offboarding']));
    expect(body).not.toHaveProperty('deletionProtection');
    expect(body).not.toHaveProperty('massOffboardingGuard');
  });

  it('a JSON setting is edited as text: parsed on save, and bad JSON named by its field; an upstream task sends no scope', () => {
    const values = defaultsFor(csv, 'upstream');
    values.connector.settings = { path: 'hr.csv', columns: '{"username": "login"}' };
    const body = bodyOf(values, csv, { admin: true });
    expect(body.connector).toEqual({ kind: 'csv', settings: { path: 'hr.csv', columns: { username: 'login' } }, secrets: {} });
    expect(body).not.toHaveProperty('scope');
    values.connector.settings.columns = '{username:';
    expect(() => bodyOf(values, csv, { admin: true })).toThrow(FormFieldError);
    try {
      bodyOf(values, csv, { admin: true });
    } catch (err) {
      expect((err as FormFieldError).field).toEqual(['connector', 'settings', 'columns']);
    }
  });

  it("reads a 400's field as the form's name path", () => {
    expect(fieldPath('connector.settings.corpId')).toEqual(['connector', 'settings', 'corpId']);
    expect(fieldPath('fieldMapping.1.expression')).toEqual(['fieldMapping', 1, 'expression']);
  });
});
