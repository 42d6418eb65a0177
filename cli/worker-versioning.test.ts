/**
 * Worker Deployment Versioning: the env switch and build id, and on the real dev server the
 * promise the README's upgrade procedure makes: a run stays on the build it started on (PINNED)
 * while its task workflow moves to the new current build (AUTO_UPGRADE).
 */
import { decodeVersioningBehavior } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startLocalTemporal } from '../test/support/temporal';
import { runWorkflowId, stateQuery, taskWorkflowId, triggerSignal } from '../workflows/definitions';
import { syncTaskWorkflow } from '../workflows/sync-task';
import { createInMemoryActivities, eventually } from '../workflows/testing/in-memory-activities';
import { bundleSyncWorkflows } from '../workflows/testing/workers';
import { defaultBuildId, workerDeploymentOptions, workerVersioningEnabled } from './worker-versioning';

test('versioning is off unless SYNC_CENTER_WORKER_VERSIONING says so; the build id is the env’s, or the version and a hash of the bundle', () => {
  expect(workerVersioningEnabled({})).toBe(false);
  expect(workerVersioningEnabled({ SYNC_CENTER_WORKER_VERSIONING: '0' })).toBe(false);
  expect(() => workerVersioningEnabled({ SYNC_CENTER_WORKER_VERSIONING: 'yes' })).toThrow(/SYNC_CENTER_WORKER_VERSIONING/);
  const bundle = jest.fn(() => 'code');
  expect(workerDeploymentOptions({}, bundle)).toBeUndefined();
  expect(workerDeploymentOptions({ SYNC_CENTER_WORKER_VERSIONING: '1', SYNC_CENTER_BUILD_ID: '2026.12.1-abc' }, bundle)).toEqual({
    version: { deploymentName: 'sync-center', buildId: '2026.12.1-abc' },
    useWorkerVersioning: true,
    defaultVersioningBehavior: 'AUTO_UPGRADE',
  });
  expect(bundle).not.toHaveBeenCalled();
  expect(workerDeploymentOptions({ SYNC_CENTER_WORKER_VERSIONING: 'true', SYNC_CENTER_DEPLOYMENT_NAME: 'hub-eu' }, bundle)?.version).toEqual({ deploymentName: 'hub-eu', buildId: defaultBuildId('code') });
  expect(defaultBuildId('code')).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
  expect(defaultBuildId('code changed')).not.toBe(defaultBuildId('code'));
  expect(() => workerDeploymentOptions({ SYNC_CENTER_WORKER_VERSIONING: '1', SYNC_CENTER_BUILD_ID: 'has space' }, bundle)).toThrow(/SYNC_CENTER_BUILD_ID/);
  expect(() => workerDeploymentOptions({ SYNC_CENTER_WORKER_VERSIONING: '1', SYNC_CENTER_DEPLOYMENT_NAME: 'a.b' }, bundle)).toThrow(/SYNC_CENTER_DEPLOYMENT_NAME/);
});

describe('on the dev server', () => {
  let env: TestWorkflowEnvironment;
  let workflowBundle: WorkflowBundleWithSourceMap;

  beforeAll(async () => {
    [env, workflowBundle] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows()]);
  }, 120000);

  afterAll(async () => {
    await env?.teardown();
  });

  async function versioning(handle: WorkflowHandle) {
    const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
    return { behavior: decodeVersioningBehavior(info?.behavior), buildId: info?.deploymentVersion?.buildId };
  }

  test('an in-flight run stays pinned to its build while the task workflow auto-upgrades to the new current one', async () => {
    const taskId = `task-versioned-${Date.now()}`;
    const deploymentName = `sync-center-test-${Date.now()}`;
    const taskQueue = `versioned-${Date.now()}`;
    const memory = createInMemoryActivities({ tasks: { [taskId]: {} }, plans: { [taskId]: { batches: [{ succeeded: 1, failed: 0, skipped: 0 }] } } });
    const release = memory.holdSnapshots();
    const workerOn = (buildId: string) =>
      Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle,
        activities: memory.activities,
        workerDeploymentOptions: workerDeploymentOptions({ SYNC_CENTER_WORKER_VERSIONING: '1', SYNC_CENTER_DEPLOYMENT_NAME: deploymentName, SYNC_CENTER_BUILD_ID: buildId }, () => '')!,
      });
    // What the operator runs (`temporal worker deployment set-current-version`); the version exists once its worker polled.
    // The new routing reaches the task queue (and the old worker's sticky queue) asynchronously: a
    // workflow task dispatched before it lands still goes to the old build, so wait for it as the README says.
    const makeCurrent = async (buildId: string) => {
      await eventually(async () => {
        try {
          await env.client.workflowService.setWorkerDeploymentCurrentVersion({ namespace: env.namespace ?? 'default', deploymentName, buildId });
          return true;
        } catch {
          return false;
        }
      }, `${buildId} to become current`);
      await eventually(async () => {
        const { workerDeploymentInfo } = await env.client.workflowService.describeWorkerDeployment({ namespace: env.namespace ?? 'default', deploymentName });
        return workerDeploymentInfo?.routingConfigUpdateState === temporal.api.enums.v1.RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_COMPLETED;
      }, `${buildId}'s routing to reach the task queue`, 90_000); // asynchronous in the server: over 20 s seen at load 10+
    };

    const v1 = await workerOn('v1');
    await v1.runUntil(async () => {
      try {
        await makeCurrent('v1');
        const task = await env.client.workflow.signalWithStart(syncTaskWorkflow, { taskQueue, workflowId: taskWorkflowId(taskId), args: [{ taskId }], signal: triggerSignal, signalArgs: [{ trigger: 'manual' }] });
        await eventually(() => memory.runsOf(taskId).length === 1, 'the run on v1');
        const first = env.client.workflow.getHandle(runWorkflowId(taskId, memory.runsOf(taskId)[0].runId));
        // The behavior is the one its first workflow task completed with: before that, describe showed
        // the build with AUTO_UPGRADE (seen in a CI run under load), so wait for that completion.
        await eventually(async () => (await first.fetchHistory()).events?.some((e) => e.workflowTaskCompletedEventAttributes) === true, 'the run’s first workflow task');
        expect(await versioning(first)).toEqual({ behavior: 'PINNED', buildId: 'v1' });
        expect(await versioning(task)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: 'v1' });

        const v2 = await workerOn('v2');
        await v2.runUntil(async () => {
          await makeCurrent('v2');
          await task.signal(triggerSignal, { trigger: 'realtime', changedIds: ['u1'] });
          await eventually(async () => (await versioning(task)).buildId === 'v2', 'the task workflow on v2');
          release();
          await first.result();
          expect(await versioning(first)).toEqual({ behavior: 'PINNED', buildId: 'v1' }); // finished where it started
          await eventually(async () => (await task.query(stateQuery)).runsCompleted === 2, 'the follow-up run');
          const second = env.client.workflow.getHandle(runWorkflowId(taskId, memory.runsOf(taskId)[1].runId));
          await second.result();
          expect(await versioning(second)).toEqual({ behavior: 'PINNED', buildId: 'v2' });
          await task.terminate('test done');
        });
      } finally {
        release();
      }
    });
  }, 240000);
});
