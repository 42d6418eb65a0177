// The REST API (v1): Fastify with zod schemas on every route, OpenAPI at /docs, bearer-token auth.
// To add a resource: write a plugin typed `ApiRoutePlugin` under api/routes/ and append it to
// `apiRoutePlugins` (or pass it to `registerRoutes`); it is mounted under /api/v1 behind authentication.
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Database } from '../db/client';
import type { SecretBox } from '../db/secret-box';
import type { TaskConfigOptions } from '../engine/task-config';
import { createApiTokens, type ApiTokens } from '../db/repos/api-tokens';
import { createAuditLog, type AuditLog } from '../db/repos/audit-log';
import { createHubDirectory, type ChangeListener, type HubDirectory } from '../db/repos/hub-directory';
import { installAuthentication, roleCheckOf, type Role } from './auth';
import { installConsole } from './console';
import { installErrorHandling } from './errors';
import { installInputGuards } from './input-guards';
import { installMetricsRoute } from './metrics';
import { installRequestTracing } from './tracing';
import { scimPrefix, scimRoutes } from './scim/routes';
import { connectorKindRoutes } from './routes/connector-catalog';
import { departmentRoutes } from './routes/departments';
import { mappingPreviewRoutes } from './routes/mapping-preview';
import { meRoutes } from './routes/me';
import { defaultRateLimits, installRateLimits, type AuthFailureLimiter, type RateLimitSettings } from './rate-limit';
import { healthRoutes, readinessRoutes } from './routes/health';
import { auditRoutes } from './routes/audit';
import { notificationChannelRoutes } from './routes/notification-channels';
import { pendingDeletionRoutes } from './routes/pending-deletions';
import { runRoutes } from './routes/runs';
import { syncTaskRoutes } from './routes/sync-tasks';
import { tokenRoutes } from './routes/tokens';
import { userRoutes } from './routes/users';
import type { TemporalControl } from './temporal-control';
import { webhookRoutes } from './routes/webhooks';
import type { RealtimeSignaller } from './webhooks/realtime-signal';

export interface ApiDeps {
  database: Database;
  /** SYNC_CENTER_ADMIN_TOKEN bootstrap: accepted as role admin, actor 'bootstrap-admin' */
  adminToken?: string;
  /** throws when Temporal is unreachable */
  checkTemporal: () => Promise<void>;
  /** hub writes (with their actor, the runs' requester) for real-time downstream triggers */
  onHubChange?: ChangeListener;
  /** fastify logger option; default false */
  logger?: boolean | object;
  /** seals connector secrets (SYNC_CENTER_SECRET_KEY); without it the sync-task routes answer 503 */
  secretBox?: SecretBox;
  /** drives task workflows, Schedules, runs and approvals; without it those routes answer 503 */
  temporal?: TemporalControl;
  /** the API's public origin (SYNC_CENTER_PUBLIC_URL), so a task's webhookUrl is absolute; without it the URL is a path */
  publicUrl?: string;
  /** real-time triggers for webhooks (api/webhooks/realtime-signal.ts); without it webhook events answer 503 */
  realtime?: RealtimeSignaller;
  /** connectors/registry's settings checks (allowed hosts, import directory): 400 on save */
  connectorSettingsIssues?: TaskConfigOptions['connectorSettingsIssues'];
  /** run exports (CSV/XLSX) streaming at once; more answer 429 with Retry-After; default 2 */
  exportsAtOnce?: number;
  /** request rate limits (api/rate-limit.ts); default `defaultRateLimits`, on */
  rateLimits?: RateLimitSettings;
  /** SYNC_CENTER_METRICS_TOKEN: when set, GET /metrics needs it as a bearer token */
  metricsToken?: string;
  /** the web console's built bundle, served at /console (api/console.ts); default console/dist */
  consoleDir?: string;
}

/** What route plugins get: the deps as given and the repositories built from them once. */
export interface ApiServices {
  hub: HubDirectory;
  tokens: ApiTokens;
  audit: AuditLog;
}

export interface ApiRouteOptions {
  deps: ApiDeps;
  services: ApiServices;
  /** set when rate limits are on: failed authentications are counted per IP */
  authFailures?: AuthFailureLimiter;
}

export type ApiRoutePlugin = FastifyPluginAsyncZod<ApiRouteOptions>;

export const apiPrefix = '/api/v1';

export const apiRoutePlugins: ApiRoutePlugin[] = [healthRoutes, readinessRoutes, meRoutes, connectorKindRoutes, departmentRoutes, userRoutes, tokenRoutes, syncTaskRoutes, mappingPreviewRoutes, runRoutes, pendingDeletionRoutes, webhookRoutes, notificationChannelRoutes, auditRoutes];

// Authorization headers (and cookies) never reach a log line, whatever the caller's logger options.
const redactedPaths = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'];

export function loggerOption(logger: ApiDeps['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  const base = (logger === true ? {} : logger) as { redact?: string[] | { paths: string[] } };
  const extra = Array.isArray(base.redact) ? base.redact : (base.redact?.paths ?? []);
  return { ...base, redact: { paths: [...redactedPaths, ...extra], censor: '[redacted]' } };
}

/** One registered route as authorization sees it (api/rbac-matrix.test.ts checks every one). */
export interface RouteEntry {
  method: string;
  url: string;
  /** config.public: no bearer token needed */
  public: boolean;
  /** the roles its requireRole check lets through besides admin; undefined: no role check */
  roles?: readonly Role[];
}

const routeTables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route `buildApi` registered, in order (HEAD twins of GET routes left out). */
export function registeredRoutes(app: FastifyInstance): readonly RouteEntry[] {
  return routeTables.get(app) ?? [];
}

/** Mounts `plugins` under /api/v1 in one scope that authenticates every non-public route. */
export async function registerRoutes(app: FastifyInstance, plugins: ApiRoutePlugin[], options: ApiRouteOptions): Promise<void> {
  await app.register(
    async (scope) => {
      installAuthentication(scope, { tokens: options.services.tokens, adminToken: options.deps.adminToken, failureLimiter: options.authFailures });
      for (const plugin of plugins) await scope.register(plugin, options);
    },
    { prefix: apiPrefix },
  );
}

export async function buildApi(deps: ApiDeps, plugins: ApiRoutePlugin[] = apiRoutePlugins): Promise<FastifyInstance> {
  // Ids may be 128 characters (api/schemas.ts) and webhook task ids 200; fastify's default of 100
  // would answer 414 for an id the API itself accepted on create.
  const app = Fastify({ logger: loggerOption(deps.logger), maxParamLength: 256 });
  const routes: RouteEntry[] = [];
  routeTables.set(app, routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue; // fastify's automatic twin of a GET route
      routes.push({ method, url: route.url, public: route.config?.public === true, roles: roleCheckOf(route.onRequest) ?? roleCheckOf(route.preHandler) });
    }
  });
  // First hook of all: the request's span is the context every later hook and handler runs in.
  installRequestTracing(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  installInputGuards(app);

  const db = deps.database.db;
  const services: ApiServices = {
    hub: createHubDirectory(db, {
      onChange: deps.onHubChange,
      onChangeError: (err, events) => app.log.error({ err, events: events.length }, 'hub change listener failed'),
    }),
    tokens: createApiTokens(db),
    audit: createAuditLog(db),
  };

  // Before any route: the limiter attaches itself to routes as they are added.
  const authFailures = await installRateLimits(app, deps.rateLimits ?? defaultRateLimits);

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Sync Center API', version: '1.0.0', description: 'Hub directory, sync tasks, runs and approvals.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await registerRoutes(app, plugins, { deps, services, authFailures });
  // SCIM 2.0 at /scim/v2 (what Okta and Entra are given as the tenant URL), its own auth scope and error bodies.
  await app.register(async (scope) => scimRoutes(scope, { deps, services, authFailures }), { prefix: scimPrefix });
  // Probes (docker, k8s) look for /healthz at the root; it is the same public liveness answer as /api/v1/healthz.
  await app.register(healthRoutes, { deps, services });
  // Prometheus scrapes /metrics at the root (outside /api/v1 and its tokens).
  installMetricsRoute(app, { database: deps.database, token: deps.metricsToken });
  await installConsole(app, deps.consoleDir);
  return app;
}
