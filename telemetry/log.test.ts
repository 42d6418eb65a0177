// Secrets handed to a log call by mistake are redacted, whatever the depth they sit at.
import { Writable } from 'node:stream';
import { createLogger } from './log';

test('secret fields are redacted from log lines', () => {
  const out: string[] = [];
  const logger = createLogger({ level: 'info', destination: new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk.toString()), done()) }) });
  logger.info({ channel: { webhookUrl: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=robot-key', signingSecret: 'sign-me' }, secrets: { corpSecret: 'corp' }, password: 'pw' }, 'configured');
  const line = out.join('');
  for (const secret of ['robot-key', 'sign-me', '"corp"', '"pw"']) expect(line).not.toContain(secret);
  expect(JSON.parse(line)).toMatchObject({ msg: 'configured', name: 'sync-center', channel: { webhookUrl: '[redacted]' }, secrets: '[redacted]', password: '[redacted]' });
});
