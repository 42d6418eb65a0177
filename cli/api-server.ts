// Wires the REST API to this process's database and Temporal, and listens. The one place where
// ApiDeps are assembled, for both `start` and `api`.
import { startTracing, tracingClientInterceptors } from '../telemetry/otel';
import { Client, Connection } from '@temporalio/client';
import type { Database } from '../db/client';
import { createSecretBox } from '../db/secret-box';
import type { RateLimitSettings } from '../api/rate-limit';
import { buildApi } from '../api/server';
import { createTemporalControl } from '../api/temporal-control';
import { createHubFanout } from '../api/hub-fanout';
import { startHubOutboxDrainer } from '../api/hub-outbox-drain';
import { startWebhookInboxDrainer } from '../api/webhooks/inbox-drain';
import { createRealtimeSignaller } from '../api/webhooks/realtime-signal';
import { connectorSettingsIssues } from '../connectors/registry';
import { checkTemporal } from './temporal-health';
import { metricsTokenFromEnv } from '../telemetry/metrics-access';

export interface ApiServerOptions {
  database: Database;
  adminToken?: string;
  /** seals connector secrets of new sync tasks; without it the sync-task routes answer 503 */
  secretKey?: Buffer;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  host: string;
  port: number;
  /** public origin for tasks' webhook URLs; default SYNC_CENTER_PUBLIC_URL */
  publicUrl?: string;
  /** default: api/rate-limit.ts defaults (on) */
  rateLimits?: RateLimitSettings;
  /** fastify logger option; `start` keeps it to warnings */
  logger?: boolean | object;
}

export interface RunningApiServer {
  url: string;
  docsUrl: string;
  /** the web console (api/console.ts) */
  consoleUrl: string;
  healthUrl: string;
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const publicUrl = options.publicUrl ?? process.env.SYNC_CENTER_PUBLIC_URL;
  if (publicUrl !== undefined && publicUrl !== '' && !/^https?:\/\/[^\s/@]+(\/[^\s]*)?$/.test(publicUrl)) {
    throw new Error(`SYNC_CENTER_PUBLIC_URL must be an http(s) origin such as https://sync.example.com (got "${publicUrl}")`);
  }
  // Lazy: the API comes up even while Temporal is down, and /healthz says so.
  const temporal = Connection.lazy({ address: options.temporalAddress });
  startTracing();
  const client = new Client({ connection: temporal, namespace: options.namespace, interceptors: tracingClientInterceptors() });
  // Real time: webhooks and hub API writes signal task workflows (api/webhooks, api/hub-fanout).
  const realtime = createRealtimeSignaller(client, { taskQueue: options.taskQueue });
  const onHubChange = createHubFanout({ database: options.database, signaller: realtime, onError: (err) => app.log.warn({ err }, 'hub change fan-out failed') });
  const app = await buildApi({
    database: options.database,
    adminToken: options.adminToken,
    checkTemporal: () => checkTemporal(temporal, options.namespace),
    logger: options.logger ?? { level: 'warn' },
    secretBox: options.secretKey ? createSecretBox(options.secretKey) : undefined,
    temporal: createTemporalControl(client, { taskQueue: options.taskQueue }),
    realtime,
    onHubChange,
    publicUrl: publicUrl || undefined,
    rateLimits: options.rateLimits,
    connectorSettingsIssues,
    metricsToken: metricsTokenFromEnv(),
  });
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await app.close();
    await temporal.close();
    throw new Error(`the API could not listen on ${options.host}:${options.port}: ${(err as Error).message}`);
  }
  // Webhook events stored but never signalled (a crash, Temporal away) are signalled now and every 30 s.
  const inboxDrainer = startWebhookInboxDrainer({ database: options.database, signaller: realtime, onError: (err) => app.log.warn({ err }, 'webhook inbox drain failed') });
  // Hub changes whose fan-out never happened (a crash after commit, Temporal away) are delivered from the outbox.
  const outboxDrainer = startHubOutboxDrainer({ database: options.database, signaller: realtime, onError: (err) => app.log.warn({ err }, 'hub change outbox drain failed') });
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${options.port}`;
  // docs/design.md puts health at /healthz; follow wherever the API actually mounts it.
  const healthPath = app.hasRoute({ method: 'GET', url: '/healthz' }) ? '/healthz' : '/api/v1/healthz';
  return {
    url,
    docsUrl: `${url}/docs`,
    consoleUrl: `${url}/console`,
    healthUrl: `${url}${healthPath}`,
    async close() {
      await app.close();
      await inboxDrainer.stop();
      await outboxDrainer.stop();
      await onHubChange.flush();
      await temporal.close();
    },
  };
}
