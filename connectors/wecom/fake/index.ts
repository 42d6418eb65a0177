// A faithful local WeCom: the same /cgi-bin paths, errcode envelope, expiring tokens, rate limits,
// directory rules and change_contact callbacks, plus the /__fake control routes of the fake kit.
import { CallbackCipher } from '../../shared/callback-crypto';
import { FakeInputError, FakeTokenStore, deliver, parseJson, startFakeServer, type FakeReply, type FakeRequest } from '../../shared/fake-kit';
import { WecomDirectory, WecomFakeError } from './directory';

export { WecomDirectory, WecomFakeError } from './directory';

export interface WecomFakeOptions {
  port?: number;
  host?: string;
  corpId?: string;
  corpSecret?: string;
  /** default 7200 like WeCom */
  tokenTtlSeconds?: number;
  /** per API per minute; default 10,000 like WeCom */
  rateLimitPerMinute?: number;
  /** needed by POST /__fake/emit */
  callback?: { token: string; encodingAesKey: string };
}

export interface RunningWecomFake {
  url: string;
  /** …/cgi-bin, what the connector's baseUrl is set to */
  baseUrl: string;
  /**
   * The admin resets the app's secret (重置 Secret) or restores one: from now on gettoken takes only
   * `secret` (40001 for any other) and every token issued so far is refused (40014).
   */
  setSecret(secret: string): void;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;

const ok = (extra: Body = {}): FakeReply => ({ body: { errcode: 0, errmsg: 'ok', ...extra } });
const refuse = (errcode: number, errmsg: string): FakeReply => ({ body: { errcode, errmsg } });

function jsonBody(req: FakeRequest): Body {
  let body: unknown;
  try {
    body = parseJson(req.rawBody);
  } catch {
    throw new WecomFakeError(47001, 'data format error');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new WecomFakeError(47001, 'data format error');
  return body as Body;
}

function cdata(value: string): string {
  return `<![CDATA[${value.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

export async function startWecomFake(options: WecomFakeOptions = {}): Promise<RunningWecomFake> {
  const corpId = options.corpId ?? 'ww0000000000000001';
  let corpSecret = options.corpSecret ?? 'fake-corp-secret';
  const tokens = new FakeTokenStore(options.tokenTtlSeconds ?? 7200);
  const cipher = options.callback
    ? new CallbackCipher({ token: options.callback.token, encodingAesKey: options.callback.encodingAesKey, receiveId: corpId })
    : undefined;
  let dir = new WecomDirectory();
  /** The secret's visible range (应用可见范围): these departments and their subtrees; [1] is the whole company. */
  let visible: number[] = [1];
  /** false: a read-only secret (通讯录同步 left on 仅读取 / an app secret), every write refused */
  let contactWrite = true;

  const inScope = (id: number): boolean => {
    for (let d = dir.departments.get(id); d; d = d.parentid === 0 ? undefined : dir.departments.get(d.parentid)) if (visible.includes(d.id)) return true;
    return false;
  };
  // 60011 is not in VENDORS.md: WeCom's own answer for a department or member outside the secret's
  // range, errmsg as WeCom sends it (https://open.work.weixin.qq.com/devtool/query?e=60011).
  const outOfScope = (): never => {
    throw new WecomFakeError(60011, 'no privilege to access/modify contact/party/agent');
  };
  const visibleDepartment = (id: unknown) => {
    const department = dir.department(id);
    return inScope(department.id) ? department : outOfScope();
  };
  /** For writes: a department outside the range is 60011; an unknown one is left to the directory's own code. */
  const guard = (id: unknown) => {
    const department = dir.departments.get(Number(id));
    if (department && !inScope(department.id)) outOfScope();
  };
  const guardUser = (userid: unknown) => {
    const user = typeof userid === 'string' ? dir.users.get(userid.toLowerCase()) : undefined;
    if (user && !user.department.some(inScope)) outOfScope();
  };
  const visibleUser = (userid: unknown) => {
    const user = dir.user(userid);
    return user.department.some(inScope) ? user : outOfScope();
  };
  /** Everything the secret sees: each visible subtree once, parents first. */
  const visibleSubtrees = () => {
    const seen = new Set<number>();
    return visible.flatMap((id) => dir.subtree(id)).filter((d) => !seen.has(d.id) && (seen.add(d.id), true));
  };
  const departmentIds = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

  /** Checks the token, runs the handler, and turns WecomFakeError into the errcode envelope. */
  const api =
    (handler: (req: FakeRequest) => FakeReply) =>
    (req: FakeRequest): FakeReply => {
      const token = tokens.check(req.query.get('access_token'));
      if (token === 'missing') return refuse(41001, 'access_token missing');
      if (token === 'unknown') return refuse(40014, 'invalid access_token');
      if (token === 'expired') return refuse(42001, 'access_token expired');
      try {
        return handler(req);
      } catch (err) {
        if (err instanceof WecomFakeError) return refuse(err.errcode, err.errmsg);
        throw err;
      }
    };

  /** A contact write: refused with 48002 (VENDORS.md: API not permitted) for a read-only secret. */
  const write = (handler: (req: FakeRequest) => FakeReply) =>
    api((req) => {
      if (!contactWrite) throw new WecomFakeError(48002, 'api forbidden');
      return handler(req);
    });

  const routes = {
    'GET /gettoken': (req: FakeRequest): FakeReply => {
      if (req.query.get('corpid') !== corpId) return refuse(40013, 'invalid corpid');
      if (req.query.get('corpsecret') !== corpSecret) return refuse(40001, 'invalid credential');
      const issued = tokens.issue();
      return ok({ access_token: issued.token, expires_in: issued.expiresInSeconds });
    },
    // Without an id, WeCom lists what the secret sees; with one outside its range, 60011.
    'GET /department/list': api((req) => {
      const id = req.query.get('id');
      return ok({ department: id ? dir.subtree(visibleDepartment(id).id) : visibleSubtrees() });
    }),
    'GET /department/simplelist': api((req) => {
      const id = req.query.get('id');
      return ok({ department_id: (id ? dir.subtree(visibleDepartment(id).id) : visibleSubtrees()).map(({ id, parentid, order }) => ({ id, parentid, order })) });
    }),
    'POST /department/create': write((req) => {
      const body = jsonBody(req);
      guard(body.parentid);
      return ok({ created: 'created', id: dir.createDepartment(body) });
    }),
    'POST /department/update': write((req) => {
      const body = jsonBody(req);
      guard(body.id);
      if (body.parentid !== undefined) guard(body.parentid);
      dir.updateDepartment(body);
      return ok({ errmsg: 'updated' });
    }),
    'GET /department/delete': write((req) => {
      guard(req.query.get('id'));
      dir.deleteDepartment(req.query.get('id'));
      return ok({ errmsg: 'deleted' });
    }),
    'POST /user/create': write((req) => {
      const body = jsonBody(req);
      departmentIds(body.department).forEach(guard);
      dir.createUser(body);
      // to_invite: WeCom invites the new member (WeChat notice, SMS or mail) unless told false.
      if (body.to_invite !== false) dir.invited.add(String(body.userid).toLowerCase());
      return ok({ errmsg: 'created' });
    }),
    'GET /user/get': api((req) => ok({ ...visibleUser(req.query.get('userid') ?? undefined) })),
    'POST /user/update': write((req) => {
      const body = jsonBody(req);
      guardUser(body.userid);
      departmentIds(body.department).forEach(guard);
      dir.updateUser(body);
      return ok({ errmsg: 'updated' });
    }),
    'GET /user/delete': write((req) => {
      guardUser(req.query.get('userid') ?? undefined);
      dir.deleteUsers([req.query.get('userid') ?? undefined]);
      return ok({ errmsg: 'deleted' });
    }),
    'POST /user/batchdelete': write((req) => {
      const list = jsonBody(req).useridlist;
      if (!Array.isArray(list) || list.length === 0) return refuse(40058, 'useridlist is required');
      if (list.length > 200) return refuse(40058, 'useridlist exceeds 200');
      list.forEach(guardUser);
      dir.deleteUsers(list);
      return ok({ errmsg: 'deleted' });
    }),
    'GET /user/list': api((req) => {
      const id = visibleDepartment(req.query.get('department_id')).id;
      return ok({ userlist: [...dir.users.values()].filter((u) => u.department.includes(id)) });
    }),
    'POST /user/list_id': api((req) => {
      const body = jsonBody(req);
      const limit = body.limit === undefined ? 10_000 : Number(body.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return refuse(40058, 'limit must be 1-10000');
      const cursor = typeof body.cursor === 'string' && body.cursor !== '' ? body.cursor : undefined;
      const offset = cursor === undefined ? 0 : Number(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (!Number.isInteger(offset) || offset < 0) return refuse(40058, 'invalid cursor');
      const rows = dir.membershipRows().filter((row) => inScope(row.department));
      const end = offset + limit;
      return ok({ next_cursor: end < rows.length ? Buffer.from(String(end)).toString('base64url') : '', dept_user: rows.slice(offset, end) });
    }),
  };

  function state(): unknown {
    return { corpid: corpId, department: dir.subtree(1), userlist: [...dir.users.values()], visible_department_ids: [...visible], contact_write: contactWrite, invited: [...dir.invited] };
  }

  /**
   * Replaces the whole directory; seeded members are activated unless their status says 4.
   * `visible_department_ids` narrows the secret's visible range (default [1], the whole company);
   * `contact_write: false` makes it a read-only secret.
   */
  function seed(input: unknown): void {
    if (typeof input !== 'object' || input === null) throw new FakeInputError('seed body must be an object');
    const { department = [], userlist = [], visible_department_ids = [1], contact_write = true } = input as { department?: Body[]; userlist?: Body[]; visible_department_ids?: unknown; contact_write?: unknown };
    if (typeof contact_write !== 'boolean') throw new FakeInputError('seed: contact_write must be a boolean');
    if (!Array.isArray(visible_department_ids) || visible_department_ids.length === 0) throw new FakeInputError('seed: visible_department_ids must be a non-empty array of department ids');
    if (!Array.isArray(department) || !Array.isArray(userlist)) throw new FakeInputError('seed: department and userlist must be arrays');
    const next = new WecomDirectory();
    const at = (what: string, i: number, run: () => void) => {
      try {
        run();
      } catch (err) {
        if (err instanceof WecomFakeError) throw new FakeInputError(`seed: ${what}[${i}]: ${err.errcode} ${err.errmsg}`);
        throw err;
      }
    };
    const root = department.find((d) => Number(d.id) === 1);
    if (root) at('department', department.indexOf(root), () => next.updateDepartment({ id: 1, name: root.name, order: root.order }));
    // Parents first, whatever order the seed lists them in.
    let pending = department.filter((d) => d !== root);
    while (pending.length > 0) {
      const ready = pending.filter((d) => next.departments.has(Number(d.parentid)));
      if (ready.length === 0) at('department', department.indexOf(pending[0]), () => next.department(pending[0].parentid, 60004));
      for (const d of ready) at('department', department.indexOf(d), () => next.createDepartment({ ...d, department_leader: undefined }));
      pending = pending.filter((d) => !ready.includes(d));
    }
    userlist.forEach((u, i) =>
      at('userlist', i, () => next.createUser({ ...u, direct_leader: undefined, status: undefined }, { activated: Number(u.status ?? 1) !== 4 })),
    );
    userlist.forEach((u, i) => u.direct_leader !== undefined && at('userlist', i, () => next.updateUser({ userid: u.userid, direct_leader: u.direct_leader })));
    department.forEach(
      (d, i) => d.department_leader !== undefined && at('department', i, () => next.updateDepartment({ id: d.id, department_leader: d.department_leader })),
    );
    const scope = visible_department_ids.map((id, i) => {
      if (!next.departments.has(Number(id))) throw new FakeInputError(`seed: visible_department_ids[${i}]: no department ${String(id)}`);
      return Number(id);
    });
    dir = next;
    visible = scope;
    contactWrite = contact_write;
  }

  /** `{url, event: {ChangeType, UserID|Id, …}}` POSTs a change_contact; `{url, urlCheck: true}` runs the GET URL check. */
  async function emit(input: unknown): Promise<unknown> {
    if (!cipher) throw new FakeInputError('emit: start the fake with callback {token, encodingAesKey}');
    const { url, event, urlCheck } = (input ?? {}) as { url?: unknown; event?: unknown; urlCheck?: unknown };
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw new FakeInputError('emit: url must be an http(s) URL');
    const target = new URL(url);
    if (urlCheck === true) {
      const echo = String(Date.now()) + String(Math.floor(Math.random() * 1e6));
      const sealed = cipher.seal(echo);
      target.search = new URLSearchParams({ msg_signature: sealed.signature, timestamp: sealed.timestamp, nonce: sealed.nonce, echostr: sealed.encrypt }).toString();
      const answer = await deliver(target.toString(), { method: 'GET' });
      return { ...answer, verified: answer.status === 200 && answer.body === echo };
    }
    if (typeof event !== 'object' || event === null || typeof (event as Body).ChangeType !== 'string') {
      throw new FakeInputError('emit: event.ChangeType is required (create_user, update_user, delete_user, create_party, update_party, delete_party, update_tag)');
    }
    const fields = Object.entries(event as Body)
      .map(([name, value]) => (typeof value === 'number' ? `<${name}>${value}</${name}>` : `<${name}>${cdata(String(value))}</${name}>`))
      .join('');
    const now = Math.floor(Date.now() / 1000);
    const plain = `<xml><ToUserName>${cdata(corpId)}</ToUserName><FromUserName>${cdata('sys')}</FromUserName><CreateTime>${now}</CreateTime><MsgType>${cdata('event')}</MsgType><Event>${cdata('change_contact')}</Event>${fields}</xml>`;
    const sealed = cipher.seal(plain, String(now));
    target.search = new URLSearchParams({ msg_signature: sealed.signature, timestamp: sealed.timestamp, nonce: sealed.nonce }).toString();
    const body = `<xml><ToUserName>${cdata(corpId)}</ToUserName><Encrypt>${cdata(sealed.encrypt)}</Encrypt><AgentID>${cdata('')}</AgentID></xml>`;
    return deliver(target.toString(), { method: 'POST', body, contentType: 'text/xml' });
  }

  const server = await startFakeServer({
    port: options.port,
    host: options.host,
    prefix: '/cgi-bin',
    rateLimit: { limit: options.rateLimitPerMinute ?? 10_000, windowMs: 60_000 },
    vendor: {
      routes,
      rateLimitReply: () => refuse(45009, 'api freq out of limit'),
      notFoundReply: (req) => ({ status: 404, body: { errcode: 404, errmsg: `no such api ${req.path}` } }),
      state,
      seed,
      emit,
      revokeTokens: () => tokens.revokeAll(),
    },
  });
  const setSecret = (secret: string): void => {
    if (!secret) throw new FakeInputError('setSecret: secret is required');
    corpSecret = secret;
    tokens.revokeAll();
  };
  return { url: server.url, baseUrl: server.baseUrl, setSecret, close: server.close };
}
