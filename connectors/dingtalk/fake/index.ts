// A faithful local DingTalk: the oapi /gettoken and /topapi/v2 paths, the new-API token, the errcode
// envelope with request_id, expiring tokens, 40/s and 1,500/min per API, directory rules and signed,
// encrypted contact events, plus the /__fake control routes of the fake kit.
import { randomBytes } from 'node:crypto';
import { CallbackCipher } from '../../shared/callback-crypto';
import { FakeInputError, FakeRateLimiter, FakeTokenStore, deliver, parseJson, startFakeServer, type FakeReply, type FakeRequest } from '../../shared/fake-kit';
import { rootDepartmentId } from '../mapping';
import { DingtalkDirectory, DingtalkFakeError, fakeErrcodes } from './directory';

export { DingtalkDirectory, DingtalkFakeError, fakeErrcodes } from './directory';

export interface DingtalkFakeOptions {
  port?: number;
  host?: string;
  appKey?: string;
  appSecret?: string;
  corpId?: string;
  /** default 7200 like DingTalk */
  tokenTtlSeconds?: number;
  /** per API; default 40 like DingTalk (90018 above it) */
  ratePerSecond?: number;
  /** per API; default 1,500 (90006 above it) */
  ratePerMinute?: number;
  /** needed by POST /__fake/emit; events are encrypted for the app key unless receiveId says corpId (legacy) */
  callback?: { token: string; aesKey: string; receiveId?: 'appKey' | 'corpId' };
}

export interface RunningDingtalkFake {
  url: string;
  /** what the connector's oapiBaseUrl is set to (serves /gettoken and /topapi/…) */
  oapiBaseUrl: string;
  /** what the connector's apiBaseUrl is set to (serves /v1.0/…) */
  apiBaseUrl: string;
  /** the oapi base, for tools that know one base URL per fake (the CLI) */
  baseUrl: string;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;

const requestId = () => randomBytes(8).toString('hex');
const ok = (result?: unknown): FakeReply => ({ body: { errcode: 0, errmsg: 'ok', ...(result === undefined ? {} : { result }), request_id: requestId() } });
const refuse = (errcode: number, errmsg: string, extra: Body = {}): FakeReply => ({ body: { errcode, errmsg, ...extra, request_id: requestId() } });
/** DingTalk wraps many platform refusals in errcode 88 with the real reason in sub_code. */
const wrapped = (subCode: number, subMsg: string): FakeReply => refuse(88, `ding talk error[subcode=${subCode},submsg=${subMsg}]`, { sub_code: String(subCode), sub_msg: subMsg });

function jsonBody(req: FakeRequest): Body {
  let body: unknown;
  try {
    body = parseJson(req.rawBody);
  } catch {
    throw new DingtalkFakeError(fakeErrcodes.invalidParameter, 'request body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DingtalkFakeError(fakeErrcodes.invalidParameter, 'request body must be a JSON object');
  return body as Body;
}

export async function startDingtalkFake(options: DingtalkFakeOptions = {}): Promise<RunningDingtalkFake> {
  const appKey = options.appKey ?? 'dingfakeappkey0001';
  const appSecret = options.appSecret ?? 'fake-app-secret';
  const corpId = options.corpId ?? 'dingfakecorp0001';
  const tokens = new FakeTokenStore(options.tokenTtlSeconds ?? 7200);
  const apiTokens = new FakeTokenStore(options.tokenTtlSeconds ?? 7200);
  const perSecond = new FakeRateLimiter(options.ratePerSecond ?? 40, 1_000);
  const perMinute = new FakeRateLimiter(options.ratePerMinute ?? 1_500, 60_000);
  const cipher = options.callback
    ? new CallbackCipher({ token: options.callback.token, encodingAesKey: options.callback.aesKey, receiveId: options.callback.receiveId === 'corpId' ? corpId : appKey })
    : undefined;
  let dir = new DingtalkDirectory();
  /** false: the app lacks 通讯录管理's write permission, so every contact write is refused */
  let contactWrite = true;

  /** DingTalk's own quotas, checked before anything else; returns the refusal or undefined. */
  function overQuota(req: FakeRequest): FakeReply | undefined {
    if (!perSecond.hit(req.path)) return refuse(90018, 'too many calls per second to this API (over the per-second limit)');
    if (!perMinute.hit(req.path)) return wrapped(90006, 'too many calls per minute to this API');
    return undefined;
  }

  /** Quota, token, handler; DingtalkFakeError becomes the errcode envelope. */
  const api =
    (handler: (body: Body) => FakeReply) =>
    (req: FakeRequest): FakeReply => {
      const limited = overQuota(req);
      if (limited) return limited;
      const token = tokens.check(req.query.get('access_token'));
      if (token === 'missing') return refuse(41001, 'access_token is missing');
      if (token === 'unknown') return refuse(40014, 'invalid access_token');
      if (token === 'expired') return refuse(42001, 'access_token has expired');
      try {
        return handler(jsonBody(req));
      } catch (err) {
        if (err instanceof DingtalkFakeError) return refuse(err.errcode, err.errmsg);
        throw err;
      }
    };

  /**
   * A contact write: without the write permission DingTalk answers 88 wrapping sub_code 60011 (not in
   * VENDORS.md; DingTalk's global error codes, e.g. the copy at
   * https://blog.csdn.net/weixin_38171468/article/details/106051120: "没有调用该接口的权限").
   */
  const write = (handler: (body: Body) => FakeReply) =>
    api((body) => (contactWrite ? handler(body) : wrapped(60011, '没有调用该接口的权限')));

  const routes = {
    'GET /gettoken': (req: FakeRequest): FakeReply => {
      const limited = overQuota(req);
      if (limited) return limited;
      if (req.query.get('appkey') !== appKey) return refuse(40089, 'invalid appkey');
      if (req.query.get('appsecret') !== appSecret) return refuse(40001, 'invalid appsecret');
      const issued = tokens.issue();
      return { body: { errcode: 0, errmsg: 'ok', access_token: issued.token, expires_in: issued.expiresInSeconds } };
    },
    'POST /v1.0/oauth2/accessToken': (req: FakeRequest): FakeReply => {
      if (!perSecond.hit(req.path)) return { status: 429, body: { code: 'Throttling', message: 'too many calls per second', requestid: requestId() } };
      let body: Body;
      try {
        body = jsonBody(req);
      } catch {
        return { status: 400, body: { code: 'MissingParameter', message: 'body must be JSON', requestid: requestId() } };
      }
      if (body.appKey !== appKey || body.appSecret !== appSecret) return { status: 400, body: { code: 'invalidClientId', message: 'invalid appKey or appSecret', requestid: requestId() } };
      const issued = apiTokens.issue();
      return { body: { accessToken: issued.token, expireIn: issued.expiresInSeconds } };
    },
    'POST /topapi/v2/department/listsub': api((b) => ok(dir.children(dir.department(b.dept_id ?? rootDepartmentId).dept_id).map(({ dept_id, name, parent_id }) => ({ dept_id, name, parent_id, create_dept_group: false, auto_add_user: false })))),
    'POST /topapi/v2/department/listsubid': api((b) => ok({ dept_id_list: dir.children(dir.department(b.dept_id ?? rootDepartmentId).dept_id).map((d) => d.dept_id) })),
    'POST /topapi/v2/department/get': api((b) => ok({ ...dir.department(b.dept_id) })),
    'POST /topapi/v2/department/create': write((b) => ok({ dept_id: dir.createDepartment(b) })),
    'POST /topapi/v2/department/update': write((b) => {
      dir.updateDepartment(b);
      return ok();
    }),
    'POST /topapi/v2/department/delete': write((b) => {
      dir.deleteDepartment(b.dept_id);
      return ok();
    }),
    'POST /topapi/v2/user/list': api((b) => {
      const members = dir.members(dir.department(b.dept_id).dept_id);
      const cursor = Number(b.cursor ?? 0);
      const size = Number(b.size ?? 0);
      if (!Number.isInteger(cursor) || cursor < 0) throw new DingtalkFakeError(fakeErrcodes.invalidParameter, 'cursor must be a non-negative integer');
      if (!Number.isInteger(size) || size < 1 || size > 100) throw new DingtalkFakeError(fakeErrcodes.invalidParameter, 'size must be 1-100');
      const end = cursor + size;
      return ok({ has_more: end < members.length, ...(end < members.length ? { next_cursor: end } : {}), list: members.slice(cursor, end) });
    }),
    'POST /topapi/v2/user/get': api((b) => ok({ ...dir.user(b.userid) })),
    'POST /topapi/v2/user/create': write((b) => ok({ userid: dir.createUser(b) })),
    'POST /topapi/v2/user/update': write((b) => {
      dir.updateUser(b);
      return ok();
    }),
    'POST /topapi/v2/user/delete': write((b) => {
      dir.deleteUser(b.userid);
      return ok();
    }),
  };

  function state(): unknown {
    const department = [dir.departments.get(rootDepartmentId)];
    for (let i = 0; i < department.length; i += 1) {
      const id = department[i]?.dept_id ?? 0;
      department.push(...[...dir.departments.values()].filter((d) => d.parent_id === id && d.dept_id !== rootDepartmentId).sort((a, b) => a.order - b.order || a.dept_id - b.dept_id));
    }
    return { corp_id: corpId, app_key: appKey, invite_confirmation: dir.inviteConfirmation, contact_write: contactWrite, out_of_scope: [...dir.outOfScope], department, userlist: [...dir.users.values()] };
  }

  /**
   * Replaces the whole directory. `active: false` seeds a member who has not accepted the invitation;
   * `contact_write: false` an app granted only read access to the contacts.
   */
  function seed(input: unknown): void {
    if (typeof input !== 'object' || input === null) throw new FakeInputError('seed body must be an object');
    const { department = [], userlist = [], out_of_scope = [], invite_confirmation = false, contact_write = true } = input as Record<string, unknown>;
    if (typeof contact_write !== 'boolean') throw new FakeInputError('seed: contact_write must be a boolean');
    if (!Array.isArray(department) || !Array.isArray(userlist) || !Array.isArray(out_of_scope)) throw new FakeInputError('seed: department, userlist and out_of_scope must be arrays');
    if (typeof invite_confirmation !== 'boolean') throw new FakeInputError('seed: invite_confirmation must be a boolean');
    const next = new DingtalkDirectory();
    const at = (what: string, i: number, run: () => void) => {
      try {
        run();
      } catch (err) {
        if (err instanceof DingtalkFakeError) throw new FakeInputError(`seed: ${what}[${i}]: ${err.errcode} ${err.errmsg}`);
        throw err;
      }
    };
    const departments = department as Body[];
    const root = departments.find((d) => Number(d.dept_id) === rootDepartmentId);
    if (root) at('department', departments.indexOf(root), () => next.updateDepartment({ dept_id: rootDepartmentId, name: root.name, order: root.order }));
    // Parents first, whatever order the seed lists them in.
    let pending = departments.filter((d) => d !== root);
    while (pending.length > 0) {
      const ready = pending.filter((d) => next.departments.has(Number(d.parent_id)));
      if (ready.length === 0) at('department', departments.indexOf(pending[0]), () => next.department(pending[0].parent_id, fakeErrcodes.parentNotFound));
      for (const d of ready) at('department', departments.indexOf(d), () => next.createDepartment({ ...d, dept_manager_userid_list: undefined }, Number(d.dept_id)));
      pending = pending.filter((d) => !ready.includes(d));
    }
    const users = userlist as Body[];
    users.forEach((u, i) => at('userlist', i, () => next.createUser({ ...u, manager_userid: undefined }, { active: u.active !== false })));
    users.forEach((u, i) => u.manager_userid && at('userlist', i, () => (next.user(u.userid).manager_userid = next.user(u.manager_userid).userid)));
    departments.forEach((d, i) => d.dept_manager_userid_list !== undefined && at('department', i, () => next.updateDepartment({ dept_id: d.dept_id, dept_manager_userid_list: d.dept_manager_userid_list })));
    for (const id of out_of_scope) next.outOfScope.add(Number(id));
    next.inviteConfirmation = invite_confirmation;
    dir = next;
    contactWrite = contact_write;
  }

  /**
   * `{url, event: {EventType, UserId | DeptId, …}}` POSTs a contact event; `{url, checkUrl: true}` sends check_url.
   * The receiver must answer the encrypted "success"; `verified` says whether it did.
   */
  async function emit(input: unknown): Promise<unknown> {
    if (!cipher) throw new FakeInputError('emit: start the fake with callback {token, aesKey}');
    const { url, event, checkUrl } = (input ?? {}) as { url?: unknown; event?: unknown; checkUrl?: unknown };
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new FakeInputError('emit: url must be an http(s) URL');
    if (checkUrl !== true && (typeof event !== 'object' || event === null || typeof (event as Body).EventType !== 'string')) {
      throw new FakeInputError('emit: event.EventType is required (user_add_org, user_modify_org, user_leave_org, org_dept_create, org_dept_modify, org_dept_remove)');
    }
    const now = String(Date.now());
    const payload = checkUrl === true ? { EventType: 'check_url' } : { CorpId: corpId, TimeStamp: now, ...(event as Body) };
    const sealed = cipher.seal(JSON.stringify(payload), now);
    const target = new URL(url);
    target.searchParams.set('signature', sealed.signature);
    target.searchParams.set('timestamp', sealed.timestamp);
    target.searchParams.set('nonce', sealed.nonce);
    const answer = await deliver(target.toString(), { method: 'POST', body: JSON.stringify({ encrypt: sealed.encrypt }), contentType: 'application/json' });
    return { ...answer, verified: answer.status === 200 && repliedSuccess(cipher, answer.body) };
  }

  const server = await startFakeServer({
    port: options.port,
    host: options.host,
    prefix: '',
    // DingTalk's quotas (per second and per minute) are counted by the handlers above.
    rateLimit: { limit: Number.MAX_SAFE_INTEGER, windowMs: 1 },
    vendor: {
      routes,
      // A fault burst stands for DingTalk's platform-wide limit: 88 with sub_code 90002.
      rateLimitReply: (req) => (req.path.startsWith('/v1.0/') ? { status: 429, body: { code: 'Throttling', message: 'platform flow control', requestid: requestId() } } : wrapped(90002, 'platform-wide flow control, try later')),
      notFoundReply: (req) => ({ status: 404, body: { errcode: 404, errmsg: `no such api ${req.path}`, request_id: requestId() } }),
      state,
      seed,
      emit,
      revokeTokens: () => {
        tokens.revokeAll();
        apiTokens.revokeAll();
      },
    },
  });
  return { url: server.url, oapiBaseUrl: server.url, apiBaseUrl: server.url, baseUrl: server.url, close: server.close };
}

/** DingTalk's receiver contract: `{msg_signature, timeStamp, nonce, encrypt}` whose plaintext is "success". */
function repliedSuccess(cipher: CallbackCipher, body: string): boolean {
  try {
    const reply = JSON.parse(body) as Record<string, unknown>;
    const field = (name: string) => (typeof reply[name] === 'string' ? (reply[name] as string) : '');
    return cipher.open({ signature: field('msg_signature'), timestamp: field('timeStamp'), nonce: field('nonce'), encrypt: field('encrypt') }) === 'success';
  } catch {
    return false;
  }
}
