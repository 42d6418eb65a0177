// Notification channels over the API: admin only (api/rbac-matrix.test.ts), secrets sealed and never
// answered, bad settings refused naming the field, every write audited.
import { randomBytes } from 'node:crypto';
import { createSecretBox } from '../../db/secret-box';
import { notificationChannels } from '../../db/schema';
import { allowAnyHostVariable, allowedHostsVariable } from '../../connectors/shared/host-policy';
import { describeOnBothDatabases } from '../../test/support/databases';
import { startTestApi, type TestApi } from '../testing';

const robotUrl = 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robot-key-not-to-be-shown';

describeOnBothDatabases('notification channels API', (ctx) => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi(ctx.database, { secretBox: createSecretBox(randomBytes(32)) });
  });
  afterAll(async () => {
    await api?.app.close();
  });

  it('creates a global channel, lists it without its secrets, stores them sealed and audits the write', async () => {
    const created = await api.as('admin', { method: 'POST', url: '/api/v1/notification-channels', payload: { name: 'ops', kind: 'wecom-robot', secrets: { webhookUrl: robotUrl } } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'ops', taskId: null, kind: 'wecom-robot', secretsSet: ['webhookUrl'], settings: { credentialFailureThreshold: 3 }, events: expect.arrayContaining(['run_failed', 'deletions_pending']) });
    const listed = await api.as('admin', { method: 'GET', url: '/api/v1/notification-channels' });
    expect(listed.body).not.toContain('robot-key-not-to-be-shown');
    expect(listed.json().items.map((c: { id: string }) => c.id)).toContain(created.json().id);
    const rows = await ctx.database.db.select().from(notificationChannels);
    expect(JSON.stringify(rows)).not.toContain('robot-key-not-to-be-shown');
    const audit = await api.as('admin', { method: 'GET', url: `/api/v1/audit?entity=notification_channel:${created.json().id}` });
    if (audit.statusCode === 200) expect(JSON.stringify(audit.json())).not.toContain('robot-key-not-to-be-shown');
    const removed = await api.as('admin', { method: 'DELETE', url: `/api/v1/notification-channels/${created.json().id}` });
    expect(removed.statusCode).toBe(204);
  });

  it('refuses bad input naming the field', async () => {
    const noUrl = await api.as('admin', { method: 'POST', url: '/api/v1/notification-channels', payload: { name: 'x', kind: 'webhook', secrets: { url: 'ftp://nope', signingSecret: 'short' } } });
    expect(noUrl.statusCode).toBe(400);
    expect(noUrl.json()).toMatchObject({ field: 'secrets.url' });
    const mail = await api.as('admin', { method: 'POST', url: '/api/v1/notification-channels', payload: { name: 'x', kind: 'email', settings: { host: 'smtp.example.test', from: 'a@b.test', to: [] }, secrets: {} } });
    expect(mail.json()).toMatchObject({ field: 'settings.to' });
    const task = await api.as('admin', { method: 'POST', url: '/api/v1/notification-channels', payload: { name: 'x', kind: 'wecom-robot', taskId: 'no-such-task', secrets: { webhookUrl: robotUrl } } });
    expect(task.json()).toMatchObject({ field: 'taskId' });
  });

  it('refuses an SMTP host outside the outbound allow-list, as webhook hosts are, naming settings.host', async () => {
    const saved = { any: process.env[allowAnyHostVariable], allowed: process.env[allowedHostsVariable] };
    delete process.env[allowAnyHostVariable];
    delete process.env[allowedHostsVariable];
    const mail = (host: string, port?: number) =>
      api.as('admin', { method: 'POST', url: '/api/v1/notification-channels', payload: { name: 'mail', kind: 'email', settings: { host, ...(port ? { port } : {}), from: 'sync@example.test', to: ['ops@example.test'] }, secrets: {} } });
    try {
      const refused = await mail('smtp.internal.example.test');
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ field: 'settings.host', message: expect.stringContaining('SYNC_CENTER_ALLOWED_HOSTS') });
      expect((await mail('169.254.169.254', 25)).json()).toMatchObject({ field: 'settings.host' });
      expect((await mail('smtp.internal.example.test;rm', 25)).json()).toMatchObject({ field: 'settings.host' });
      // Allowed by name (any port), or by name and port (that port only).
      process.env[allowedHostsVariable] = 'smtp.internal.example.test, relay.example.test:2525';
      expect((await mail('smtp.internal.example.test')).statusCode).toBe(201);
      expect((await mail('relay.example.test', 2525)).statusCode).toBe(201);
      expect((await mail('relay.example.test', 587)).json()).toMatchObject({ field: 'settings.host' });
    } finally {
      process.env[allowAnyHostVariable] = saved.any;
      if (saved.allowed === undefined) delete process.env[allowedHostsVariable];
      else process.env[allowedHostsVariable] = saved.allowed;
    }
  });
});
