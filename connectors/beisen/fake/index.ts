// A faithful local Beisen iTalent open API: POST /OAuth/Token (a form, expiring tokens), the
// time-window reads of employees and organisations (windows ≤ 90 days else code "417", capacity ≤ 300,
// scrollId paging whose scroll dies 10 s after its last use), the {code,message,scrollId,isLastData,
// total,data} envelope with code "200", HTTP 401 for a bad token, and the tenant's 50/s and 1,500/min.
// What VENDORS.md does not say (error texts, the 401 and 429 shapes) is listed in ../README.md.
import { randomBytes } from 'node:crypto';
import { FakeInputError, FakeRateLimiter, FakeTokenStore, parseJson, startFakeServer, type FakeReply, type FakeRequest } from '../../shared/fake-kit';
import { employeeWindowPath, organizationWindowPath, tokenPath } from '../client';
import type { BeisenEmployee, BeisenOrganization } from '../mapping';
import { chinaDateTime, maxWindowDays, parseChinaDateTime } from '../time-window';

export const beisenFakeDefaults = { tenantId: '100001', appId: 'fake-beisen-app', secret: 'fake-beisen-secret' };

export interface BeisenFakeOptions {
  port?: number;
  host?: string;
  tenantId?: string;
  appId?: string;
  secret?: string;
  /** default 7200 s */
  tokenTtlSeconds?: number;
  /** how long a scroll lives after its last page (Beisen: 10 s) */
  scrollTtlMs?: number;
  ratePerSecond?: number;
  ratePerMinute?: number;
}

export interface RunningBeisenFake {
  url: string;
  baseUrl: string;
  close(): Promise<void>;
}

interface Scroll {
  rest: unknown[];
  capacity: number;
  total: number;
  lastUsed: number;
}

type Body = Record<string, unknown>;
const dayMs = 86_400_000;
/** Left without withDisabled: 离职 and 退休. */
const disabledStatuses = new Set(['6', '8']);

/** The demo company: names and mobiles no test seeds elsewhere, so a hub it fills never merges them. */
export function demoSeed(): { organizations: BeisenOrganization[]; employees: BeisenEmployee[] } {
  const employee = (userID: number, name: string, email: string, oIdDepartment: number, pOIdEmpAdmin: number | null, jobNumber: string): BeisenEmployee => ({
    employeeInfo: { userID, name, email, mobilePhone: `1371000${String(userID % 10_000).padStart(4, '0')}` },
    recordInfo: { userID, oIdDepartment, pOIdEmpAdmin, jobNumber, entryDate: '2020-01-01T00:00:00', employeeStatus: '3' },
  });
  return {
    organizations: [
      { oId: 900001, name: '北森示例科技', pOIdOrgAdmin: null, status: 1, orderAdmin: 1 },
      { oId: 900002, name: '研发中心', pOIdOrgAdmin: 900001, status: 1, orderAdmin: 1 },
      { oId: 900003, name: '销售部', pOIdOrgAdmin: 900001, status: 1, orderAdmin: 2 },
    ],
    employees: [
      employee(110001, '王小明', 'wang@acme.example', 900002, null, 'E001'),
      employee(110002, '李华', 'li@acme.example', 900002, 110001, 'E002'),
      employee(110003, '张伟', 'zhang@acme.example', 900003, 110001, 'E003'),
    ],
  };
}

export async function startBeisenFake(options: BeisenFakeOptions = {}): Promise<RunningBeisenFake> {
  const tenantId = options.tenantId ?? beisenFakeDefaults.tenantId;
  const appId = options.appId ?? beisenFakeDefaults.appId;
  const secret = options.secret ?? beisenFakeDefaults.secret;
  const scrollTtlMs = options.scrollTtlMs ?? 10_000;
  const tokens = new FakeTokenStore(options.tokenTtlSeconds ?? 7200);
  const perSecond = { limit: options.ratePerSecond ?? 50, limiter: new FakeRateLimiter(options.ratePerSecond ?? 50, 1_000) };
  const perMinute = { limit: options.ratePerMinute ?? 1_500, limiter: new FakeRateLimiter(options.ratePerMinute ?? 1_500, 60_000) };
  let organizations = new Map<number, BeisenOrganization>();
  let employees = new Map<number, BeisenEmployee>();
  const scrolls = new Map<string, Scroll>();

  const envelope = (code: string, message: string, extra: Body = {}): FakeReply => ({ body: { code, message, ...extra } });
  const refuse = (message: string) => envelope('417', message, { data: null });

  function authorised(req: FakeRequest): FakeReply | undefined {
    const match = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''));
    const check = tokens.check(match?.[1]);
    if (check === 'valid') return undefined;
    return { status: 401, body: { code: '401', message: check === 'expired' ? 'access_token expired' : 'Unauthorized' } };
  }

  function limited(): FakeReply | undefined {
    if (perMinute.limiter.retryAfterMs('tenant') > 0 || perSecond.limiter.retryAfterMs('tenant') > 0) return rateLimited();
    perSecond.limiter.hit('tenant');
    perMinute.limiter.hit('tenant');
    return undefined;
  }
  const rateLimited = (): FakeReply => ({ status: 429, body: { code: '429', message: '接口调用频率超过限制' } });

  /** One time-window page: the first one filters and sorts, later ones continue the scroll. */
  function windowPage(req: FakeRequest, select: (body: Body, start: number, stop: number) => { modifiedTime?: string; key: number; record: unknown }[]): FakeReply {
    const refused = authorised(req) ?? limited();
    if (refused) return refused;
    let body: Body;
    try {
      body = parseJson(req.rawBody) as Body;
    } catch {
      return refuse('请求参数格式错误');
    }
    const scrollId = typeof body.scrollId === 'string' ? body.scrollId : '';
    if (scrollId !== '') {
      const scroll = scrolls.get(scrollId);
      if (!scroll || Date.now() - scroll.lastUsed > scrollTtlMs) {
        scrolls.delete(scrollId);
        return refuse('scrollId已过期或不存在');
      }
      return nextPage(scrollId, scroll);
    }
    const start = parseChinaDateTime(String(body.startTime ?? ''));
    const stop = parseChinaDateTime(String(body.stopTime ?? ''));
    if (Number.isNaN(start) || Number.isNaN(stop)) return refuse('startTime和stopTime格式应为yyyy-MM-ddTHH:mm:ss');
    if (stop <= start) return refuse('stopTime必须大于startTime');
    if (stop - start > maxWindowDays * dayMs) return refuse(`时间窗口不能超过${maxWindowDays}天`);
    const capacity = body.capacity === undefined ? 100 : Number(body.capacity);
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 300) return refuse('capacity取值范围为1-300');
    const rows = select(body, start, stop)
      .sort((a, b) => (a.modifiedTime ?? '').localeCompare(b.modifiedTime ?? '') || a.key - b.key)
      .map((r) => r.record);
    const id = randomBytes(18).toString('base64');
    return nextPage(id, { rest: rows, capacity, total: rows.length, lastUsed: Date.now() });
  }

  function nextPage(id: string, scroll: Scroll): FakeReply {
    const data = scroll.rest.slice(0, scroll.capacity);
    const rest = scroll.rest.slice(scroll.capacity);
    const isLastData = rest.length === 0;
    if (isLastData) scrolls.delete(id);
    else scrolls.set(id, { ...scroll, rest, lastUsed: Date.now() });
    return envelope('200', '', { scrollId: isLastData ? '' : id, isLastData, total: scroll.total, data });
  }

  const inWindow = (times: (string | undefined)[], start: number, stop: number) =>
    times.some((t) => {
      const at = t === undefined ? Number.NaN : parseChinaDateTime(t);
      return at >= start && at < stop;
    });

  const routes = {
    [`POST ${tokenPath}`]: (req: FakeRequest): FakeReply => {
      const form = new URLSearchParams(req.rawBody);
      const invalid = (error: string, description: string): FakeReply => ({ status: 400, body: { error, error_description: description } });
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return invalid('invalid_request', 'the body must be application/x-www-form-urlencoded');
      if (form.get('grant_type') !== 'client_credentials') return invalid('unsupported_grant_type', 'grant_type must be client_credentials');
      if (form.get('app_id') !== appId || form.get('tenant_id') !== tenantId || form.get('secret') !== secret) return invalid('invalid_client', 'app_id, tenant_id or secret is wrong');
      const issued = tokens.issue();
      return { body: { access_token: issued.token, token_type: 'bearer', expires_in: issued.expiresInSeconds } };
    },
    [`POST ${employeeWindowPath}`]: (req: FakeRequest) =>
      windowPage(req, (body, start, stop) =>
        [...employees.values()]
          .filter((e) => body.withDisabled === true || !disabledStatuses.has(String(e.recordInfo.employeeStatus)))
          .filter((e) => body.isWithDeleted === true || !(e.employeeInfo.stdIsDeleted || e.recordInfo.stdIsDeleted))
          .filter((e) => inWindow([e.employeeInfo.modifiedTime, e.recordInfo.modifiedTime], start, stop))
          .map((e) => {
            const { translateProperties, ...recordInfo } = e.recordInfo;
            const record = { employeeInfo: e.employeeInfo, recordInfo: body.enableTranslate === true ? { ...recordInfo, translateProperties: translateProperties ?? {} } : recordInfo };
            return { modifiedTime: later(e.employeeInfo.modifiedTime, e.recordInfo.modifiedTime), key: e.employeeInfo.userID, record };
          }),
      ),
    [`POST ${organizationWindowPath}`]: (req: FakeRequest) =>
      windowPage(req, (body, start, stop) =>
        [...organizations.values()]
          .filter((o) => body.isWithDeleted === true || !o.stdIsDeleted)
          .filter((o) => inWindow([o.modifiedTime], start, stop))
          .map((o) => ({ modifiedTime: o.modifiedTime, key: o.oId, record: o })),
      ),
  };

  /** `{organizations: [...], employees: [{employeeInfo, recordInfo}]}` in Beisen's shape; modifiedTime defaults to now, or to the one before when the record is seeded again unchanged. */
  function seed(input: unknown): void {
    if (typeof input !== 'object' || input === null) throw new FakeInputError('seed body must be an object');
    const { organizations: orgs = [], employees: people = [] } = input as { organizations?: unknown; employees?: unknown };
    if (!Array.isArray(orgs) || !Array.isArray(people)) throw new FakeInputError('seed: organizations and employees must be arrays');
    const stamp = chinaDateTime(new Date());
    // As Beisen stamps only what an edit changed: a record seeded again unchanged keeps its modifiedTime.
    const stamped = <T extends { modifiedTime?: string }>(next: T, before: T | undefined): T => {
      if (next.modifiedTime !== undefined) return next;
      const same = before !== undefined && JSON.stringify({ ...before, modifiedTime: undefined }) === JSON.stringify({ ...next, modifiedTime: undefined });
      return { ...next, modifiedTime: same ? before.modifiedTime : stamp };
    };
    const nextOrgs = new Map<number, BeisenOrganization>();
    orgs.forEach((o: BeisenOrganization, i) => {
      if (!Number.isInteger(o?.oId) || typeof o.name !== 'string' || o.name === '') throw new FakeInputError(`seed: organizations[${i}] needs an integer oId and a name`);
      nextOrgs.set(o.oId, stamped({ status: 1, ...o }, organizations.get(o.oId)));
    });
    const nextPeople = new Map<number, BeisenEmployee>();
    people.forEach((e: BeisenEmployee, i) => {
      const userID = e?.employeeInfo?.userID;
      if (!Number.isInteger(userID) || typeof e.employeeInfo.name !== 'string') throw new FakeInputError(`seed: employees[${i}].employeeInfo needs an integer userID and a name`);
      const status = String(e.recordInfo?.employeeStatus ?? '');
      if (!['1', '2', '3', '4', '5', '6', '8'].includes(status)) throw new FakeInputError(`seed: employees[${i}].recordInfo.employeeStatus must be 1, 2, 3, 4, 5, 6 or 8`);
      const before = employees.get(userID);
      nextPeople.set(userID, {
        employeeInfo: stamped({ ...e.employeeInfo }, before?.employeeInfo),
        recordInfo: stamped({ ...e.recordInfo, userID, employeeStatus: status }, before?.recordInfo),
      });
    });
    organizations = nextOrgs;
    employees = nextPeople;
    scrolls.clear();
  }
  seed(demoSeed());

  const server = await startFakeServer({
    port: options.port,
    host: options.host,
    prefix: '',
    vendor: {
      routes,
      rateLimitReply: rateLimited,
      notFoundReply: () => ({ status: 404, body: { code: '404', message: 'Not Found' } }),
      state: () => ({ tenantId, organizations: [...organizations.values()], employees: [...employees.values()] }),
      seed,
      emit: async () => {
        throw new FakeInputError('emit: Beisen pushes no change events to this kind');
      },
      revokeTokens: () => tokens.revokeAll(),
    },
  });
  return { url: server.url, baseUrl: server.url, close: server.close };
}

function later(a: string | undefined, b: string | undefined): string | undefined {
  return (a ?? '') > (b ?? '') ? a : b;
}
