/**
 * A snapshot that fails the same retryable way on every attempt (issue 11: a hostile expression
 * starved the worker, the heartbeat timed out, and the attempt moved to the next worker forever)
 * ends the run as failed after a bounded number of attempts. Time-skipping server: the ~15 minutes
 * of back-off pass at once.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { startTimeSkippingTemporal } from '../test/support/temporal';
import { syncRunWorkflow } from './sync-run';
import { createInMemoryActivities } from './testing/in-memory-activities';
import { bundleSyncWorkflows, registerSearchAttributes, withWorker } from './testing/workers';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, workflowBundle] = await Promise.all([startTimeSkippingTemporal(), bundleSyncWorkflows()]);
  await registerSearchAttributes(env);
}, 120000);

afterAll(async () => {
  await env?.teardown();
});

test('a snapshot failing the same retryable way every time fails the run after 20 attempts', async () => {
  const taskId = `task-bounded-${Date.now()}`;
  let attempts = 0;
  const memory = createInMemoryActivities({
    tasks: { [taskId]: {} },
    overrides: {
      snapshot: async () => {
        attempts++;
        throw ApplicationFailure.retryable('activity heartbeat timed out', 'Starved');
      },
    },
  });
  const outcome = await withWorker(env, workflowBundle, memory, (taskQueue) =>
    env.client.workflow.execute(syncRunWorkflow, { taskQueue, workflowId: `run-${taskId}`, args: [{ taskId, runId: `r-${taskId}` }] }).catch((error: unknown) => error),
  );
  expect(outcome).toBeInstanceOf(WorkflowFailedError);
  expect(attempts).toBe(20);
  expect(memory.runs.get(`r-${taskId}`)).toMatchObject({ status: 'failed' });
}, 120000);
