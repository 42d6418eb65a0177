// A faithful local Moka People open API under /api-platform/hcm/oapi: HTTP Basic with the API key,
// the signed query (apiCode per API, entCode, nonce, timestamp, sign verified MD5withRSA with the
// tenant's public key), the department and employee lists (pageNum/pageSize ≤ 200; employees by
// startDate/endDate), the {code,msg,data} envelope and 3 calls/s, 60/min per enterprise.
// What VENDORS.md does not say (codes, messages, field names) is listed in ../README.md.
import { FakeInputError, FakeRateLimiter, parseJson, startFakeServer, type FakeReply, type FakeRequest } from '../../shared/fake-kit';
import { departmentsPath, employeesPath, maxPageSize } from '../client';
import type { MokaDepartment, MokaEmployee } from '../mapping';
import { verifyQuery } from '../signing';
import { fakePrivateKey, fakePublicKey } from './default-keys';

export const mokaFakeDefaults = {
  entCode: 'fake-ent-0001',
  apiKey: 'fake-moka-api-key',
  departmentsApiCode: 'fake-dept-api',
  employeesApiCode: 'fake-emp-api',
  privateKey: fakePrivateKey,
  publicKey: fakePublicKey,
};

export interface MokaFakeOptions {
  port?: number;
  host?: string;
  entCode?: string;
  apiKey?: string;
  departmentsApiCode?: string;
  employeesApiCode?: string;
  /** PEM of the public key the tenant registered with Moka */
  publicKey?: string;
  ratePerSecond?: number;
  ratePerMinute?: number;
  /** how far a timestamp may be from the fake's clock (default 5 min) */
  timestampToleranceMs?: number;
}

export interface RunningMokaFake {
  url: string;
  baseUrl: string;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;
export const prefix = '/api-platform/hcm/oapi';

/** The demo company: names and mobiles no test seeds elsewhere, so a hub it fills never merges them. */
export function demoSeed(): { departments: MokaDepartment[]; employees: MokaEmployee[] } {
  const person = (employee_id: number, name: string, email: string, department_id: number, report_leader_id: number | null): MokaEmployee => ({
    employee_id, name, email, mobile: `1391000${String(employee_id % 10_000).padStart(4, '0')}`, employee_no: `M${employee_id}`, department_id, position_name: 'Staff', employee_status: 1, report_leader_id, entry_date: '2021-03-01',
  });
  return {
    departments: [
      { nodeUid: 1, nodeName: 'Moka示例公司', nodeCode: 'DEMO', parentNodeUid: null, sortNum: 1, haveUsed: 1 },
      { nodeUid: 2, nodeName: '产品部', nodeCode: 'PROD', parentNodeUid: 1, sortNum: 1, haveUsed: 1 },
    ],
    employees: [person(501, '陈静', 'chen@acme.example', 1, null), person(502, '刘洋', 'liu@acme.example', 2, 501)],
  };
}

export async function startMokaFake(options: MokaFakeOptions = {}): Promise<RunningMokaFake> {
  const entCode = options.entCode ?? mokaFakeDefaults.entCode;
  const apiKey = options.apiKey ?? mokaFakeDefaults.apiKey;
  const apiCodes = { departments: options.departmentsApiCode ?? mokaFakeDefaults.departmentsApiCode, employees: options.employeesApiCode ?? mokaFakeDefaults.employeesApiCode };
  const publicKey = options.publicKey ?? mokaFakeDefaults.publicKey;
  const tolerance = options.timestampToleranceMs ?? 5 * 60_000;
  const perSecond = new FakeRateLimiter(options.ratePerSecond ?? 3, 1_000);
  const perMinute = new FakeRateLimiter(options.ratePerMinute ?? 60, 60_000);
  const seenNonces = new Map<string, number>();
  let departments: MokaDepartment[] = [];
  let employees: MokaEmployee[] = [];

  const answer = (code: number, msg: string, data: unknown = null, status = 200): FakeReply => ({ status, body: { code, msg, data } });
  const rateLimited = () => answer(429, '请求过于频繁，请稍后再试', null, 429);

  /** Basic auth, the signed query, the per-enterprise limits: the refusal, or undefined. */
  function refusal(req: FakeRequest, api: keyof typeof apiCodes): FakeReply | undefined {
    const basic = /^Basic (\S+)$/.exec(String(req.headers.authorization ?? ''));
    const user = basic ? Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0] : undefined;
    if (user !== apiKey) return answer(401, 'API Key无效', null, 401);
    const params: Record<string, string> = {};
    for (const [name, value] of req.query) params[name] = value;
    for (const name of ['apiCode', 'entCode', 'nonce', 'timestamp', 'sign']) if (!params[name]) return answer(400, `缺少参数${name}`);
    if (params.entCode !== entCode) return answer(403, '租户编码错误');
    if (params.apiCode !== apiCodes[api]) return answer(403, '接口编码无权限');
    const at = Number(params.timestamp);
    if (!Number.isFinite(at) || Math.abs(Date.now() - at) > tolerance) return answer(403, '请求已过期');
    if (!verifyQuery(params, params.sign, publicKey)) return answer(403, '签名验证失败');
    const now = Date.now();
    for (const [nonce, time] of seenNonces) if (now - time > tolerance) seenNonces.delete(nonce);
    if (seenNonces.has(params.nonce)) return answer(403, 'nonce已使用');
    seenNonces.set(params.nonce, now);
    if (perMinute.retryAfterMs('ent') > 0 || perSecond.retryAfterMs('ent') > 0) return rateLimited();
    perSecond.hit('ent');
    perMinute.hit('ent');
    return undefined;
  }

  function paged<T>(body: Body, rows: T[]): FakeReply {
    const pageNum = body.pageNum === undefined ? 1 : Number(body.pageNum);
    const pageSize = body.pageSize === undefined ? 20 : Number(body.pageSize);
    if (!Number.isInteger(pageNum) || pageNum < 1) return answer(400, 'pageNum必须为正整数');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > maxPageSize) return answer(400, `pageSize取值范围为1-${maxPageSize}`);
    return answer(0, 'success', { total: rows.length, pageNum, pageSize, list: rows.slice((pageNum - 1) * pageSize, pageNum * pageSize) });
  }

  const api = (name: keyof typeof apiCodes, handler: (body: Body) => FakeReply) => (req: FakeRequest): FakeReply => {
    const refused = refusal(req, name);
    if (refused) return refused;
    let body: Body;
    try {
      body = parseJson(req.rawBody) as Body;
    } catch {
      return answer(400, '请求体不是合法的JSON');
    }
    return handler(body);
  };

  const isDate = (value: unknown) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);

  const routes = {
    [`POST ${departmentsPath}`]: api('departments', (body) => {
      const used = body.haveUsed === undefined || body.haveUsed === '' ? departments : departments.filter((d) => String(d.haveUsed ?? 1) === String(body.haveUsed));
      return paged(body, used);
    }),
    [`POST ${employeesPath}`]: api('employees', (body) => {
      const { startDate, endDate } = body;
      if ((startDate === undefined) !== (endDate === undefined)) return answer(400, 'startDate和endDate需同时传入');
      if (startDate !== undefined && (!isDate(startDate) || !isDate(endDate) || String(startDate) > String(endDate))) return answer(400, 'startDate和endDate格式应为yyyy-MM-dd，且startDate不晚于endDate');
      const rows = startDate === undefined ? employees : employees.filter((e) => {
        const day = (e.update_time ?? '').slice(0, 10);
        return day >= String(startDate) && day <= String(endDate);
      });
      return paged(body, rows);
    }),
  };

  /** `{departments: [...], employees: [...]}` in Moka's shape; update_time defaults to now, or to the one before when the record is seeded again unchanged. */
  function seed(input: unknown): void {
    if (typeof input !== 'object' || input === null) throw new FakeInputError('seed body must be an object');
    const { departments: ds = [], employees: es = [] } = input as { departments?: unknown; employees?: unknown };
    if (!Array.isArray(ds) || !Array.isArray(es)) throw new FakeInputError('seed: departments and employees must be arrays');
    ds.forEach((d: MokaDepartment, i) => {
      if (!Number.isInteger(d?.nodeUid) || typeof d.nodeName !== 'string' || !d.nodeName) throw new FakeInputError(`seed: departments[${i}] needs an integer nodeUid and a nodeName`);
    });
    es.forEach((e: MokaEmployee, i) => {
      if (!Number.isInteger(e?.employee_id) || typeof e.name !== 'string') throw new FakeInputError(`seed: employees[${i}] needs an integer employee_id and a name`);
      if (![1, 2, 3, 4].includes(e.employee_status)) throw new FakeInputError(`seed: employees[${i}].employee_status must be 1, 2, 3 or 4`);
    });
    const stamp = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
    departments = ds.map((d: MokaDepartment) => ({ haveUsed: 1, ...d }));
    // As Moka stamps only what an edit changed: a record seeded again unchanged keeps its update_time.
    const before = new Map(employees.map((e) => [e.employee_id, e]));
    employees = es.map((e: MokaEmployee) => {
      if (e.update_time !== undefined && e.update_time !== null) return e;
      const old = before.get(e.employee_id);
      const same = old !== undefined && JSON.stringify({ ...old, update_time: undefined }) === JSON.stringify({ ...e, update_time: undefined });
      return { ...e, update_time: same ? old.update_time : stamp };
    });
  }
  seed(demoSeed());

  const server = await startFakeServer({
    port: options.port,
    host: options.host,
    prefix,
    vendor: {
      routes,
      rateLimitReply: rateLimited,
      notFoundReply: (req) => answer(404, `接口不存在: ${req.path}`, null, 404),
      state: () => ({ entCode, departments, employees }),
      seed,
      emit: async () => {
        throw new FakeInputError('emit: Moka webhooks are not wired to this kind');
      },
      revokeTokens: () => undefined,
    },
  });
  return { url: server.url, baseUrl: server.baseUrl, close: server.close };
}
