// A faithful local Feishu / Lark: the same /open-apis paths, {code,msg,data} envelope, ids per
// *_id_type, page_token paging, expiring tenant tokens, the contact quota (50/s and 1,000/min,
// 429 + 99991400 + x-ogw-ratelimit-*), client_token idempotency and signed, encrypted events.
import { randomBytes, randomUUID } from 'node:crypto';
import { FakeInputError, FakeRateLimiter, FakeTokenStore, deliver, parseJson, startFakeServer, type FakeReply, type FakeRequest } from '../../shared/fake-kit';
import { encryptFeishuEvent, feishuSignature } from '../callback';
import { FeishuDirectory, FeishuFakeError, type DepartmentIdType, type IdTypes, type UserIdType } from './directory';
import { seedDirectory } from './seed';

export { FeishuDirectory, FeishuFakeError } from './directory';

export interface FeishuFakeOptions {
  port?: number;
  host?: string;
  appId?: string;
  appSecret?: string;
  /** default 7200 like Feishu */
  tokenTtlSeconds?: number;
  /** contact API quota; defaults 50/s and 1,000/min like Feishu */
  ratePerSecond?: number;
  ratePerMinute?: number;
  /** needed by POST /__fake/emit */
  events?: { encryptKey: string; verificationToken: string };
}

export interface RunningFeishuFake {
  url: string;
  /** …/open-apis, what the connector's baseUrl is set to */
  baseUrl: string;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;

const ok = (data: unknown = {}): FakeReply => ({ body: { code: 0, msg: 'success', data } });
// Unverified: the HTTP status Feishu pairs with each business error; 400 is what its docs show most.
const refuse = (code: number, msg: string): FakeReply => ({ status: 400, body: { code, msg } });
const contactQuota = 'contact';
/** Feishu hands out the same tenant token until it has under 30 minutes left. */
const reissueWindowMs = 30 * 60_000;

function jsonBody(req: FakeRequest): Body {
  let body: unknown;
  try {
    body = parseJson(req.rawBody);
  } catch {
    throw new FeishuFakeError(99992402, 'field validation failed: body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new FeishuFakeError(99992402, 'field validation failed: body must be an object');
  return body as Body;
}

function idTypes(req: FakeRequest): IdTypes {
  const user = req.query.get('user_id_type') ?? 'open_id';
  const department = req.query.get('department_id_type') ?? 'open_department_id';
  if (!['open_id', 'union_id', 'user_id'].includes(user)) throw new FeishuFakeError(99992402, 'field validation failed: user_id_type');
  if (!['open_department_id', 'department_id'].includes(department)) throw new FeishuFakeError(99992402, 'field validation failed: department_id_type');
  return { user: user as UserIdType, department: department as DepartmentIdType };
}

/** page_size (default 10, at most 50) and an opaque page_token over a list. */
function page<T>(req: FakeRequest, items: T[]): { items: T[]; has_more: boolean; page_token?: string } {
  const size = Number(req.query.get('page_size') ?? 10);
  if (!Number.isInteger(size) || size < 1 || size > 50) throw new FeishuFakeError(99992402, 'field validation failed: page_size must be 1-50');
  const token = req.query.get('page_token');
  const offset = token ? Number(Buffer.from(token, 'base64url').toString('utf8').replace(/^offset:/, '')) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw new FeishuFakeError(99992402, 'field validation failed: page_token');
  const end = offset + size;
  const hasMore = end < items.length;
  return { items: items.slice(offset, end), has_more: hasMore, ...(hasMore ? { page_token: Buffer.from(`offset:${end}`).toString('base64url') } : {}) };
}

export async function startFeishuFake(options: FeishuFakeOptions = {}): Promise<RunningFeishuFake> {
  const appId = options.appId ?? 'cli_fake0000000001';
  const appSecret = options.appSecret ?? 'fake-app-secret';
  const ttlSeconds = options.tokenTtlSeconds ?? 7200;
  const tokens = new FakeTokenStore(ttlSeconds);
  let lastToken: { token: string; expiresAt: number } | undefined;
  const perSecond = { limit: options.ratePerSecond ?? 50, limiter: new FakeRateLimiter(options.ratePerSecond ?? 50, 1_000) };
  const perMinute = { limit: options.ratePerMinute ?? 1_000, limiter: new FakeRateLimiter(options.ratePerMinute ?? 1_000, 60_000) };
  let dir = new FeishuDirectory();
  /** client_token → open id of what that create made */
  let createdByToken = new Map<string, string>();
  /** user_ids Feishu sent its invitation to on create (need_send_notification true; its default is false) */
  let invited: string[] = [];
  let scopeDepartmentIds: string[] = ['0'];
  /** false: the tenant has not granted 更新通讯录 (contact:contact), so every contact write is refused */
  let contactWrite = true;

  const rateLimited = (limit: number, waitMs: number): FakeReply => ({
    status: 429,
    body: { code: 99991400, msg: 'request trigger frequency limit' },
    headers: { 'x-ogw-ratelimit-limit': String(limit), 'x-ogw-ratelimit-reset': String(Math.max(1, Math.ceil(waitMs / 1000))) },
  });

  /** The tenant token's refusal, or undefined when it is valid. */
  function tokenRefusal(req: FakeRequest): FakeReply | undefined {
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = tokens.check(auth);
    if (token === 'missing') return refuse(99991661, 'Missing access token for authorization');
    if (token === 'unknown') return refuse(99991668, 'Invalid access token for authorization');
    if (token === 'expired') return refuse(99991663, 'tenant access token expired');
    return undefined;
  }

  /** Runs a handler, turning FeishuFakeError into the envelope. */
  function answer(req: FakeRequest, handler: (req: FakeRequest, types: IdTypes) => FakeReply): FakeReply {
    try {
      return handler(req, idTypes(req));
    } catch (err) {
      if (err instanceof FeishuFakeError) return refuse(err.code, err.msg);
      throw err;
    }
  }

  /** Checks the tenant token only (APIs outside the contact quota). */
  const tokenOnly =
    (handler: (req: FakeRequest, types: IdTypes) => FakeReply) =>
    (req: FakeRequest): FakeReply =>
      tokenRefusal(req) ?? answer(req, handler);

  /** Checks the tenant token and the contact quota, runs the handler, turns FeishuFakeError into the envelope. */
  const api =
    (handler: (req: FakeRequest, types: IdTypes) => FakeReply) =>
    (req: FakeRequest): FakeReply => {
      const refused = tokenRefusal(req);
      if (refused) return refused;
      const secondWait = perSecond.limiter.retryAfterMs(contactQuota);
      const minuteWait = perMinute.limiter.retryAfterMs(contactQuota);
      if (minuteWait > 0) return rateLimited(perMinute.limit, minuteWait);
      if (secondWait > 0) return rateLimited(perSecond.limit, secondWait);
      perSecond.limiter.hit(contactQuota);
      perMinute.limiter.hit(contactQuota);
      return answer(req, handler);
    };

  /**
   * A contact write: without contact:contact Feishu answers 99991672 naming the missing scope (not in
   * VENDORS.md; https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-fix-the-99991672-error).
   */
  const write = (handler: (req: FakeRequest, types: IdTypes) => FakeReply) =>
    api((req, types) => {
      if (!contactWrite) throw new FeishuFakeError(99991672, 'Access denied. One of the following scopes is required: [contact:contact].');
      return handler(req, types);
    });

  /** A create with a client_token seen before answers what the first one made, as Feishu does. */
  function remembered(req: FakeRequest, kind: 'department' | 'user'): string | undefined {
    const clientToken = req.query.get('client_token');
    const openId = clientToken ? createdByToken.get(`${kind}:${clientToken}`) : undefined;
    return openId && (kind === 'department' ? dir.departments.has(openId) : dir.users.has(openId)) ? openId : undefined;
  }
  function remember(req: FakeRequest, kind: 'department' | 'user', openId: string): void {
    const clientToken = req.query.get('client_token');
    if (clientToken) createdByToken.set(`${kind}:${clientToken}`, openId);
  }

  const routes = {
    'POST /auth/v3/tenant_access_token/internal': (req: FakeRequest): FakeReply => {
      const body = jsonBody(req);
      if (body.app_id !== appId) return refuse(10003, 'invalid app_id');
      if (body.app_secret !== appSecret) return refuse(10014, 'app secret invalid');
      const now = Date.now();
      if (!lastToken || lastToken.expiresAt - now < reissueWindowMs || tokens.check(lastToken.token) !== 'valid') {
        lastToken = { token: tokens.issue().token, expiresAt: now + ttlSeconds * 1000 };
      }
      return { body: { code: 0, msg: 'ok', tenant_access_token: lastToken.token, expire: Math.floor((lastToken.expiresAt - now) / 1000) } };
    },
    // The app's contact visibility, as reported (the whole company, root "0", unless seeded otherwise); reads are not narrowed by it.
    'GET /contact/v3/scopes': api(() => ok({ department_ids: [...scopeDepartmentIds], user_ids: [], group_ids: [], has_more: false })),
    // 查询租户授权状态: the API scopes the app asked for and whether the tenant granted them (1) or not (2).
    // Feishu needs no scope to call it and counts it on its own quota, not the contact one.
    'GET /application/v6/scopes': tokenOnly(() =>
      ok({
        scopes: [
          { scope_name: 'contact:contact:readonly_as_app', grant_status: 1 },
          { scope_name: 'contact:contact', grant_status: contactWrite ? 1 : 2 },
        ],
      }),
    ),
    'GET /contact/v3/departments/:id/children': api((req, types) => {
      const parent = dir.department(req.params.id, types.department);
      const all = dir.children(parent.openId, req.query.get('fetch_child') === 'true');
      return ok(page(req, all.map((d) => dir.departmentView(d, types))));
    }),
    'GET /contact/v3/departments/:id': api((req, types) => ok({ department: dir.departmentView(dir.department(req.params.id, types.department), types) })),
    'POST /contact/v3/departments': write((req, types) => {
      const openId = remembered(req, 'department') ?? dir.createDepartment(jsonBody(req), types).openId;
      remember(req, 'department', openId);
      return ok({ department: dir.departmentView(dir.departments.get(openId)!, types) });
    }),
    'PATCH /contact/v3/departments/:id': write((req, types) => ok({ department: dir.departmentView(dir.patchDepartment(req.params.id, jsonBody(req), types), types) })),
    'DELETE /contact/v3/departments/:id': write((req, types) => {
      dir.deleteDepartment(req.params.id, types);
      return ok({});
    }),
    'GET /contact/v3/users/find_by_department': api((req, types) => {
      const department = dir.department(req.query.get('department_id'), types.department);
      return ok(page(req, dir.members(department.openId).map((u) => dir.userView(u, types))));
    }),
    'GET /contact/v3/users/:id': api((req, types) => ok({ user: dir.userView(dir.user(req.params.id, types.user), types) })),
    'POST /contact/v3/users': write((req, types) => {
      const body = jsonBody(req);
      const earlier = remembered(req, 'user');
      const openId = earlier ?? dir.createUser(body, types).openId;
      if (!earlier && body.need_send_notification === true) invited.push(dir.users.get(openId)!.userId);
      remember(req, 'user', openId);
      return ok({ user: dir.userView(dir.users.get(openId)!, types) });
    }),
    'PATCH /contact/v3/users/:id': write((req, types) => ok({ user: dir.userView(dir.patchUser(req.params.id, jsonBody(req), types), types) })),
    'DELETE /contact/v3/users/:id': write((req, types) => {
      dir.resignUser(req.params.id, types);
      return ok({});
    }),
    'POST /contact/v3/users/:id/resurrect': write((req, types) => {
      dir.resurrectUser(req.params.id, jsonBody(req), types);
      return ok({});
    }),
  };

  const dumpTypes: IdTypes = { user: 'user_id', department: 'department_id' };
  function state(): unknown {
    return {
      app_id: appId,
      invited,
      departments: dir.children('0', true).map((d) => dir.departmentView(d, dumpTypes)),
      users: [...dir.users.values()].map((u) => dir.userView(u, dumpTypes)),
    };
  }

  function seed(input: unknown): void {
    const writeFlag = (input as { contact_write?: unknown } | null)?.contact_write ?? true;
    if (typeof writeFlag !== 'boolean') throw new FakeInputError('seed: contact_write must be a boolean');
    dir = seedDirectory(input);
    createdByToken = new Map();
    invited = [];
    // `scope_department_ids`: what GET /contact/v3/scopes reports, to test an app that does not see the whole company.
    const scope = (input as { scope_department_ids?: unknown }).scope_department_ids;
    scopeDepartmentIds = Array.isArray(scope) ? scope.map(String) : ['0'];
    // `contact_write: false`: an app whose tenant has not granted 更新通讯录, to test a downstream task's write check.
    contactWrite = writeFlag;
  }

  /** `{url, event_type, id? | event?, event_id?}` POSTs a schema-2.0 event; `{url, urlVerification: true}` sends the challenge. */
  async function emit(input: unknown): Promise<unknown> {
    const keys = options.events;
    if (!keys) throw new FakeInputError('emit: start the fake with events {encryptKey, verificationToken}');
    const body = (input ?? {}) as Body;
    if (typeof body.url !== 'string' || !/^https?:\/\//.test(body.url)) throw new FakeInputError('emit: url must be an http(s) URL');
    let plain: Body;
    let challenge: string | undefined;
    if (body.urlVerification === true) {
      challenge = randomUUID();
      plain = { challenge, token: keys.verificationToken, type: 'url_verification' };
    } else {
      if (typeof body.event_type !== 'string' || body.event_type === '') throw new FakeInputError('emit: event_type is required (e.g. contact.user.updated_v3)');
      plain = {
        schema: '2.0',
        header: {
          event_id: typeof body.event_id === 'string' ? body.event_id : randomBytes(16).toString('hex'),
          event_type: body.event_type,
          create_time: String(Date.now()),
          token: keys.verificationToken,
          app_id: appId,
          tenant_key: 'fake-tenant',
        },
        event: eventPayload(body),
      };
    }
    const raw = JSON.stringify({ encrypt: encryptFeishuEvent(keys.encryptKey, JSON.stringify(plain)) });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(8).toString('hex');
    const answer = await deliver(body.url, {
      method: 'POST',
      body: raw,
      contentType: 'application/json; charset=utf-8',
      headers: { 'X-Lark-Request-Timestamp': timestamp, 'X-Lark-Request-Nonce': nonce, 'X-Lark-Signature': feishuSignature(timestamp, nonce, keys.encryptKey, raw) },
    });
    if (challenge === undefined) return answer;
    let echoed: unknown;
    try {
      echoed = (JSON.parse(answer.body) as Body).challenge;
    } catch {
      echoed = undefined;
    }
    return { ...answer, verified: answer.status === 200 && echoed === challenge };
  }

  /** The event body: given verbatim, or built from the current directory like Feishu's own (object with every id). */
  function eventPayload(body: Body): unknown {
    if (body.event !== undefined) return body.event;
    const id = body.id;
    if (typeof id !== 'string' || id === '') throw new FakeInputError('emit: give event (the raw event body) or id (a user_id / department_id)');
    const allIds: IdTypes = { user: 'open_id', department: 'open_department_id' };
    if (String(body.event_type).startsWith('contact.user.')) {
      const user = [...dir.users.values()].find((u) => u.userId === id || u.openId === id);
      return { object: user ? { ...dir.userView(user, allIds), user_id: user.userId } : { user_id: id } };
    }
    const department = [...dir.departments.values()].find((d) => d.customId === id || d.openId === id);
    return { object: department ? { ...dir.departmentView(department, allIds), department_id: department.customId } : { department_id: id } };
  }

  const server = await startFakeServer({
    port: options.port,
    host: options.host,
    prefix: '/open-apis',
    // No per-route limit: the contact quota is one pool, counted in api() above.
    vendor: {
      routes,
      rateLimitReply: () => rateLimited(perSecond.limit, 1_000),
      notFoundReply: (req) => ({ status: 404, body: { code: 404, msg: `404 page not found: ${req.path}` } }),
      state,
      seed,
      emit,
      revokeTokens: () => {
        tokens.revokeAll();
        lastToken = undefined;
      },
    },
  });
  return { url: server.url, baseUrl: server.baseUrl, close: server.close };
}
