// A real SMTP server for the email-notification tests: aiosmtpd (PyPI, installed by
// scripts/provision-smtp-server.js) on a free loopback port; every message it accepts is printed as
// one JSON line, which this helper collects.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { freePort } from './cli-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const provision = require('../../scripts/provision-smtp-server.js') as { AIOSMTPD: string; aiosmtpdPython: string; aiosmtpdReady: () => boolean };

export interface SmtpMessage {
  mailFrom: string;
  rcptTos: string[];
  data: string;
}

export interface RunningSmtpServer {
  host: string;
  port: number;
  messages: SmtpMessage[];
  close(): Promise<void>;
}

const serverScript = String.raw`
import asyncio, json, sys
from aiosmtpd.controller import Controller

class Collect:
    async def handle_DATA(self, server, session, envelope):
        line = json.dumps({"mailFrom": envelope.mail_from, "rcptTos": envelope.rcpt_tos, "data": envelope.content.decode("utf8", "replace")})
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return "250 Message accepted for delivery"

controller = Controller(Collect(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
sys.stdout.write("READY\n")
sys.stdout.flush()
sys.stdin.read()
controller.stop()
`;

export async function startSmtpServer(): Promise<RunningSmtpServer> {
  if (!provision.aiosmtpdReady()) throw new Error(`aiosmtpd ${provision.AIOSMTPD} is not installed: run node scripts/provision-smtp-server.js`);
  const port = await freePort();
  const child: ChildProcess = spawn(provision.aiosmtpdPython, ['-c', serverScript, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const messages: SmtpMessage[] = [];
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aiosmtpd did not start within 15 s: ${stderr}`)), 15_000);
    child.once('exit', (code) => reject(new Error(`aiosmtpd exited with ${code}: ${stderr}`)));
    lines.on('line', (line) => {
      if (line === 'READY') {
        clearTimeout(timer);
        resolve();
      } else if (line.startsWith('{')) messages.push(JSON.parse(line) as SmtpMessage);
    });
  });
  return {
    host: '127.0.0.1',
    port,
    messages,
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
