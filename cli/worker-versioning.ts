// Worker Deployment Versioning (opt-in): which deployment version this worker declares, from the
// environment. Off by default, because a versioned worker only receives tasks once its version is
// made current (`temporal worker deployment set-current-version`, README "Upgrading"), which
// single-process `start` and the tests have no operator for.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkerDeploymentOptions } from '@temporalio/worker';

export const DEFAULT_DEPLOYMENT_NAME = 'sync-center';
/** Temporal's limit on a build id, and the characters we let through (it becomes part of `name.buildId`). */
const BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,254}$/;

/** Reads SYNC_CENTER_WORKER_VERSIONING, SYNC_CENTER_DEPLOYMENT_NAME and SYNC_CENTER_BUILD_ID. */
export type VersioningEnv = Record<string, string | undefined>;

export function workerVersioningEnabled(env: VersioningEnv = process.env): boolean {
  const value = env.SYNC_CENTER_WORKER_VERSIONING?.trim().toLowerCase() ?? '';
  if (value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new Error('SYNC_CENTER_WORKER_VERSIONING: expected 1/true or 0/false');
}

/** `<package version>+<first 12 hex of the workflow bundle's sha256>`: any workflow code change is a new build. */
export function defaultBuildId(workflowBundleCode: string): string {
  const { version } = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return `${version}+${createHash('sha256').update(workflowBundleCode).digest('hex').slice(0, 12)}`;
}

/**
 * The worker's deployment options, or undefined when versioning is off. Workflows say their own
 * behaviour (setWorkflowOptions: syncRunWorkflow PINNED, the rest AUTO_UPGRADE); the default
 * covers any type that forgets to.
 */
export function workerDeploymentOptions(env: VersioningEnv, bundleCode: () => string): WorkerDeploymentOptions | undefined {
  if (!workerVersioningEnabled(env)) return undefined;
  const deploymentName = env.SYNC_CENTER_DEPLOYMENT_NAME?.trim() || DEFAULT_DEPLOYMENT_NAME;
  if (!BUILD_ID.test(deploymentName) || deploymentName.includes('.')) throw new Error('SYNC_CENTER_DEPLOYMENT_NAME: expected letters, digits, _ + - (no dots)');
  const buildId = env.SYNC_CENTER_BUILD_ID?.trim() || defaultBuildId(bundleCode());
  if (!BUILD_ID.test(buildId)) throw new Error('SYNC_CENTER_BUILD_ID: expected at most 255 letters, digits and . _ + -');
  return { version: { deploymentName, buildId }, useWorkerVersioning: true, defaultVersioningBehavior: 'AUTO_UPGRADE' };
}
