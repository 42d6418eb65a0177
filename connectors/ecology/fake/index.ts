// A faithful local 泛微 e-cology E9 HRM REST API: the same /api/hrm/resful paths, form bodies
// (`params` / `data` as JSON text), paged `{code:"1", data:{totalSize, dataList, pageSize, page}}`
// answers, per-record results, and both authentication modes (the IP allow-list, or a token
// `{key: UPPER(MD5(tokenKey + ts)), ts}` valid 5 minutes), plus the /__fake control routes.
import { createHash } from 'node:crypto';
import { FakeInputError, startFakeServer, type FakeReply, type FakeRequest } from '../../shared/fake-kit';
import type { EcologyDepartment, EcologySubcompany, EcologyUser } from '../mapping';
import { EcologyDirectory, EcologyRecordError } from './directory';

export { EcologyDirectory } from './directory';

export const ecologyFakeDefaults = { tokenKey: 'fake-ecology-token-key' };
export const ecologyApiPrefix = '/api/hrm/resful';
/** the token's lifetime, as e-cology documents it */
export const tokenValidityMs = 5 * 60_000;

export interface EcologyFakeOptions {
  port?: number;
  host?: string;
  /** the token key of hrm_webservice_config.jsp; a valid token is accepted from any address */
  tokenKey?: string;
  /** HrmWebserviceIP.properties: callers from these addresses need no token */
  allowedIps?: string[];
  now?: () => number;
}

export interface RunningEcologyFake {
  url: string;
  /** the server root, what the connector's baseUrl is set to */
  baseUrl: string;
  close(): Promise<void>;
}

type Row = Record<string, unknown>;

// e-cology's refusal envelopes outside a record (auth, bad params) are not in the standard API docs
// we have: these codes are the fake's, listed as unverified in the connector's README.
const refuse = (code: string, msg: string): FakeReply => ({ body: { code, msg } });
export const ecologyAuthFailedCode = '-1';
export const ecologyBadParamsCode = '0';

export function ecologyTokenKey(tokenKey: string, ts: string): string {
  return createHash('md5').update(tokenKey + ts).digest('hex').toUpperCase();
}

function form(req: FakeRequest): URLSearchParams {
  return new URLSearchParams(req.rawBody);
}

function jsonField(body: URLSearchParams, field: string): unknown {
  const raw = body.get(field);
  if (raw === null || raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return Symbol.for('invalid');
  }
}

const normalizeIp = (ip: string) => ip.replace(/^::ffff:/, '');

export async function startEcologyFake(options: EcologyFakeOptions = {}): Promise<RunningEcologyFake> {
  const tokenKey = options.tokenKey ?? ecologyFakeDefaults.tokenKey;
  const allowedIps = (options.allowedIps ?? []).map(normalizeIp);
  const now = options.now ?? Date.now;
  let dir = new EcologyDirectory();

  /** why the caller is refused, or undefined: an allow-listed address, or a fresh valid token (body field or key/ts headers) */
  function authRefusal(req: FakeRequest): string | undefined {
    if (allowedIps.includes(normalizeIp(req.ip))) return undefined;
    let token = jsonField(form(req), 'token') as Row | undefined | symbol;
    if (token === undefined && typeof req.headers.key === 'string') token = { key: req.headers.key, ts: req.headers.ts };
    if (token === undefined) return `IP ${normalizeIp(req.ip)} 不在白名单中，且未提供 token`;
    if (typeof token !== 'object' || token === null) return 'token 格式错误';
    const ts = String(token.ts ?? '');
    if (!/^\d{10,16}$/.test(ts) || Math.abs(now() - Number(ts)) > tokenValidityMs) return 'token 已过期';
    return token.key === ecologyTokenKey(tokenKey, ts) ? undefined : 'token 校验失败';
  }

  function paged<T>(req: FakeRequest, rows: T[]): FakeReply {
    const params = jsonField(form(req), 'params');
    if (typeof params === 'symbol' || (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params)))) {
      return refuse(ecologyBadParamsCode, 'params 格式错误');
    }
    const p = (params ?? {}) as Row;
    const pageSize = p.pagesize === undefined ? 20 : Number(p.pagesize);
    const page = p.curpage === undefined ? 1 : Number(p.curpage);
    if (!Number.isInteger(pageSize) || pageSize < 1 || !Number.isInteger(page) || page < 1) return refuse(ecologyBadParamsCode, 'pagesize/curpage 格式错误');
    const dataList = rows.slice((page - 1) * pageSize, page * pageSize);
    return { body: { code: '1', data: { totalSize: rows.length, dataList, pageSize, page } } };
  }

  /** one answer per record, keyed by the record's key; a refused record leaves the rest done */
  function sync(req: FakeRequest, keyField: string, write: (row: Row) => void): FakeReply {
    const data = jsonField(form(req), 'data');
    if (!Array.isArray(data)) return refuse(ecologyBadParamsCode, 'data 必须是 JSON 数组');
    const result: Record<string, { code: string; msg: string }> = {};
    data.forEach((row: unknown, index) => {
      const record = typeof row === 'object' && row !== null && !Array.isArray(row) ? (row as Row) : undefined;
      const key = String(record?.[keyField] ?? `#${index}`);
      try {
        if (!record) throw new EcologyRecordError('0', '记录格式错误');
        write(record);
        result[key] = { code: '1', msg: '成功' };
      } catch (err) {
        if (!(err instanceof EcologyRecordError)) throw err;
        result[key] = { code: err.code, msg: err.msg };
      }
    });
    return { body: { code: '1', result } };
  }

  const guarded =
    (handler: (req: FakeRequest) => FakeReply) =>
    (req: FakeRequest): FakeReply => {
      const refusal = authRefusal(req);
      return refusal ? refuse(ecologyAuthFailedCode, refusal) : handler(req);
    };
  const byId = <T extends { id: number }>(rows: Iterable<T>) => [...rows].sort((a, b) => a.id - b.id);

  const routes = {
    'POST /getHrmsubcompanyWithPage': guarded((req) => paged<EcologySubcompany>(req, byId(dir.subcompanies.values()))),
    'POST /getHrmdepartmentWithPage': guarded((req) => paged<EcologyDepartment>(req, byId(dir.departments.values()))),
    'POST /getJobtitleInfoWithPage': guarded((req) => paged(req, byId(dir.jobtitles.values()))),
    'POST /getHrmUserInfoWithPage': guarded((req) => paged<EcologyUser>(req, byId(dir.users.values()).map((u) => dir.userView(u)))),
    'POST /synDepartment': guarded((req) => sync(req, 'departmentcode', (row) => dir.synDepartment(row))),
    'POST /synHrmresource': guarded((req) => sync(req, 'workcode', (row) => dir.synHrmresource(row))),
  };

  function state(): unknown {
    return {
      subcompanies: byId(dir.subcompanies.values()),
      departments: byId(dir.departments.values()),
      jobtitles: byId(dir.jobtitles.values()),
      users: byId(dir.users.values()).map((u) => dir.userView(u)),
    };
  }

  /** `{subcompanies: [{id, subcompanycode, subcompanyname}], departments: [synDepartment rows], users: [synHrmresource rows]}`, written in order through the same rules; `reset: false` adds to what is there */
  function seed(input: unknown): void {
    const body = (input ?? {}) as { subcompanies?: unknown; departments?: unknown; users?: unknown; reset?: unknown };
    const next = body.reset === false ? dir : new EcologyDirectory();
    if (body.subcompanies !== undefined) {
      if (!Array.isArray(body.subcompanies)) throw new FakeInputError('seed: subcompanies must be an array');
      body.subcompanies.forEach((s: Row, index) => {
        const id = Number(s?.id);
        if (!Number.isInteger(id) || id < 1 || typeof s.subcompanyname !== 'string') throw new FakeInputError(`seed: subcompanies[${index}] needs an integer id and a subcompanyname`);
        next.subcompanies.set(id, { id, subcompanycode: String(s.subcompanycode ?? ''), subcompanyname: s.subcompanyname, supsubcomid: Number(s.supsubcomid ?? 0), canceled: String(s.canceled ?? '0') });
      });
    }
    for (const [what, rows, write] of [
      ['departments', body.departments, (row: Row) => next.synDepartment({ '@action': 'add', subcompanyid1: '1', ...row })],
      ['users', body.users, (row: Row) => next.synHrmresource(row)],
    ] as const) {
      if (rows === undefined) continue;
      if (!Array.isArray(rows)) throw new FakeInputError(`seed: ${what} must be an array`);
      rows.forEach((row: Row, index) => {
        try {
          write(row);
        } catch (err) {
          if (err instanceof EcologyRecordError) throw new FakeInputError(`seed: ${what}[${index}]: ${err.msg}`);
          throw err;
        }
      });
    }
    dir = next;
  }

  const server = await startFakeServer({
    port: options.port,
    host: options.host,
    prefix: ecologyApiPrefix,
    vendor: {
      routes,
      // e-cology documents no rate limit for these APIs; an injected burst answers as a busy server would (unverified).
      rateLimitReply: () => ({ status: 503, body: 'Service Unavailable', contentType: 'text/plain' }),
      notFoundReply: () => ({ status: 404, body: '<html><body>404 Not Found</body></html>', contentType: 'text/html' }),
      state,
      seed,
      emit: () => Promise.reject(new FakeInputError('e-cology pushes no change events')),
      revokeTokens: () => undefined,
    },
  });
  return { url: server.url, baseUrl: server.url, close: server.close };
}

/** As started by `sync-center fake ecology`: one department, UNASSIGNED (未分配), for people in no department (the fake's taskConnector names it). */
export async function withUnassignedDepartment(fake: RunningEcologyFake): Promise<RunningEcologyFake> {
  const res = await fetch(`${fake.url}/__fake/seed`, { method: 'POST', body: JSON.stringify({ departments: [{ departmentcode: 'UNASSIGNED', departmentname: '未分配' }] }) });
  if (!res.ok) throw new Error(`fake ecology: seeding the UNASSIGNED department failed (HTTP ${res.status})`);
  return fake;
}
