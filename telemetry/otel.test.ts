// Tracing from the standard OTEL_* variables: off when unset, and with an OTLP endpoint the spans
// reach it (OTLP over HTTP, JSON) with the resource's service name.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTracing, tracesExporterFromEnv } from './otel';
import { vendorCallSpan } from './tracing';

test('the exporter comes from OTEL_* and is off when they are unset', () => {
  expect(tracesExporterFromEnv({})).toBeUndefined();
  expect(tracesExporterFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('otlp');
  expect(tracesExporterFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe('otlp');
  expect(tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'console' })).toBe('console');
  expect(tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeUndefined();
  expect(tracesExporterFromEnv({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBeUndefined();
  expect(() => tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow('OTEL_TRACES_EXPORTER');
  expect(startTracing({ env: {} })).toBeUndefined();
});

test('with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT the spans are exported there', async () => {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const saved = { ...process.env };
  try {
    Object.assign(process.env, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, OTEL_SERVICE_NAME: 'sync-center-test' });
    const tracing = startTracing();
    expect(tracing).toBeDefined();
    await vendorCallSpan({ connector: 'wecom', api: '/cgi-bin/user/get', method: 'GET' }, async (span) => span.setStatus(200));
    await tracing!.provider.forceFlush();
    const sent = bodies.join('\n');
    expect(sent).toContain('wecom GET /cgi-bin/user/get');
    expect(sent).toContain('sync-center-test');
    await tracing!.shutdown();
  } finally {
    process.env = saved;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
