// The email channel's SMTP server is checked against the outbound host allow-list at every send, as
// webhook and robot URLs are (connectors/shared/host-policy.ts): a channel saved while its host was
// allowed is refused, without connecting, once the operator's list no longer has it.
import { allowAnyHostVariable, allowedHostsVariable } from '../../connectors/shared/host-policy';
import type { OpenChannel } from '../../db/repos/notification-channels';
import type { NotificationMessage } from '../../engine/notifications';
import { startSmtpServer, type RunningSmtpServer } from '../../test/support/smtp-server';
import { NotificationSendError, sendNotification } from './senders';

let smtp: RunningSmtpServer;
const saved = { any: process.env[allowAnyHostVariable], allowed: process.env[allowedHostsVariable] };

beforeAll(async () => {
  smtp = await startSmtpServer();
  delete process.env[allowAnyHostVariable];
});
afterAll(async () => {
  process.env[allowAnyHostVariable] = saved.any;
  if (saved.allowed === undefined) delete process.env[allowedHostsVariable];
  else process.env[allowedHostsVariable] = saved.allowed;
  await smtp?.close();
});

const message: NotificationMessage = { event: 'run_failed', taskId: 't1', taskName: 'HR to WeCom', runId: 'r1', title: 'Sync run failed: HR to WeCom', lines: ['Error: E1'], details: {} };

function channel(): OpenChannel {
  return {
    id: 'c1',
    name: 'ops mail',
    taskId: null,
    kind: 'email',
    events: ['run_failed'],
    settings: { credentialFailureThreshold: 3, host: smtp.host, port: smtp.port, secure: false, from: 'sync@example.test', to: ['ops@example.test'] },
    secretsSet: [],
    enabled: true,
    createdAt: new Date(),
    secrets: {},
  };
}

test('an SMTP host the allow-list has is sent to; once it is gone, the send is refused for good without connecting', async () => {
  process.env[allowedHostsVariable] = `${smtp.host}:${smtp.port}`;
  await sendNotification(channel(), message);
  expect(smtp.messages).toHaveLength(1);

  process.env[allowedHostsVariable] = 'smtp.example.test';
  const refused = await sendNotification(channel(), message).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(refused).toBeInstanceOf(NotificationSendError);
  expect(refused).toMatchObject({ transient: false, message: expect.stringMatching(/^email: SMTP host "127\.0\.0\.1:\d+" is not allowed/) });
  expect(smtp.messages).toHaveLength(1);

  delete process.env[allowedHostsVariable];
  await expect(sendNotification(channel(), message)).rejects.toMatchObject({ transient: false });
  expect(smtp.messages).toHaveLength(1);
});
