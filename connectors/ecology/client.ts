// 泛微 e-cology E9 HRM REST client: form-encoded POSTs (`params` / `data` as JSON text), the
// `{code:"1"}` envelope, paged reads, per-record write results, and authentication by the server's
// IP allow-list or a token `{key: UPPER(MD5(tokenKey + ts)), ts}` made fresh for every call (it
// lives 5 minutes). e-cology is self-hosted: its host is the operator's, so allowedHosts is empty
// and the host must be allow-listed (SYNC_CENTER_ALLOWED_HOSTS). The token key never reaches an error.
import { createHash } from 'node:crypto';
import { VendorError } from '../errors';
import { classifyVendorCode, failedResult, requestJson, scrubSecrets, type JsonResponse, type VendorOutcome } from '../shared/http';
import { ecologyDocumentedHosts } from './hosts';

export type EcologyAuth = 'token' | 'ip-allowlist';

export interface EcologyClientOptions {
  /** the e-cology server root, e.g. https://oa.example.com */
  baseUrl: string;
  auth: EcologyAuth;
  tokenKey?: string;
  timeoutMs?: number;
  now?: () => number;
}

interface Envelope {
  code?: unknown;
  msg?: unknown;
  data?: unknown;
  result?: unknown;
}

export interface Page<T> {
  totalSize: number;
  dataList: T[];
}

/** One record's answer to a sync write: code "1" is done. */
export interface RecordResult {
  code: string;
  msg: string;
}

const apiPath = '/api/hrm/resful';

export function ecologyToken(tokenKey: string, ts: number): string {
  const key = createHash('md5').update(tokenKey + String(ts)).digest('hex').toUpperCase();
  return JSON.stringify({ key, ts: String(ts) });
}

/**
 * The call's verdict for metrics and traces: code "1" is the only ok, "-1" refuses the caller (token,
 * IP allow list). A batch's per-record refusals stay in its result, not in the call's class.
 */
export function ecologyOutcome(response: JsonResponse<unknown>): VendorOutcome | undefined {
  const code = (response.body as { code?: unknown } | undefined)?.code;
  return classifyVendorCode(code, { ok: '1', authFailed: new Set(['-1']) });
}

export class EcologyClient {
  private readonly baseUrl: string;

  constructor(private readonly options: EcologyClientOptions) {
    if (!options.baseUrl) throw new VendorError('permanent', 'invalid_input', 'baseUrl: required');
    if (options.auth === 'token' && !options.tokenKey) throw new VendorError('permanent', 'invalid_input', 'connector.secrets.tokenKey: required when auth is "token"');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** Every record of a paged read, one page per yield (pagesize/curpage; stops at totalSize or a short page). */
  async *readAll<T>(api: string, pageSize: number, params: Record<string, unknown> = {}): AsyncGenerator<T[]> {
    let seen = 0;
    for (let page = 1; ; page += 1) {
      const answer = await this.call(api, { params: JSON.stringify({ ...params, pagesize: pageSize, curpage: page }) });
      const data = answer.data as Partial<Page<T>> | undefined;
      if (typeof data !== 'object' || data === null || !Array.isArray(data.dataList)) {
        throw new VendorError('permanent', 'invalid_response', `${api}: answer has no data.dataList`);
      }
      seen += data.dataList.length;
      if (data.dataList.length > 0) yield data.dataList;
      const total = Number(data.totalSize);
      if (data.dataList.length < pageSize || (Number.isFinite(total) && seen >= total)) return;
      if (page > 100_000) throw new VendorError('permanent', 'invalid_response', `${api}: paging did not end`);
    }
  }

  /** One sync write of one record; the record's own result decides: anything but code "1" fails it, with e-cology's code and message. */
  async sync(api: 'synDepartment' | 'synHrmresource', key: string, record: Record<string, unknown>): Promise<void> {
    const answer = await this.call(api, { data: JSON.stringify([record]) });
    const results = answer.result as Record<string, Partial<RecordResult>> | undefined;
    const mine = typeof results === 'object' && results !== null ? results[key] : undefined;
    if (!mine) throw new VendorError('permanent', 'invalid_response', `${api}: no result for ${key}`);
    const code = String(mine.code ?? '');
    if (code !== '1') {
      const message = scrubSecrets(String(mine.msg ?? ''), [this.options.tokenKey]);
      throw new VendorError('permanent', code || 'unknown', message, undefined, `e-cology ${api} refused ${key}: ${code} ${message}`);
    }
  }

  private async call(api: string, fields: Record<string, string>): Promise<Envelope> {
    const form = { ...fields };
    if (this.options.auth === 'token') form.token = ecologyToken(this.options.tokenKey!, (this.options.now ?? Date.now)());
    const secrets = [this.options.tokenKey];
    let response;
    try {
      response = await requestJson<Envelope>({
        vendor: 'ecology',
        outcome: ecologyOutcome,
        method: 'POST',
        url: `${this.baseUrl}${apiPath}/${api}`,
        form,
        timeoutMs: this.options.timeoutMs,
        allowedHosts: ecologyDocumentedHosts,
      });
    } catch (err) {
      if (err instanceof VendorError) throw err.withText(scrubSecrets(err.vendorMessage, secrets), scrubSecrets(err.message, secrets));
      throw err;
    }
    const envelope = response.body;
    if (response.status >= 400) throw new VendorError('permanent', `http_${response.status}`, `${api}: HTTP ${response.status}`);
    if (typeof envelope !== 'object' || envelope === null || envelope.code === undefined) {
      throw new VendorError('permanent', 'invalid_response', `${api}: answer has no code (HTTP ${response.status})`);
    }
    const code = String(envelope.code);
    if (code !== '1') {
      const message = scrubSecrets(String(envelope.msg ?? ''), secrets);
      throw new VendorError('permanent', code, message, undefined, `e-cology ${api} failed: ${code} ${message}`, failedResult(ecologyOutcome(response)));
    }
    return envelope;
  }
}
