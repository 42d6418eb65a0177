// The common machinery of every vendor fake: a Fastify server with the vendor's routes under its
// prefix, tokens that expire, a per-API rate limiter answering with the vendor's own error,
// injectable faults, and the /__fake control routes.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface FakeRequest {
  method: string;
  /** the path below the vendor prefix, e.g. /department/list */
  path: string;
  /** values of the route's :name segments, e.g. { id: 'od-1' } for /departments/:id */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** the caller's address, for vendors that allow-list client IPs (e-cology) */
  ip: string;
}

export interface FakeReply {
  status?: number;
  body: unknown;
  /** defaults to application/json (body is serialised) */
  contentType?: string;
  headers?: Record<string, string>;
}

export type FakeHandler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

/** Thrown by seed/emit handlers for bad control input: answered 400 with the message. */
export class FakeInputError extends Error {}

/**
 * Runs one step of a seed; the vendor's own refusal (an error `isVendorError` recognises) becomes
 * a FakeInputError naming the record, e.g. "seed: users[3]: 41009 mobile is required".
 */
export function seedStep(what: string, index: number, isVendorError: (err: unknown) => boolean, run: () => void): void {
  try {
    run();
  } catch (err) {
    if (isVendorError(err)) throw new FakeInputError(`seed: ${what}[${index}]: ${(err as Error).message}`);
    throw err;
  }
}

export interface FakeFaults {
  /** the next n API calls get the vendor's rate-limit error */
  rateLimitBurst: number;
  /** the next n API calls get HTTP 500 */
  serverErrors: number;
  /** the next n API calls (of `dropRoute` only, when set) are carried out, then the connection is cut before the answer */
  dropResponses: number;
  /** the route ("METHOD /path" as declared, e.g. "POST /user/create") whose answers dropResponses loses; null: any */
  dropRoute: string | null;
}

/** Thrown after a handler ran to lose its answer: the server cuts the connection instead of replying. */

export interface FakeVendor {
  /** vendor API routes keyed "METHOD /path" below the prefix; a segment ":name" matches any one
   *  non-empty segment, and a static route wins over a patterned one (/users/find_by_department is not /users/:id) */
  routes: Record<string, FakeHandler>;
  /** the vendor's own rate-limit answer */
  rateLimitReply(req: FakeRequest): FakeReply;
  /** the answer to a request for no known route */
  notFoundReply?(req: FakeRequest): FakeReply;
  state(): unknown;
  seed(body: unknown): void;
  /** sends a signed, encrypted event as the vendor would; returns what the receiver answered */
  emit(body: unknown): Promise<unknown>;
  /** invalidates every issued token early */
  revokeTokens(): void;
}

export interface FakeServerOptions {
  port?: number;
  host?: string;
  /** vendor API prefix, e.g. /cgi-bin */
  prefix: string;
  vendor: FakeVendor;
  /** per-API limit, counted per route ("METHOD /path" as declared, so /users/:id is one API);
   *  omit it when the vendor counts calls itself (e.g. one quota shared by several APIs) */
  rateLimit?: { limit: number; windowMs: number };
}

export interface RunningFake {
  url: string;
  baseUrl: string;
  faults: FakeFaults;
  close(): Promise<void>;
}

/** Tokens the fake hands out: random, with a TTL, revocable. */
export class FakeTokenStore {
  private readonly tokens = new Map<string, number>();

  constructor(
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(): { token: string; expiresInSeconds: number } {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, this.now() + this.ttlSeconds * 1000);
    return { token, expiresInSeconds: this.ttlSeconds };
  }

  check(token: string | null | undefined): 'valid' | 'missing' | 'unknown' | 'expired' {
    if (!token) return 'missing';
    const expiresAt = this.tokens.get(token);
    if (expiresAt === undefined) return 'unknown';
    return this.now() < expiresAt ? 'valid' : 'expired';
  }

  revokeAll(): void {
    this.tokens.clear();
  }
}

/** Per-API sliding window the way the vendor counts: a call over the limit is refused, not delayed. */
export class FakeRateLimiter {
  /** per key: the allowed calls' times in order, those before `head` out of the window */
  private readonly calls = new Map<string, { times: number[]; head: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key's calls inside the window, oldest first; O(1) amortised (a 10,000/min limit keeps 10,000 times). */
  private window(key: string, now: number): { times: number[]; head: number } {
    let log = this.calls.get(key);
    if (!log) this.calls.set(key, (log = { times: [], head: 0 }));
    while (log.head < log.times.length && log.times[log.head] <= now - this.windowMs) log.head += 1;
    if (log.head > 1024 && log.head * 2 > log.times.length) {
      log.times = log.times.slice(log.head);
      log.head = 0;
    }
    return log;
  }

  /** true when the call is allowed (and counted) */
  hit(key: string): boolean {
    const now = this.now();
    const log = this.window(key, now);
    const allowed = log.times.length - log.head < this.limit;
    if (allowed) log.times.push(now);
    return allowed;
  }

  /** ms until a call on `key` would be allowed again (0 when it would be now), for reset hints */
  retryAfterMs(key: string): number {
    const now = this.now();
    const log = this.window(key, now);
    return log.times.length - log.head < this.limit ? 0 : Math.max(1, log.times[log.head] + this.windowMs - now);
  }
}

function json(status: number, body: unknown): FakeReply {
  return { status, body };
}

function nonNegativeInt(value: unknown, field: string): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || (value as number) < 0) throw new FakeInputError(`${field} must be a non-negative integer`);
  return value as number;
}

/**
 * Fastify's defaults set the way a vendor answers: strict case, no trailing-slash or duplicate-slash
 * folding, no automatic HEAD routes, no 1 MiB body cap (seeds can be large), no logging. Bodies
 * reach handlers as the raw string of any content type: the fakes check signatures over it and
 * answer a bad JSON body with the vendor's own envelope, never Fastify's 400.
 */
function fakeApp(): FastifyInstance {
  const app = Fastify({
    logger: false,
    disableRequestLogging: true,
    exposeHeadRoutes: false,
    bodyLimit: 256 * 1024 * 1024,
    forceCloseConnections: true,
    routerOptions: { caseSensitive: true, ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 10_000 },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  return app;
}

function toFakeRequest(request: FastifyRequest, path: string, params: Record<string, string> = {}): FakeRequest {
  const url = new URL(request.url, 'http://fake.local');
  return {
    method: request.method,
    path,
    params,
    // URLSearchParams, not Fastify's parsed query: repeated keys stay getAll()-able, values stay strings.
    query: url.searchParams,
    headers: request.headers,
    rawBody: typeof request.body === 'string' ? request.body : '',
    ip: request.ip,
  };
}

function send(reply: FastifyReply, answer: FakeReply): FastifyReply {
  const contentType = answer.contentType ?? 'application/json; charset=utf-8';
  const payload = answer.contentType ? String(answer.body) : JSON.stringify(answer.body);
  return reply
    .code(answer.status ?? 200)
    .headers({ 'content-type': contentType, ...answer.headers })
    .send(payload);
}

export async function startFakeServer(options: FakeServerOptions): Promise<RunningFake> {
  const { vendor, prefix } = options;
  const faults: FakeFaults = { rateLimitBurst: 0, serverErrors: 0, dropResponses: 0, dropRoute: null };
  /** API calls answered (or dropped) per route key, for tests that count what a recovery costs */
  const calls: Record<string, number> = {};
  /** calls the kit's per-API limit refused (the vendor's rate-limit answer), per route key; injected bursts are not counted */
  const rateLimited: Record<string, number> = {};
  const limiter = options.rateLimit && new FakeRateLimiter(options.rateLimit.limit, options.rateLimit.windowMs);
  const app = fakeApp();
  const pathOf = (request: FastifyRequest) => new URL(request.url, 'http://fake.local').pathname;
  const kitNotFound = (request: FastifyRequest) => json(404, { error: `no route ${request.method} ${pathOf(request)}` });
  /** An unknown path below the prefix gets the vendor's own not-found answer; anything else the kit's. */
  const notFound = (request: FastifyRequest): FakeReply => {
    const fullPath = pathOf(request);
    if (!fullPath.startsWith(`${prefix}/`)) return kitNotFound(request);
    return vendor.notFoundReply?.(toFakeRequest(request, fullPath.slice(prefix.length))) ?? kitNotFound(request);
  };

  app.setNotFoundHandler((request, reply) => send(reply, notFound(request)));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof FakeInputError) return send(reply, json(400, { error: error.message }));
    // Fastify's own refusals (a path that is not valid percent-encoding, a malformed content type)
    // are answered as the vendor would answer a path or body it cannot read.
    if (error.code === 'FST_ERR_BAD_URL') return send(reply, notFound(request));
    if (error.statusCode !== undefined && error.statusCode < 500) return send(reply, json(error.statusCode, { error: error.message }));
    return send(reply, json(500, { error: error.message }));
  });

  const controlBody = (request: FastifyRequest) => parseJson(typeof request.body === 'string' ? request.body : '');
  app.get('/__fake/state', (_request, reply) => send(reply, json(200, vendor.state())));
  app.post('/__fake/seed', (request, reply) => {
    vendor.seed(controlBody(request));
    return send(reply, json(200, { ok: true }));
  });
  app.post('/__fake/faults', (request, reply) => {
    const body = controlBody(request);
    if (typeof body !== 'object' || body === null) throw new FakeInputError('faults body must be an object');
    const input = body as Record<string, unknown>;
    faults.rateLimitBurst += nonNegativeInt(input.rateLimitBurst, 'rateLimitBurst');
    faults.serverErrors += nonNegativeInt(input.serverErrors, 'serverErrors');
    faults.dropResponses += nonNegativeInt(input.dropResponses, 'dropResponses');
    if (input.dropRoute !== undefined) {
      if (input.dropRoute !== null && (typeof input.dropRoute !== 'string' || !(input.dropRoute in vendor.routes))) {
        throw new FakeInputError('dropRoute must be null or a route of this fake, e.g. "POST /user/create"');
      }
      faults.dropRoute = input.dropRoute;
    }
    if (input.revokeTokens === true) vendor.revokeTokens();
    return send(reply, json(200, { ok: true, faults }));
  });
  app.get('/__fake/calls', (_request, reply) => send(reply, json(200, { calls, rateLimited })));
  app.post('/__fake/emit', async (request, reply) => send(reply, json(200, { ok: true, response: await vendor.emit(controlBody(request)) })));

  for (const [key, handler] of Object.entries(vendor.routes)) {
    const [method, path] = key.split(' ');
    if (!method || !path?.startsWith('/')) throw new Error(`fake route "${key}" must look like "GET /path"`);
    app.route({
      method,
      url: `${prefix}${path}`,
      handler: async (request, reply) => {
        const params = request.params as Record<string, string>;
        // A vendor's :id is never empty: /departments//children is no route, as a vendor answers it.
        if (Object.values(params).some((value) => value === '')) return send(reply, notFound(request));
        const apiReq = toFakeRequest(request, pathOf(request).slice(prefix.length), { ...params });
        if (faults.serverErrors > 0) {
          faults.serverErrors -= 1;
          return send(reply, { status: 500, body: 'injected server error', contentType: 'text/plain' });
        }
        if (faults.rateLimitBurst > 0) {
          faults.rateLimitBurst -= 1;
          return send(reply, vendor.rateLimitReply(apiReq));
        }
        // Counted per declared route, so /users/:id is one API whatever the id.
        if (limiter && !limiter.hit(key)) {
          rateLimited[key] = (rateLimited[key] ?? 0) + 1;
          return send(reply, vendor.rateLimitReply(apiReq));
        }
        calls[key] = (calls[key] ?? 0) + 1;
        const answer = await handler(apiReq);
        if (faults.dropResponses > 0 && (faults.dropRoute === null || faults.dropRoute === key)) {
          faults.dropResponses -= 1;
          // The write is done; only its answer is lost, as when a connection dies after the vendor committed.
          reply.hijack();
          reply.raw.destroy();
          return reply;
        }
        return send(reply, answer);
      },
    });
  }

  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return { url, baseUrl: `${url}${prefix}`, faults, close: () => app.close() };
}

/** Parses a JSON control or API body; bad JSON is the caller's input error. */
export function parseJson(raw: string): unknown {
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new FakeInputError('body is not valid JSON');
  }
}

/** POSTs (or GETs) to a receiver as a vendor would and reports what it answered. */
export async function deliver(
  url: string,
  init: { method: 'GET' | 'POST'; body?: string; contentType?: string; headers?: Record<string, string> },
): Promise<{ status: number; body: string }> {
  const response = await fetch(url, {
    method: init.method,
    body: init.body,
    // Signed deliveries (e.g. Feishu's X-Lark-* headers) carry their signature in headers.
    headers: { ...init.headers, ...(init.contentType ? { 'content-type': init.contentType } : {}) },
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: await response.text() };
}
