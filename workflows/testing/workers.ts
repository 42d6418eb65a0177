/** Runs test bodies against a worker with in-memory activities on its own task queue. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { SEARCH_ATTRIBUTE_KEYS } from '../definitions';
import type { InMemoryActivities } from './in-memory-activities';

let sequence = 0;

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

/** Bundle once per test file: bundling takes seconds, and every worker of the file shares it. */
export function bundleSyncWorkflows(options: { workflowInterceptorModules?: string[] } = {}): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: require.resolve('../index'), logger: quietLogger, workflowInterceptorModules: options.workflowInterceptorModules });
}

export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  workflowBundle: WorkflowBundleWithSourceMap,
  memory: InMemoryActivities,
  body: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `sync-test-${process.pid}-${++sequence}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, activities: memory.activities });
  return worker.runUntil(body(taskQueue));
}

/**
 * The time-skipping server starts without our search attributes, and the workflows' upserts
 * would fail every workflow task: register them as the dev server does at start.
 */
export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const searchAttributes = Object.fromEntries(SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!]));
  await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes });
}
