// The common machinery of every vendor fake: an HTTP server, tokens that expire, a per-API rate
// limiter answering with the vendor's own error, injectable faults, and the /__fake control routes.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
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
class DroppedResponse extends Error {}

export interface FakeVendor {
  /** vendor API routes keyed "METHOD /path" below the prefix; a segment ":name" matches any one segment */
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
  private readonly calls = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** true when the call is allowed (and counted) */
  hit(key: string): boolean {
    const now = this.now();
    const log = (this.calls.get(key) ?? []).filter((t) => t > now - this.windowMs);
    const allowed = log.length < this.limit;
    if (allowed) log.push(now);
    this.calls.set(key, log);
    return allowed;
  }

  /** ms until a call on `key` would be allowed again (0 when it would be now), for reset hints */
  retryAfterMs(key: string): number {
    const log = (this.calls.get(key) ?? []).filter((t) => t > this.now() - this.windowMs);
    return log.length < this.limit ? 0 : Math.max(1, log[0] + this.windowMs - this.now());
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

export async function startFakeServer(options: FakeServerOptions): Promise<RunningFake> {
  const { vendor, prefix } = options;
  const faults: FakeFaults = { rateLimitBurst: 0, serverErrors: 0, dropResponses: 0, dropRoute: null };
  /** API calls answered (or dropped) per route key, for tests that count what a recovery costs */
  const calls: Record<string, number> = {};
  const limiter = options.rateLimit && new FakeRateLimiter(options.rateLimit.limit, options.rateLimit.windowMs);
  const routeTable = compileRoutes(vendor.routes);

  const control: Record<string, (req: FakeRequest) => Promise<FakeReply> | FakeReply> = {
    'GET /__fake/state': () => json(200, vendor.state()),
    'POST /__fake/seed': (req) => {
      vendor.seed(parseJson(req.rawBody));
      return json(200, { ok: true });
    },
    'POST /__fake/faults': (req) => {
      const body = parseJson(req.rawBody);
      if (typeof body !== 'object' || body === null) throw new FakeInputError('faults body must be an object');
      const input = body as Record<string, unknown>;
      faults.rateLimitBurst += nonNegativeInt(input.rateLimitBurst, 'rateLimitBurst');
      faults.serverErrors += nonNegativeInt(input.serverErrors, 'serverErrors');
      faults.dropResponses += nonNegativeInt(input.dropResponses, 'dropResponses');
      if (input.dropRoute !== undefined) {
        if (input.dropRoute !== null && (typeof input.dropRoute !== 'string' || !routeTable.some((r) => r.key === input.dropRoute))) {
          throw new FakeInputError('dropRoute must be null or a route of this fake, e.g. "POST /user/create"');
        }
        faults.dropRoute = input.dropRoute;
      }
      if (input.revokeTokens === true) vendor.revokeTokens();
      return json(200, { ok: true, faults });
    },
    'GET /__fake/calls': () => json(200, { calls }),
    'POST /__fake/emit': async (req) => json(200, { ok: true, response: await vendor.emit(parseJson(req.rawBody)) }),
  };

  async function route(req: FakeRequest, fullPath: string): Promise<FakeReply> {
    const controlHandler = control[`${req.method} ${fullPath}`];
    if (controlHandler) return controlHandler(req);
    if (!fullPath.startsWith(`${prefix}/`)) return json(404, { error: `no route ${req.method} ${fullPath}` });
    const apiReq: FakeRequest = { ...req, path: fullPath.slice(prefix.length) };
    const match = matchRoute(routeTable, req.method, apiReq.path);
    if (!match) return vendor.notFoundReply?.(apiReq) ?? json(404, { error: `no route ${req.method} ${fullPath}` });
    apiReq.params = match.params;
    if (faults.serverErrors > 0) {
      faults.serverErrors -= 1;
      return { status: 500, body: 'injected server error', contentType: 'text/plain' };
    }
    if (faults.rateLimitBurst > 0) {
      faults.rateLimitBurst -= 1;
      return vendor.rateLimitReply(apiReq);
    }
    if (limiter && !limiter.hit(match.key)) return vendor.rateLimitReply(apiReq);
    calls[match.key] = (calls[match.key] ?? 0) + 1;
    const reply = await match.handler(apiReq);
    if (faults.dropResponses > 0 && (faults.dropRoute === null || faults.dropRoute === match.key)) {
      faults.dropResponses -= 1;
      // The write is done; only its answer is lost, as when a connection dies after the vendor committed.
      throw new DroppedResponse();
    }
    return reply;
  }

  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'http://fake.local');
      const req: FakeRequest = {
        method: incoming.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: incoming.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
        params: {},
      };
      route(req, url.pathname)
        .catch((err: unknown) => {
          if (err instanceof DroppedResponse) {
            outgoing.destroy();
            return undefined;
          }
          throw err;
        })
        .catch((err: unknown) =>
          err instanceof FakeInputError ? json(400, { error: err.message }) : json(500, { error: err instanceof Error ? err.message : String(err) }),
        )
        .then((reply) => {
          if (reply === undefined) return;
          const contentType = reply.contentType ?? 'application/json; charset=utf-8';
          const payload = reply.contentType ? String(reply.body) : JSON.stringify(reply.body);
          outgoing.writeHead(reply.status ?? 200, { 'content-type': contentType, ...reply.headers });
          outgoing.end(payload);
        })
        .catch(() => outgoing.destroy());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return {
    url,
    baseUrl: `${url}${prefix}`,
    faults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

interface CompiledRoute {
  key: string;
  method: string;
  segments: string[];
  handler: FakeHandler;
}

function compileRoutes(routes: Record<string, FakeHandler>): CompiledRoute[] {
  return Object.entries(routes).map(([key, handler]) => {
    const [method, path] = key.split(' ');
    if (!method || !path?.startsWith('/')) throw new Error(`fake route "${key}" must look like "GET /path"`);
    return { key, method, segments: path.split('/'), handler };
  });
}

/** Exact routes win over patterned ones, so /users/find_by_department is not /users/:id. */
function matchRoute(routes: CompiledRoute[], method: string, path: string): { key: string; handler: FakeHandler; params: Record<string, string> } | undefined {
  const parts = path.split('/');
  let best: { key: string; handler: FakeHandler; params: Record<string, string>; wildcards: number } | undefined;
  for (const route of routes) {
    if (route.method !== method || route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const fits = route.segments.every((segment, i) => {
      if (segment.startsWith(':') && parts[i] !== '') {
        params[segment.slice(1)] = decodeURIComponent(parts[i]);
        return true;
      }
      return segment === parts[i];
    });
    const wildcards = Object.keys(params).length;
    if (fits && (!best || wildcards < best.wildcards)) best = { key: route.key, handler: route.handler, params, wildcards };
  }
  return best && { key: best.key, handler: best.handler, params: best.params };
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
