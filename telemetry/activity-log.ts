// Every activity runs with a logger bound to its run and task (telemetry/log.ts activityLog()), and
// writes one structured line when it completes or fails, with its duration. The ids come from the
// run's workflow id (`sync-run:<taskId>:<runId>`, `deletion-approval:<runId>`) or the input's
// `taskId`/`runId`; the input itself is never logged (it may name people), nor are secrets.
import { trace } from '@opentelemetry/api';
import { Context } from '@temporalio/activity';
import { activityLog, rootLogger, runWithLog } from './log';

export interface ActivityIds {
  taskId?: string;
  runId?: string;
}

/** The run and task a workflow id names, for the workflows that carry them in it. */
export function idsOfWorkflow(workflowId: string): ActivityIds {
  const run = /^sync-run:(.+):([^:]+)$/.exec(workflowId);
  if (run) return { taskId: run[1], runId: run[2] };
  const approval = /^deletion-approval:(.+)$/.exec(workflowId);
  if (approval) return { runId: approval[1] };
  const task = /^sync-task:(.+)$/.exec(workflowId);
  return task ? { taskId: task[1] } : {};
}

function inputIds(input: unknown): ActivityIds {
  if (typeof input !== 'object' || input === null) return {};
  const { taskId, runId } = input as { taskId?: unknown; runId?: unknown };
  return { ...(typeof taskId === 'string' ? { taskId } : {}), ...(typeof runId === 'string' ? { runId } : {}) };
}

/** A result worth a log field: a flat object of counts (item counters, plan counts), nothing else. */
function countsOf(result: unknown): Record<string, number> | undefined {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return undefined;
  const entries = Object.entries(result);
  return entries.length > 0 && entries.length <= 20 && entries.every(([, v]) => typeof v === 'number') ? (result as Record<string, number>) : undefined;
}

function currentInfo(): Context['info'] | undefined {
  try {
    return Context.current().info;
  } catch {
    return undefined; // called outside a worker (a test, a script): no activity context
  }
}

/** Wraps one activity so that it logs as described above. */
export function withActivityLog<I, R>(name: string, fn: (input: I) => Promise<R>): (input: I) => Promise<R> {
  return async (input: I) => {
    const info = currentInfo();
    const workflowId = info?.workflowExecution?.workflowId;
    const ids = { ...(workflowId ? idsOfWorkflow(workflowId) : {}), ...inputIds(input) };
    // With tracing on, the activity's span is active here: its trace id lets a line be found from a trace.
    const traceId = trace.getActiveSpan()?.spanContext().traceId;
    const logger = rootLogger().child({ ...ids, activity: name, ...(info ? { attempt: info.attempt } : {}), ...(workflowId ? { workflowId } : {}), ...(traceId ? { traceId } : {}) });
    const started = performance.now();
    return runWithLog(logger, async () => {
      try {
        const result = await fn(input);
        const counts = countsOf(result);
        activityLog().info({ durationMs: Math.round(performance.now() - started), ...(counts ? { result: counts } : {}) }, `${name} completed`);
        return result;
      } catch (err) {
        const e = err as { name?: string; type?: string; message?: string; nonRetryable?: boolean };
        activityLog().warn({ durationMs: Math.round(performance.now() - started), errorType: e.type ?? e.name, error: e.message, nonRetryable: e.nonRetryable ?? false }, `${name} failed`);
        throw err;
      }
    });
  };
}

/** Every function of an activities object wrapped by withActivityLog, under its own name. */
export function withActivityLogs<T extends object>(activities: T): T {
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, withActivityLog(name, fn as (input: unknown) => Promise<unknown>)])) as T;
}
