// GET /metrics (Prometheus text format): this process's metrics (telemetry/metrics.ts) plus gauges
// read from the database at scrape time, which hold for the whole deployment whichever process does
// the work: runs by task, status and trigger; pending deletions by task; the webhook inbox backlog.
// Who may scrape: telemetry/metrics-access.ts (the bearer SYNC_CENTER_METRICS_TOKEN when set, else
// this host only), the same rule as a worker's own metrics port.
import { count, isNull, min, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { Gauge, Registry } from 'prom-client';
import type { Database } from '../db/client';
import { pendingDeletions, syncRuns, webhookInbox } from '../db/schema';
import { metricsRegistry } from '../telemetry/metrics';
import { forwardedByProxy, metricsAccess } from '../telemetry/metrics-access';
import { ApiError } from './errors';

function databaseGauges(database: Database): Registry {
  const registry = new Registry();
  const db = () => database.db;
  new Gauge({
    name: 'sync_center_runs',
    help: 'Runs stored, by task, status and trigger (a run moves from running to its final status)',
    labelNames: ['task', 'status', 'trigger'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db().select({ task: syncRuns.taskId, status: syncRuns.status, trigger: syncRuns.trigger, n: count() }).from(syncRuns).groupBy(syncRuns.taskId, syncRuns.status, syncRuns.trigger);
      for (const r of rows) this.set({ task: r.task, status: r.status, trigger: r.trigger }, r.n);
    },
  });
  new Gauge({
    name: 'sync_center_pending_deletions',
    help: 'Staged deletions (and guard-held changes) waiting for an approver, by task',
    labelNames: ['task'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const rows = await db().select({ task: pendingDeletions.taskId, n: count() }).from(pendingDeletions).where(sql`${pendingDeletions.status} = 'PENDING'`).groupBy(pendingDeletions.taskId);
      for (const r of rows) this.set({ task: r.task }, r.n);
    },
  });
  const backlog = new Gauge({
    name: 'sync_center_webhook_inbox_backlog',
    help: 'Accepted vendor change events not yet handed to their task workflow',
    registers: [registry],
    async collect() {
      const [row] = await db().select({ n: count(), oldest: min(webhookInbox.receivedAt) }).from(webhookInbox).where(isNull(webhookInbox.signalledAt));
      this.set(row?.n ?? 0);
      oldestAge.set(row?.oldest ? Math.max(0, (Date.now() - new Date(row.oldest).getTime()) / 1000) : 0);
    },
  });
  const oldestAge = new Gauge({ name: 'sync_center_webhook_inbox_oldest_seconds', help: 'Age of the oldest change event in the inbox backlog (0 when empty)', registers: [registry] });
  void backlog;
  return registry;
}

export function installMetricsRoute(app: FastifyInstance, options: { database: Database; token?: string }): void {
  const gauges = databaseGauges(options.database);
  const access = metricsAccess(options.token);
  app.get('/metrics', { config: { public: true }, schema: { hide: true } }, async (request, reply) => {
    const refused = access({
      authorization: request.headers.authorization,
      remoteAddress: request.socket.remoteAddress,
      forwarded: forwardedByProxy(request.headers),
    });
    if (refused) throw new ApiError(refused.status, refused.code, refused.message);
    const merged = Registry.merge([metricsRegistry, gauges]);
    return reply.type(merged.contentType).send(await merged.metrics());
  });
}
