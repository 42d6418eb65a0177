/**
 * OpenTelemetry end to end (an in-memory exporter instead of OTEL_*): a WeCom change callback to the
 * API's webhook starts a trace; its span is the parent of the real-time signal to the task's
 * workflow, which starts the run inside the trigger's context; the run's activities and every vendor
 * call they make (WeCom's user/get for the changed person) are in the same trace, each span a
 * descendant of the webhook request's. The same real-time run feeds the real-time latency metric.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import type { Database } from '../../db/client';
import { metricsRegistry } from '../../telemetry/metrics';
import { startTracing, tracingWorkflowModules } from '../../telemetry/otel';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { eventually } from '../../workflows/testing/in-memory-activities';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { quietTemporalLogs } from './harness';
import { RealtimeStack, wecomCredentials } from './realtime-stack';

jest.setTimeout(120_000);

const exporter = new InMemorySpanExporter();
let env: TestWorkflowEnvironment;
let database: Database;
let stack: RealtimeStack;

beforeAll(async () => {
  quietTemporalLogs();
  startTracing({ exporter });
  const [e, bundle, db] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows({ workflowInterceptorModules: tracingWorkflowModules() }), openTestDatabase('postgres')]);
  [env, database] = [e, db];
  stack = await new RealtimeStack({ env, bundle, database, tracing: true }).start();
  const seeded = await fetch(`${stack.wecom.url}/__fake/seed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      department: [{ id: 1, name: 'Acme', parentid: 0 }, { id: 2, name: 'Engineering', parentid: 1 }],
      userlist: [{ userid: 'alice', name: 'Alice Wang', department: [2], email: 'alice@acme.test', mobile: '13800000001', position: 'CTO' }],
    }),
  });
  expect(seeded.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await stack?.close();
  await database?.close();
  await env?.teardown();
});

const hex = (id: string | undefined) => id ?? '';

/** The chain of span names from `span` up to the root of its trace, as far as the exporter has them. */
function ancestry(span: ReadableSpan, all: ReadableSpan[]): ReadableSpan[] {
  const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
  const chain = [span];
  for (let parent = hex(span.parentSpanId); parent && byId.has(parent); parent = hex(byId.get(parent)!.parentSpanId)) chain.push(byId.get(parent)!);
  return chain;
}

test('a trace links the webhook request to the downstream vendor call', async () => {
  // The person exists in WeCom; its change callback arrives at the webhook.
  await stack.wecomApi('/user/create', { userid: 'carol', name: 'Carol Zhang', email: 'carol@acme.test', mobile: '13800000003', position: 'Engineer', department: [2] });
  exporter.reset();
  const answer = await stack.emitWecom({ ChangeType: 'create_user', UserID: 'carol' });
  expect(answer.status).toBe(200);

  const spans = () => exporter.getFinishedSpans();
  const webhook = await eventually(async () => spans().find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /api/v1/webhooks/:taskId'), 'the webhook request span');
  const traceId = webhook!.spanContext().traceId;
  // The upstream run's read of the changed person, and the run's own workflow span.
  const userGet = await eventually(
    async () => spans().find((s) => s.spanContext().traceId === traceId && s.kind === SpanKind.CLIENT && s.attributes['sync_center.connector'] === 'wecom' && s.attributes['sync_center.vendor_api'] === '/cgi-bin/user/get'),
    'the WeCom user/get span in the webhook trace',
    60_000,
  );
  await eventually(async () => spans().some((s) => s.spanContext().traceId === traceId && s.name === 'RunWorkflow:syncRunWorkflow'), 'the run workflow span');

  const chain = ancestry(userGet!, spans()).map((s) => s.name);
  expect(chain[chain.length - 1]).toBe('POST /api/v1/webhooks/:taskId');
  expect(chain).toEqual(expect.arrayContaining(['SignalWithStartWorkflow:syncTaskWorkflow', 'HandleSignal:trigger', 'StartChildWorkflow:syncRunWorkflow', 'RunWorkflow:syncRunWorkflow', 'StartActivity:realtimeRun', 'RunActivity:realtimeRun']));
  // No span carries a secret or a raw URL (the corp secret and access tokens travel in queries).
  const dump = JSON.stringify(spans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })));
  expect(dump).not.toContain(wecomCredentials.corpSecret);
  expect(dump).not.toContain('access_token');
});

test('the real-time run is measured from the webhook receipt to its end (sync_center_realtime_latency_seconds)', async () => {
  const text = await eventually(async () => {
    const body = await metricsRegistry.getSingleMetricAsString('sync_center_realtime_latency_seconds');
    return new RegExp(`_count\\{task="${stack.upstreamId}"\\} [1-9]`).test(body) ? body : undefined;
  }, 'a real-time latency sample of the upstream task');
  const sum = Number(new RegExp(`_sum\\{task="${stack.upstreamId}"\\} (\\S+)`).exec(text!)![1]);
  expect(sum).toBeGreaterThan(0);
  expect(sum).toBeLessThan(60);
});
