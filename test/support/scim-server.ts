// The third-party SCIM 2.0 server the SCIM client is tested against: `scim2-server` from PyPI
// (installed by scripts/provision-scim-server.js), in memory, on a free port, one per suite.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { freePort } from './cli-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const provision = require('../../scripts/provision-scim-server.js') as { SCIM2_SERVER: string; cachedBinary(): string };

export interface RunningScimServer {
  /** the SCIM base, …/v2 */
  baseUrl: string;
  token: string;
  close(): Promise<void>;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function scimServerBinary(): string {
  const candidates = [path.resolve(__dirname, '../../.tools/scim2-server'), provision.cachedBinary()];
  const found = candidates.find(executable);
  if (!found) throw new Error(`scim2-server ${provision.SCIM2_SERVER} is not installed: run node scripts/provision-scim-server.js (looked in ${candidates.join(', ')})`);
  return found;
}

export async function startScimServer(): Promise<RunningScimServer> {
  const token = randomBytes(18).toString('base64url');
  const port = await freePort();
  const child: ChildProcessWithoutNullStreams = spawn(scimServerBinary(), ['--port', String(port), '--bearer-token', token], { stdio: 'pipe' });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const baseUrl = `http://127.0.0.1:${port}/v2`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`scim2-server exited with ${child.exitCode}: ${output}`);
    try {
      const res = await fetch(`${baseUrl}/ServiceProviderConfig`, { headers: { authorization: `Bearer ${token}` } });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`scim2-server did not answer on ${baseUrl}: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    baseUrl,
    token,
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
