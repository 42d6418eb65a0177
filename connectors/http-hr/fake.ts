// A small HR system with a REST export, for tests and the demo (`sync-center fake http-hr`): employees
// and departments as an in-house system would list them, paged by offset+limit, page+pageSize or
// cursor (in the query of a GET or the JSON body of a POST), behind a fixed bearer key or OAuth2
// client-credentials tokens that expire. There is no vendor to be faithful to: it is one example
// of the shapes the generic source must read.
import { FakeInputError, FakeTokenStore, parseJson, startFakeServer, type FakeReply, type FakeRequest } from '../shared/fake-kit';

export const httpHrFakeDefaults = { apiKey: 'fake-hr-api-key', clientId: 'fake-hr-client', clientSecret: 'fake-hr-client-secret' };
export const httpHrFakePrefix = '/hr';

export interface HttpHrFakeOptions {
  port?: number;
  host?: string;
  apiKey?: string;
  clientId?: string;
  clientSecret?: string;
  tokenTtlSeconds?: number;
}

export interface RunningHttpHrFake {
  url: string;
  /** …/hr: employees at /employees, departments at /departments, tokens at /oauth/token */
  baseUrl: string;
  close(): Promise<void>;
}

type Row = Record<string, unknown>;

const unauthorized = (error = 'invalid_token'): FakeReply => ({ status: 401, body: { error } });
const badRequest = (message: string): FakeReply => ({ status: 400, body: { error: 'bad_request', message } });

export async function startHttpHrFake(options: HttpHrFakeOptions = {}): Promise<RunningHttpHrFake> {
  const apiKey = options.apiKey ?? httpHrFakeDefaults.apiKey;
  const clientId = options.clientId ?? httpHrFakeDefaults.clientId;
  const clientSecret = options.clientSecret ?? httpHrFakeDefaults.clientSecret;
  const tokens = new FakeTokenStore(options.tokenTtlSeconds ?? 3600);
  let employees: Row[] = [];
  let departments: Row[] = [];

  const authorized = (req: FakeRequest): boolean => {
    const header = req.headers.authorization;
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
    const credential = header.slice('Bearer '.length);
    return credential === apiKey || tokens.check(credential) === 'valid';
  };

  /** paging parameters from the query (GET) or the JSON body (POST); cursors are opaque offsets */
  function page(req: FakeRequest, rows: Row[]): FakeReply {
    if (!authorized(req)) return unauthorized();
    let params: Row;
    if (req.method === 'POST') {
      try {
        const body = parseJson(req.rawBody);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) return badRequest('the body must be a JSON object');
        params = body as Row;
      } catch {
        return badRequest('the body is not JSON');
      }
    } else {
      params = Object.fromEntries(req.query.entries());
    }
    const int = (value: unknown) => (value === undefined ? undefined : Number(value));
    const limit = int(params.limit ?? params.pageSize) ?? rows.length;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return badRequest('limit/pageSize must be 1–1000');
    let start = 0;
    if (params.cursor !== undefined) {
      const decoded = /^c(\d+)$/.exec(String(params.cursor));
      if (!decoded) return badRequest('unknown cursor');
      start = Number(decoded[1]);
    } else if (params.offset !== undefined) start = int(params.offset)!;
    else if (params.page !== undefined) start = (int(params.page)! - 1) * limit;
    if (!Number.isInteger(start) || start < 0) return badRequest('offset/page out of range');
    const items = rows.slice(start, start + limit);
    const next = start + items.length < rows.length ? `c${start + items.length}` : null;
    return { body: { data: { items, total: rows.length, next_cursor: next } } };
  }

  function issueToken(req: FakeRequest): FakeReply {
    const form = new URLSearchParams(req.rawBody);
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = req.headers.authorization;
    if (typeof basic === 'string' && basic.startsWith('Basic ')) [id, secret] = Buffer.from(basic.slice(6), 'base64').toString('utf8').split(':');
    if (form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    if (id !== clientId || secret !== clientSecret) return unauthorized('invalid_client');
    const { token, expiresInSeconds } = tokens.issue();
    return { body: { access_token: token, token_type: 'Bearer', expires_in: expiresInSeconds } };
  }

  const routes = {
    'GET /employees': (req: FakeRequest) => page(req, employees),
    'POST /employees': (req: FakeRequest) => page(req, employees),
    'GET /departments': (req: FakeRequest) => page(req, departments),
    'POST /departments': (req: FakeRequest) => page(req, departments),
    'POST /oauth/token': issueToken,
  };

  function seed(input: unknown): void {
    const body = (input ?? {}) as { employees?: unknown; departments?: unknown };
    for (const [name, value] of Object.entries({ employees: body.employees, departments: body.departments })) {
      if (value !== undefined && (!Array.isArray(value) || !value.every((r) => typeof r === 'object' && r !== null))) throw new FakeInputError(`seed: ${name} must be an array of objects`);
    }
    employees = (body.employees as Row[] | undefined) ?? [];
    departments = (body.departments as Row[] | undefined) ?? [];
  }

  const server = await startFakeServer({
    port: options.port,
    host: options.host,
    prefix: httpHrFakePrefix,
    vendor: {
      routes,
      rateLimitReply: () => ({ status: 429, body: { error: 'rate_limited' }, headers: { 'retry-after': '1' } }),
      notFoundReply: () => ({ status: 404, body: { error: 'not_found' } }),
      state: () => ({ employees, departments }),
      seed,
      emit: () => Promise.reject(new FakeInputError('this HR system pushes no events')),
      revokeTokens: () => tokens.revokeAll(),
    },
  });
  return server;
}
