// The bootstrap admin token and the credential-encryption key: from the environment, else from
// files in the data directory (mode 0600), generated there once by `start` so a newcomer has no step.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseSecretKey } from '../db/secret-box';
import type { SyncCenterConfig } from './config';

export interface ResolvedSecrets {
  adminToken?: string;
  /** where the admin token was read from or written to, for the start-up banner; never the token */
  adminTokenSource?: { kind: 'env' } | { kind: 'file'; path: string; created: boolean };
  secretKey?: Buffer;
  secretKeySource?: { kind: 'env' } | { kind: 'file'; path: string; created: boolean };
}

export const adminTokenFile = (dataDir: string) => path.join(dataDir, 'admin-token');
export const secretKeyFile = (dataDir: string) => path.join(dataDir, 'secret-key');

function readSecretFile(file: string): string | undefined {
  try {
    const value = fs.readFileSync(file, 'utf8').trim();
    return value === '' ? undefined : value;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes with O_EXCL so two processes racing on a fresh data dir never overwrite each other's secret. */
function writeSecretFileOnce(file: string, value: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    fs.writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
    return value;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const existing = readSecretFile(file);
    if (!existing) throw new Error(`${file} exists but is empty`);
    return existing;
  }
}

export interface ResolveSecretsOptions {
  /** true under `start`: create missing secrets in the data directory */
  generate: boolean;
}

export function resolveSecrets(config: SyncCenterConfig, options: ResolveSecretsOptions): ResolvedSecrets {
  const result: ResolvedSecrets = {};

  if (config.adminToken) {
    result.adminToken = config.adminToken;
    result.adminTokenSource = { kind: 'env' };
  } else {
    const file = adminTokenFile(config.dataDir);
    const existing = readSecretFile(file);
    if (existing) {
      result.adminToken = existing;
      result.adminTokenSource = { kind: 'file', path: file, created: false };
    } else if (options.generate) {
      result.adminToken = writeSecretFileOnce(file, `sc_admin_${randomBytes(24).toString('base64url')}`);
      result.adminTokenSource = { kind: 'file', path: file, created: true };
    }
  }

  if (config.secretKeyBase64) {
    result.secretKey = parseSecretKey(config.secretKeyBase64, 'SYNC_CENTER_SECRET_KEY');
    result.secretKeySource = { kind: 'env' };
  } else {
    const file = secretKeyFile(config.dataDir);
    const existing = readSecretFile(file);
    if (existing) {
      result.secretKey = parseSecretKey(existing, file);
      result.secretKeySource = { kind: 'file', path: file, created: false };
    } else if (options.generate) {
      const written = writeSecretFileOnce(file, randomBytes(32).toString('base64'));
      result.secretKey = parseSecretKey(written, file);
      result.secretKeySource = { kind: 'file', path: file, created: true };
    }
  }
  return result;
}
