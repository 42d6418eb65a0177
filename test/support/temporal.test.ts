import { startLocalTemporal, startTimeSkippingTemporal } from './temporal';

describe('Temporal test servers', () => {
  it('the local dev server runs from the provisioned binary with the Sync Center search attributes', async () => {
    const env = await startLocalTemporal();
    try {
      const { customAttributes } = await env.connection.operatorService.listSearchAttributes({ namespace: env.namespace ?? 'default' });
      expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(['SyncTaskId', 'SyncDirection', 'ConnectorKind']));
      expect(env.supportsTimeSkipping).toBe(false);
    } finally {
      await env.teardown();
    }
  });

  it('the time-skipping server skips a long sleep', async () => {
    const env = await startTimeSkippingTemporal();
    try {
      expect(env.supportsTimeSkipping).toBe(true);
      const before = await env.currentTimeMs();
      await env.sleep('1 day');
      expect((await env.currentTimeMs()) - before).toBeGreaterThanOrEqual(24 * 3600 * 1000);
    } finally {
      await env.teardown();
    }
  });
});
