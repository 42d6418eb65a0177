// OpenTelemetry spans of our own (API requests, webhooks, vendor calls). Without a tracer provider
// (OTEL_* unset, telemetry/otel.ts) the API's tracer is a no-op, so this costs nothing when off.
import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';

export const tracerName = 'sync-center';

const tracer = () => trace.getTracer(tracerName);

export interface VendorSpan {
  setStatus(httpStatus: number): void;
  fail(code: string): void;
}

/** A client span around one vendor call. Only the API label goes in (never the URL: keys and tokens travel in queries). */
export function vendorCallSpan<T>(call: { connector: string; api: string; method: string }, fn: (span: VendorSpan) => Promise<T>): Promise<T> {
  const attributes: Attributes = { 'sync_center.connector': call.connector, 'sync_center.vendor_api': call.api, 'http.request.method': call.method };
  return tracer().startActiveSpan(`${call.connector} ${call.method} ${call.api}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn({
        setStatus(status) {
          span.setAttribute('http.response.status_code', status);
          if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
        },
        fail(code) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        },
      });
    } finally {
      span.end();
    }
  });
}
