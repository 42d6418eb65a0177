// `sync-center fake feishu|dingtalk` as a user runs them: a real process, the vendor's token
// endpoint honouring the credential flags, /__fake/state answering, Ctrl-C exits 0.
import { spawn } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(60_000);

const bin = path.join(__dirname, 'bin.js');

async function runFake(args: string[], check: (baseUrl: string, url: string) => Promise<void>): Promise<void> {
  const child = spawn(process.execPath, [bin, 'fake', ...args]);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 30_000;
    let match: RegExpMatchArray | null = null;
    while (!(match = output.match(/listening on (\S+) \(API base (\S+)\)/)) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect({ match: match !== null, output: match ? '' : output }).toEqual({ match: true, output: '' });
    await check(match![2], match![1]);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
}

const post = async (url: string, body: unknown) =>
  (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, unknown>>;

describe('sync-center fake feishu', () => {
  it('grants a tenant token only for the given app id and secret, and serves its state', async () => {
    await runFake(['feishu', '--port', '0', '--app-id', 'cli_test', '--app-secret', 's3cret', '--encrypt-key', 'ek', '--verification-token', 'vt'], async (baseUrl, url) => {
      expect(baseUrl).toMatch(/\/open-apis$/);
      expect(await post(`${baseUrl}/auth/v3/tenant_access_token/internal`, { app_id: 'cli_test', app_secret: 'wrong' })).toMatchObject({ code: 10014 });
      expect(await post(`${baseUrl}/auth/v3/tenant_access_token/internal`, { app_id: 'cli_test', app_secret: 's3cret' })).toMatchObject({ code: 0, tenant_access_token: expect.any(String) });
      expect((await fetch(`${url}/__fake/state`)).status).toBe(200);
    });
  });

  it('refuses event keys given by halves, naming both flags', async () => {
    const child = spawn(process.execPath, [bin, 'fake', 'feishu', '--encrypt-key', 'ek']);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(1);
    expect(stderr).toContain('--encrypt-key and --verification-token go together');
  });
});

describe('sync-center fake dingtalk', () => {
  it('grants old- and new-API tokens only for the given app key and secret, and serves its state', async () => {
    await runFake(['dingtalk', '--port', '0', '--app-key', 'dingtest', '--app-secret', 's3cret', '--corp-id', 'dingcorp'], async (baseUrl, url) => {
      expect(await (await fetch(`${baseUrl}/gettoken?appkey=dingtest&appsecret=wrong`)).json()).toMatchObject({ errcode: 40001 });
      expect(await (await fetch(`${baseUrl}/gettoken?appkey=dingtest&appsecret=s3cret`)).json()).toMatchObject({ errcode: 0, access_token: expect.any(String) });
      expect(await post(`${url}/v1.0/oauth2/accessToken`, { appKey: 'dingtest', appSecret: 's3cret' })).toMatchObject({ accessToken: expect.any(String) });
      expect((await fetch(`${url}/__fake/state`)).status).toBe(200);
    });
  });

  it('refuses callback keys given by halves', async () => {
    const child = spawn(process.execPath, [bin, 'fake', 'dingtalk', '--callback-token', 't']);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(1);
    expect(stderr).toContain('--callback-token and --callback-aes-key go together');
  });
});
