/**
 * Worker Deployment Versioning behaviour per workflow type. Core refuses a behaviour from a worker
 * that is not versioned (SYNC_CENTER_WORKER_VERSIONING off, tests, replay), so it is declared only
 * when the task runs on a worker with a deployment version; otherwise nothing is said.
 */
import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any workflow function
export function declareVersioningBehavior(behavior: VersioningBehavior, workflow: (...args: any[]) => Promise<unknown>): void {
  setWorkflowOptions(() => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: behavior } : {}), workflow);
}
