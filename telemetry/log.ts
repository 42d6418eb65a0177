// Structured activity logs (pino, as Fastify logs): every line an activity writes carries its run and
// task ids, bound by the worker's activity interceptor (telemetry/activity-context.ts). Secrets never
// reach a line: known secret fields are redacted wherever they appear.
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Field names redacted at any depth of a logged object (values of connector and channel secrets). */
export const redactedLogPaths = ['secrets', '*.secrets', 'password', '*.password', 'signingSecret', '*.signingSecret', 'webhookUrl', '*.webhookUrl', 'authorization', '*.authorization', 'token', '*.token'];

let base: Logger | undefined;

/** JSON lines to `destination` (default stdout) at `level` (default SYNC_CENTER_LOG_LEVEL, else info), secrets redacted. */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  const settings = { name: 'sync-center', level: options.level ?? process.env.SYNC_CENTER_LOG_LEVEL ?? 'info', redact: { paths: redactedLogPaths, censor: '[redacted]' } };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** The process's root logger (createLogger's defaults). */
export function rootLogger(): Logger {
  base ??= createLogger();
  return base;
}

/** Replaces the root logger (tests capture lines with a destination stream). */
export function setRootLogger(logger: Logger): void {
  base = logger;
}

const current = new AsyncLocalStorage<Logger>();

/** The logger of the running activity (with its runId, taskId, activity and attempt), else the root one. */
export function activityLog(): Logger {
  return current.getStore() ?? rootLogger();
}

export function runWithLog<T>(logger: Logger, fn: () => T): T {
  return current.run(logger, fn);
}
