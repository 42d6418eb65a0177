import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from './config';
import { adminTokenFile, resolveSecrets, secretKeyFile } from './data-dir-secrets';

describe('resolveSecrets', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sc-secrets-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('generates the admin token and secret key once, mode 0600, and reads them back later', () => {
    const config = loadConfig({ SYNC_CENTER_DATA_DIR: dataDir });
    const first = resolveSecrets(config, { generate: true });
    expect(first.adminTokenSource).toEqual({ kind: 'file', path: adminTokenFile(dataDir), created: true });
    expect(first.secretKey).toHaveLength(32);
    expect(fs.statSync(adminTokenFile(dataDir)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(secretKeyFile(dataDir)).mode & 0o777).toBe(0o600);

    const second = resolveSecrets(config, { generate: false });
    expect(second.adminToken).toBe(first.adminToken);
    expect(second.secretKey?.equals(first.secretKey!)).toBe(true);
    expect(second.adminTokenSource).toMatchObject({ created: false });
  });

  it('creates nothing when not asked to generate', () => {
    const secrets = resolveSecrets(loadConfig({ SYNC_CENTER_DATA_DIR: dataDir }), { generate: false });
    expect(secrets.adminToken).toBeUndefined();
    expect(secrets.secretKey).toBeUndefined();
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('prefers the environment and writes no file', () => {
    const key = randomBytes(32).toString('base64');
    const secrets = resolveSecrets(
      loadConfig({ SYNC_CENTER_DATA_DIR: dataDir, SYNC_CENTER_ADMIN_TOKEN: 'env-admin-token-0123', SYNC_CENTER_SECRET_KEY: key }),
      { generate: true },
    );
    expect(secrets.adminToken).toBe('env-admin-token-0123');
    expect(secrets.secretKey?.toString('base64')).toBe(key);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('rejects a secret key that is not 32 bytes, naming the variable but not the value', () => {
    const config = loadConfig({ SYNC_CENTER_DATA_DIR: dataDir, SYNC_CENTER_SECRET_KEY: 'c2hvcnQ=' });
    expect(() => resolveSecrets(config, { generate: true })).toThrow('SYNC_CENTER_SECRET_KEY must be 32 bytes');
    expect(() => resolveSecrets(config, { generate: true })).not.toThrow(/c2hvcnQ/);
  });
});
