// `sync-center fake wecom` as a user runs it: a real process, the vendor API on the given port, Ctrl-C.
import { spawn } from 'node:child_process';
import path from 'node:path';

jest.setTimeout(60_000);

describe('sync-center fake', () => {
  it('serves the WeCom fake with the given credentials until SIGINT', async () => {
    const child = spawn(process.execPath, [path.join(__dirname, 'bin.js'), 'fake', 'wecom', '--port', '0', '--corp-id', 'ww-test', '--corp-secret', 's3cret']);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      let match: RegExpMatchArray | null = null;
      while (!(match = output.match(/API base (\S+)\)/)) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      expect(match).not.toBeNull();
      const baseUrl = match![1];

      const refused = (await (await fetch(`${baseUrl}/gettoken?corpid=ww-test&corpsecret=wrong`)).json()) as { errcode: number };
      expect(refused.errcode).not.toBe(0);
      const granted = await (await fetch(`${baseUrl}/gettoken?corpid=ww-test&corpsecret=s3cret`)).json();
      expect(granted).toMatchObject({ errcode: 0, access_token: expect.any(String) });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('serves the SCIM fake with a profile and a token until SIGINT', async () => {
    const child = spawn(process.execPath, [path.join(__dirname, 'bin.js'), 'fake', 'scim', '--port', '0', '--profile', 'atlassian', '--token', 'jira-t0ken']);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      let match: RegExpMatchArray | null = null;
      while (!(match = output.match(/API base (\S+)\)/)) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      expect(match).not.toBeNull();
      expect(match![1]).toMatch(/\/scim\/directory\/dir-0001$/);
      expect((await fetch(`${match![1]}/Users`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      const granted = await fetch(`${match![1]}/Users?filter=${encodeURIComponent('title eq "x"')}`, { headers: { authorization: 'Bearer jira-t0ken' } });
      expect(granted.status).toBe(400);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('rejects an unknown kind, listing the known ones', async () => {
    const child = spawn(process.execPath, [path.join(__dirname, 'bin.js'), 'fake', 'slack']);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(2);
    expect(stderr).toContain('unknown kind "slack" (known: wecom, feishu, dingtalk, beisen, moka, scim, ecology, http-hr)');
  });
});
