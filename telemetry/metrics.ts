// Prometheus metrics of this process (prom-client), served at /metrics by the API and, for a worker
// of its own, on SYNC_CENTER_WORKER_METRICS_PORT. Counters here move in the process that does the
// work (items, vendor calls, rate-limit waits, real-time latency); the database-wide gauges (runs,
// pending deletions, inbox backlog) are collected at scrape time (api/metrics.ts).
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'sync_center_process_' });

export const runsFinished = new Counter({
  name: 'sync_center_runs_finished_total',
  help: 'Runs this process finished, by task, final status and trigger',
  labelNames: ['task', 'status', 'trigger'] as const,
  registers: [metricsRegistry],
});

export const itemsApplied = new Counter({
  name: 'sync_center_items_total',
  help: 'Plan items applied, by action (CreateUser, MoveDepartment, …) and outcome (succeeded, failed, skipped)',
  labelNames: ['action', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const vendorRequests = new Counter({
  name: 'sync_center_vendor_requests_total',
  help: 'Vendor API calls, by connector, API (the path, ids replaced by :id) and result: the vendor\'s verdict, envelope code included (ok, refused, rate_limited, auth_failed, transport_error, blocked)',
  labelNames: ['connector', 'api', 'result'] as const,
  registers: [metricsRegistry],
});

export const vendorRequestSeconds = new Histogram({
  name: 'sync_center_vendor_request_duration_seconds',
  help: 'Latency of vendor API calls, by connector and API',
  labelNames: ['connector', 'api'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
});

export const rateLimitWaits = new Counter({
  name: 'sync_center_rate_limit_waits_total',
  help: 'Rate-limit waits, by connector and cause: window (a call waited for room in the client-side window) or vendor (a rate-limit answer paused every call)',
  labelNames: ['connector', 'cause'] as const,
  registers: [metricsRegistry],
});

export const rateLimitWaitSeconds = new Counter({
  name: 'sync_center_rate_limit_wait_seconds_total',
  help: 'Seconds of rate-limit waits, by connector and cause (window: waited; vendor: the pause the vendor asked for)',
  labelNames: ['connector', 'cause'] as const,
  registers: [metricsRegistry],
});

export const realtimeLatencySeconds = new Histogram({
  name: 'sync_center_realtime_latency_seconds',
  help: 'Real-time runs: from the oldest change event the run carried (its webhook receipt) to the run finishing, by task',
  labelNames: ['task'] as const,
  buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
  registers: [metricsRegistry],
});

/** A path as a metric label: segments that look like ids (digits, vendor id prefixes, long tokens, emails) become :id. */
export function apiLabel(pathname: string): string {
  const segments = pathname.split('/').map((s) => {
    if (s === '') return s;
    // v2, v1.0 (versions) and a word ending in one digit (oauth2, scim2) are names, not ids
    if (/\d/.test(s) && !/^v\d+(\.\d+)?$/.test(s) && !/^[a-z]{3,}\d$/i.test(s)) return ':id';
    if (/^(od|ou|on|oc)[-_]/.test(s) || s.includes('@') || s.length > 32) return ':id';
    return s;
  });
  return segments.join('/') || '/';
}
