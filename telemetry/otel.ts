// OpenTelemetry tracing, configured by the standard OTEL_* variables and off when they are unset:
// on when OTEL_TRACES_EXPORTER is `otlp` or `console`, or an OTLP endpoint is given
// (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTLP over HTTP, JSON);
// OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off. The exporter reads its own
// endpoint, headers and timeout variables; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the
// resource (default service.name sync-center). Spans: API requests and webhooks (api/tracing.ts),
// Temporal client calls, workflows and activities (@temporalio/interceptors-opentelemetry), and every
// vendor call (connectors/shared/http.ts).
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, OpenTelemetryWorkflowClientInterceptor, makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';

type Env = Record<string, string | undefined>;

export interface Tracing {
  provider: NodeTracerProvider;
  resource: Resource;
  spanProcessor: SpanProcessor;
  shutdown(): Promise<void>;
}

let installed: Tracing | undefined;

/** Which exporter the environment asks for, or undefined when tracing is off. */
export function tracesExporterFromEnv(env: Env = process.env): 'otlp' | 'console' | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const named = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (named === 'none') return undefined;
  if (named === 'console') return 'console';
  if (named === 'otlp') return 'otlp';
  if (named) throw new Error(`OTEL_TRACES_EXPORTER: expected otlp, console or none (got "${env.OTEL_TRACES_EXPORTER}")`);
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() ? 'otlp' : undefined;
}

/**
 * Registers the global tracer provider once per process (W3C trace context, async-hooks context).
 * `exporter` replaces the environment's choice (tests pass an in-memory one). Returns undefined
 * when tracing is off.
 */
export function startTracing(options: { env?: Env; exporter?: SpanExporter } = {}): Tracing | undefined {
  if (installed) return installed;
  const env = options.env ?? process.env;
  const kind = options.exporter ? 'given' : tracesExporterFromEnv(env);
  if (!kind) return undefined;
  const resource = Resource.default().merge(new Resource({ 'service.name': 'sync-center' })).merge(envDetectorSync.detect() as Resource);
  const spanProcessor: SpanProcessor =
    kind === 'given' ? new SimpleSpanProcessor(options.exporter!) : kind === 'console' ? new SimpleSpanProcessor(new ConsoleSpanExporter()) : new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  installed = { provider, resource, spanProcessor, shutdown: () => provider.shutdown() };
  return installed;
}

export function activeTracing(): Tracing | undefined {
  return installed;
}

/** Temporal client interceptors: starts and signals carry the caller's trace context in their headers. */
export function tracingClientInterceptors(): { workflow: WorkflowClientInterceptor[] } | undefined {
  return installed ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined;
}

/** The workflow interceptor module, bundled with the workflows when tracing is on. */
export const tracingWorkflowModules = (): string[] => (installed ? [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')] : []);

/** Worker options for tracing: activity spans from the headers, the workflow spans' exporter sink. */
export function tracingWorkerOptions(): { activity: ActivityInterceptorsFactory[]; sinks: InjectedSinks<never> } | undefined {
  if (!installed) return undefined;
  const tracing = installed;
  return {
    activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } as unknown as InjectedSinks<never>,
  };
}
