// SYNC_CENTER_TEMPORAL_METRICS_ADDRESS: the worker's Temporal runtime serves the SDK's own metrics
// (pollers, task slots, schedule-to-start latency) in Prometheus format for the compose Prometheus.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { bundleSyncWorkflows } from '../workflows/testing/workers';
import { freePort } from '../test/support/cli-process';
import { startLocalTemporal } from '../test/support/temporal';
import { installWorkerRuntime } from './worker';

jest.setTimeout(60_000);

let env: TestWorkflowEnvironment | undefined;

afterAll(async () => {
  await env?.teardown();
});

test('the Temporal SDK runtime metrics are served where SYNC_CENTER_TEMPORAL_METRICS_ADDRESS says', async () => {
  const port = await freePort();
  process.env.SYNC_CENTER_TEMPORAL_METRICS_ADDRESS = `127.0.0.1:${port}`;
  // Before any connection: the runtime is installed once per process.
  installWorkerRuntime();
  env = await startLocalTemporal();
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: `runtime-metrics-${process.pid}`, workflowBundle: await bundleSyncWorkflows(), activities: {} });
  const text = await worker.runUntil(async () => {
    for (let i = 0; ; i++) {
      const body = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
      if (/^temporal_num_pollers\{/m.test(body) || i > 50) return body;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
  expect(text).toMatch(/^temporal_num_pollers\{.*poller_type="workflow_task".*\} \d+/m);
  expect(text).toMatch(/^temporal_worker_start_total\{/m);
});
