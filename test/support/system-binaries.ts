// Debian-packaged tools the tests run (slapd, prometheus…): found in the usual folders, then on PATH,
// and installed by their scripts/provision-*.sh when missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export function findBinary(name: string, folders: readonly string[] = ['/usr/bin', '/usr/local/bin']): string | undefined {
  for (const dir of [...folders, ...(process.env.PATH ?? '').split(':')]) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Runs scripts/provision-<name>.sh (a no-op when everything is there). */
export function provision(name: string): void {
  execFileSync('sh', [path.join(__dirname, `../../scripts/provision-${name}.sh`)], { stdio: 'inherit' });
}
