// OpenTelemetry spans of our own (API requests, webhooks, vendor calls). Without a tracer provider
// (OTEL_* unset, telemetry/otel.ts) the API's tracer is a no-op, so this costs nothing when off.
import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';

export const tracerName = 'sync-center';

const tracer = () => trace.getTracer(tracerName);

export interface VendorSpan {
  setStatus(httpStatus: number): void;
  /** the call's result class (metrics' result label) and the vendor's own code; anything but ok marks the span an error */
  outcome(result: string, vendorCode?: string): void;
}

/**
 * A client span around one vendor call. Only the API label goes in (never the URL: keys and tokens
 * travel in queries; never an LDAP DN: it names a person). method: the HTTP method, absent for LDAP.
 */
export function vendorCallSpan<T>(call: { connector: string; api: string; method?: string }, fn: (span: VendorSpan) => Promise<T>): Promise<T> {
  const attributes: Attributes = { 'sync_center.connector': call.connector, 'sync_center.vendor_api': call.api, ...(call.method ? { 'http.request.method': call.method } : {}) };
  return tracer().startActiveSpan(call.method ? `${call.connector} ${call.method} ${call.api}` : `${call.connector} ${call.api}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn({
        setStatus(status) {
          span.setAttribute('http.response.status_code', status);
        },
        outcome(result, vendorCode) {
          span.setAttribute('sync_center.vendor_result', result);
          if (vendorCode !== undefined) span.setAttribute('sync_center.vendor_code', vendorCode);
          if (result !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: vendorCode ? `${result} ${vendorCode}` : result });
        },
      });
    } finally {
      span.end();
    }
  });
}
