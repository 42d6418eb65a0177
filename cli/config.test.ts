import path from 'node:path';
import { defaultRateLimits } from '../api/rate-limit';
import { ConfigError, loadConfig, temporalAddress } from './config';
import { projectRoot } from './temporal-binaries';

describe('loadConfig', () => {
  it('defaults to PGlite under .data, the dev server on 7233/8233 and the API on 127.0.0.1:3000', () => {
    const config = loadConfig({});
    expect(config.dataDir).toBe(path.join(projectRoot, '.data'));
    expect(config.importDir).toBe(path.join(projectRoot, '.data', 'imports'));
    expect(config.database).toEqual({ url: undefined, pgliteDir: path.join(projectRoot, '.data', 'pglite') });
    expect(config.temporal).toEqual({ address: undefined, namespace: 'default', taskQueue: 'sync-center', port: 7233, uiPort: 8233 });
    expect(config.api).toEqual({ host: '127.0.0.1', port: 3000, rateLimits: defaultRateLimits });
    expect(temporalAddress(config)).toBe('127.0.0.1:7233');
    expect(config.adminToken).toBeUndefined();
    expect(config.snapshotRetentionDays).toBe(7);
  });

  it('takes every variable from the environment', () => {
    const config = loadConfig({
      SYNC_CENTER_DATA_DIR: '/tmp/sc-data',
      DATABASE_URL: 'postgres://app@db:5432/sync',
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'sync',
      TEMPORAL_TASK_QUEUE: 'q',
      PORT: '8080',
      HOST: '0.0.0.0',
      TEMPORAL_PORT: '17233',
      TEMPORAL_UI_PORT: '18233',
      SYNC_CENTER_ADMIN_TOKEN: 'a-long-enough-admin-token',
      SYNC_CENTER_IMPORT_DIR: '/srv/hr-exports',
      SYNC_CENTER_RATE_LIMIT_PER_TOKEN: '60',
      SYNC_CENTER_SNAPSHOT_RETENTION_DAYS: '30',
    });
    expect(config.snapshotRetentionDays).toBe(30);
    expect(config.dataDir).toBe('/tmp/sc-data');
    expect(config.importDir).toBe('/srv/hr-exports');
    expect(loadConfig({ SYNC_CENTER_DATA_DIR: '/tmp/sc-data' }).importDir).toBe('/tmp/sc-data/imports');
    expect(config.database.url).toBe('postgres://app@db:5432/sync');
    expect(temporalAddress(config)).toBe('temporal:7233');
    expect(config.temporal).toMatchObject({ namespace: 'sync', taskQueue: 'q', port: 17233, uiPort: 18233 });
    expect(config.api).toEqual({ host: '0.0.0.0', port: 8080, rateLimits: { ...defaultRateLimits, perToken: 60 } });
    expect(config.adminToken).toBe('a-long-enough-admin-token');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', TEMPORAL_ADDRESS: ' ' }).database.url).toBeUndefined();
    expect(loadConfig({ SYNC_CENTER_SNAPSHOT_RETENTION_DAYS: '' }).snapshotRetentionDays).toBe(7);
    expect(loadConfig({ SYNC_CENTER_VENDOR_RATE_LIMITS: '' }).vendorRateLimits).toBe('shared');
    expect(loadConfig({ SYNC_CENTER_VENDOR_RATE_LIMITS: 'process' }).vendorRateLimits).toBe('process');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ TEMPORAL_UI_PORT: '0' }, 'TEMPORAL_UI_PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: must be a postgres://'],
    [{ TEMPORAL_ADDRESS: 'http://temporal:7233' }, 'TEMPORAL_ADDRESS: must be host:port'],
    [{ SYNC_CENTER_ADMIN_TOKEN: 'short' }, 'SYNC_CENTER_ADMIN_TOKEN: must be at least 16'],
    [{ TEMPORAL_PORT: '9000', TEMPORAL_UI_PORT: '9000' }, 'TEMPORAL_UI_PORT: must differ'],
    [{ SYNC_CENTER_RATE_LIMIT_WEBHOOK: '-1' }, 'SYNC_CENTER_RATE_LIMIT_WEBHOOK: must be a positive integer'],
    [{ SYNC_CENTER_DEFAULT_COUNTRY_CODE: 'CN' }, 'SYNC_CENTER_DEFAULT_COUNTRY_CODE: must be a country calling code'],
    [{ SYNC_CENTER_SNAPSHOT_RETENTION_DAYS: 'a week' }, 'SYNC_CENTER_SNAPSHOT_RETENTION_DAYS: must be a whole number of days'],
    [{ SYNC_CENTER_SNAPSHOT_RETENTION_DAYS: '1.5' }, 'SYNC_CENTER_SNAPSHOT_RETENTION_DAYS: must be a whole number of days'],
    [{ SYNC_CENTER_SNAPSHOT_RETENTION_DAYS: '0' }, 'SYNC_CENTER_SNAPSHOT_RETENTION_DAYS: must be at least 1'],
    [{ SYNC_CENTER_VENDOR_RATE_LIMITS: 'per-worker' }, 'SYNC_CENTER_VENDOR_RATE_LIMITS: must be shared or process'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echoes a rejected secret value', () => {
    expect(() => loadConfig({ SYNC_CENTER_ADMIN_TOKEN: 'sekrit' })).not.toThrow(/sekrit/);
  });

  it('accepts an IPv6 Temporal address', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: '[::1]:7233' }).temporal.address).toBe('[::1]:7233');
  });
});
