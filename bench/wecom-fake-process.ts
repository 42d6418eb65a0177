// The WeCom fake in its own process for the downstream benchmark, so it does not share an event
// loop with the worker it is measured against. It counts calls per API and reports them over IPC.
import http from 'node:http';
import { startWecomFake } from '../connectors/wecom/fake';

export interface FakeProcessReady {
  type: 'ready';
  baseUrl: string;
  url: string;
}

export interface FakeProcessCounts {
  type: 'counts';
  /** "METHOD /path" → calls received, refused ones included */
  calls: Record<string, number>;
  /** calls answered with WeCom's rate-limit code 45009 */
  rateLimited: number;
}

const calls: Record<string, number> = {};
let rateLimited = 0;

// Counting needs a look at every request and response; the fake has no hook, so the server it
// creates gets one listener before its own (read-only: it never answers).
const createServer = http.createServer.bind(http);
(http as { createServer: typeof http.createServer }).createServer = ((...args: Parameters<typeof http.createServer>) => {
  const server = createServer(...args);
  server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    calls[key] = (calls[key] ?? 0) + 1;
    const write = res.end.bind(res) as (chunk?: unknown, ...rest: unknown[]) => http.ServerResponse;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string' && chunk.includes('"errcode":45009')) rateLimited += 1;
      return write(chunk, ...rest);
    }) as typeof res.end;
  });
  return server;
}) as typeof http.createServer;

async function main(): Promise<void> {
  const corpId = process.env.BENCH_WECOM_CORP_ID;
  const corpSecret = process.env.BENCH_WECOM_CORP_SECRET;
  if (!corpId || !corpSecret || !process.send) throw new Error('wecom-fake-process: start it from bench/downstream.ts (needs IPC and the corp credentials)');
  const rateLimitPerMinute = Number(process.env.BENCH_WECOM_RATE_PER_MINUTE ?? 10_000);
  const fake = await startWecomFake({ port: 0, host: '127.0.0.1', corpId, corpSecret, rateLimitPerMinute });
  process.on('message', (message: unknown) => {
    if (message === 'counts') process.send?.({ type: 'counts', calls, rateLimited } satisfies FakeProcessCounts);
    if (message === 'stop') void fake.close().then(() => process.exit(0));
  });
  process.send({ type: 'ready', baseUrl: fake.baseUrl, url: fake.url } satisfies FakeProcessReady);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
