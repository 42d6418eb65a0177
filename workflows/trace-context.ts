// The trace of the trigger that asked for a run: a real-time run starts after a debounce, outside the
// signal's handler, so the handler's trace context (set by @temporalio/interceptors-opentelemetry
// when tracing is on) is kept here, in memory only (never in history or a payload), and the run's
// child workflow is started inside it: the webhook's trace then reaches the run's vendor calls.
// Without the OpenTelemetry interceptors the context is the root one and this changes nothing.
import { context, type Context } from '@opentelemetry/api';

export type TraceContext = Context;

export const currentTraceContext = (): TraceContext => context.active();

export function withTraceContext<T>(ctx: TraceContext | undefined, fn: () => T): T {
  return ctx ? context.with(ctx, fn) : fn();
}
