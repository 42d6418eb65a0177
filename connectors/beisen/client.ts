// Beisen iTalent HTTP client: the OAuth token (POST /OAuth/Token, a form; cached, refreshed on an
// HTTP 401), the {code,message,scrollId,isLastData,data} envelope with code "200" = ok, both rate
// windows (50/s, 1,500/min; ours stay below) and scrollId paging. A scroll expires when its next
// page is asked more than 10 s after the last, so a window's pages are fetched back to back and
// handed over whole. Secrets never reach errors.
import { VendorError } from '../errors';
import { classifyVendorCode, failedResult, requestJson, scrubSecrets, type JsonResponse, type VendorOutcome } from '../shared/http';
import { acquirePerSecondAndMinute, inProcessRateLimiters, type RateLimiter, type RateLimiterFactory } from '../shared/rate-limiter';
import { AccessTokenCache } from '../shared/token-cache';
import { beisenDocumentedHosts } from './hosts';

export const beisenBaseUrl = 'https://openapi.italent.cn';
export const tokenPath = '/OAuth/Token';
export const employeeWindowPath = '/TenantBaseExternal/api/v5/Employee/GetByTimeWindow';
export const organizationWindowPath = '/TenantBaseExternal/api/v5/Organization/GetByTimeWindow';
export const maxCapacity = 300;
export const defaultRatePerSecond = 40;
export const defaultRatePerMinute = 1_200;

export interface BeisenClientOptions {
  baseUrl: string;
  tenantId: string;
  appId: string;
  secret: string;
  ratePerSecond?: number;
  ratePerMinute?: number;
  /** wait after a rate-limit answer (default 1 s) */
  rateLimitBackoffMs?: number;
  timeoutMs?: number;
  /** the tenant's shared limiters (a run's context); default: this client limits itself in-process */
  rateLimiters?: RateLimiterFactory;
}

export interface BeisenScrollAnswer<T> {
  code?: string;
  message?: string;
  scrollId?: string;
  isLastData?: boolean;
  total?: number;
  data?: T[];
}

/** Codes Beisen answers in its envelope: 417 = parameter or business rule refused, 500 = its own failure. */
const transientCodes = new Set(['500', '429']);
const quota = 'openapi';

/** The vendor's verdict for metrics and traces: code "200" is the only ok; the token endpoint's OAuth `error` is a credential refusal. */
export function beisenOutcome(response: JsonResponse<unknown>): VendorOutcome | undefined {
  const body = response.body as { code?: unknown; error?: unknown } | undefined;
  if (typeof body?.error === 'string' && body.error !== '') return { result: /client|grant|unauthorized/i.test(body.error) ? 'auth_failed' : 'refused', code: body.error };
  return classifyVendorCode(body?.code, { ok: '200', rateLimited: new Set(['429']), authFailed: new Set(['401']) });
}
const maxScrollRestarts = 2;

/** A later page refused: the scroll expired between pages. */
class ScrollLost extends Error {
  constructor(override readonly cause: VendorError) {
    super(cause.message);
  }
}

export class BeisenClient {
  private readonly baseUrl: string;
  private readonly tokens: AccessTokenCache;
  private readonly perSecond: RateLimiter;
  private readonly perMinute: RateLimiter;

  constructor(private readonly options: BeisenClientOptions) {
    for (const field of ['baseUrl', 'tenantId', 'appId', 'secret'] as const) {
      if (!options[field]) throw new VendorError('permanent', 'invalid_input', `${field}: required`);
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.perSecond = (options.rateLimiters ?? inProcessRateLimiters)({ limit: options.ratePerSecond ?? defaultRatePerSecond, windowMs: 1_000 });
    this.perMinute = (options.rateLimiters ?? inProcessRateLimiters)({ limit: options.ratePerMinute ?? defaultRatePerMinute, windowMs: 60_000 });
    this.tokens = new AccessTokenCache({ fetchToken: () => this.fetchToken() });
  }

  /**
   * Every record of one time window: the first page, then each scrollId until isLastData, asked
   * right after the last (no pause: Beisen drops a scroll left alone for more than 10 s). A scroll
   * that died anyway (our own rate limiter held a page back) is refused with "417" on its next page:
   * the window is read again from its start, twice at most, then the run retries later.
   */
  async scrollWindow<T>(path: string, body: Record<string, unknown>, capacity = maxCapacity): Promise<T[]> {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > maxCapacity) {
      throw new VendorError('permanent', 'invalid_input', `capacity: must be an integer from 1 to ${maxCapacity}`);
    }
    for (let restart = 0; ; restart += 1) {
      try {
        return await this.scrollOnce<T>(path, body, capacity);
      } catch (err) {
        if (!(err instanceof ScrollLost)) throw err;
        if (restart >= maxScrollRestarts) throw new VendorError('transient', err.cause.vendorCode, `${path}: the scroll expired ${restart + 1} times (${err.cause.vendorMessage})`);
      }
    }
  }

  private async scrollOnce<T>(path: string, body: Record<string, unknown>, capacity: number): Promise<T[]> {
    const records: T[] = [];
    let scrollId = '';
    for (let page = 0; ; page += 1) {
      let answer: BeisenScrollAnswer<T>;
      try {
        answer = await this.post<BeisenScrollAnswer<T>>(path, { ...body, capacity, scrollId });
      } catch (err) {
        // Only a later page can meet a dead scroll; on the first, 417 is a refused query.
        if (scrollId !== '' && err instanceof VendorError && err.vendorCode === '417') throw new ScrollLost(err);
        throw err;
      }
      records.push(...(answer.data ?? []));
      if (answer.isLastData !== false) return records;
      if (!answer.scrollId || page > 100_000) throw new VendorError('permanent', 'invalid_response', `${path}: isLastData false without a scrollId`);
      scrollId = answer.scrollId;
    }
  }

  /** One API call with the token; a 401 (token expired or revoked) fetches a new one and repeats once. */
  async post<T extends { code?: string; message?: string }>(path: string, body: unknown): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.tokens.get();
      try {
        return await this.send<T>(path, body, token);
      } catch (err) {
        if (attempt === 0 && err instanceof VendorError && err.vendorCode === 'http_401') {
          this.tokens.invalidate(token);
          continue;
        }
        throw err;
      }
    }
  }

  private async fetchToken(): Promise<{ token: string; expiresInSeconds: number }> {
    const { appId, tenantId, secret } = this.options;
    const response = await this.exchange<{ access_token?: string; expires_in?: number; error?: string; error_description?: string; code?: string; message?: string }>(
      tokenPath,
      { form: { app_id: appId, tenant_id: tenantId, secret, grant_type: 'client_credentials' } },
    );
    const body = response.body ?? {};
    if (response.status !== 200 || typeof body.access_token !== 'string' || body.access_token === '') {
      const code = body.error ?? body.code ?? `http_${response.status}`;
      const message = scrubSecrets(String(body.error_description ?? body.message ?? 'no access_token in the answer'), [secret]);
      // A rate-limited token call is worth a retry; a refused credential is not.
      const kind = response.status === 429 || body.code === '429' ? 'transient' : 'permanent';
      throw new VendorError(kind, String(code), message, undefined, `Beisen ${tokenPath} refused: ${code} ${message}`, failedResult(beisenOutcome(response)));
    }
    return { token: body.access_token, expiresInSeconds: typeof body.expires_in === 'number' ? body.expires_in : 7200 };
  }

  private async send<T extends { code?: string; message?: string }>(path: string, body: unknown, token: string): Promise<T> {
    await acquirePerSecondAndMinute(this.perSecond, this.perMinute, quota);
    const response = await this.exchange<T>(path, { body, headers: { authorization: `Bearer ${token}` } }, token);
    const envelope = response.body;
    if (response.status === 429 || envelope?.code === '429') {
      const waitMs = this.options.rateLimitBackoffMs ?? 1_000;
      this.perSecond.pauseAll(waitMs);
      this.perMinute.pauseAll(waitMs);
      throw new VendorError('transient', '429', String(envelope?.message ?? 'rate limited'), waitMs, `Beisen ${path} rate limited: retry in ${waitMs} ms`, 'rate_limited');
    }
    if (response.status === 401) throw new VendorError('permanent', 'http_401', 'access token refused', undefined, `Beisen ${path}: HTTP 401`);
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.code !== 'string') {
      throw new VendorError('permanent', response.status < 400 ? 'invalid_response' : `http_${response.status}`, `${path}: answer has no code (HTTP ${response.status})`);
    }
    if (envelope.code !== '200') {
      const message = scrubSecrets(String(envelope.message ?? ''), [this.options.secret, token]);
      const kind = transientCodes.has(envelope.code) ? 'transient' : 'permanent';
      throw new VendorError(kind, envelope.code, message, undefined, `Beisen ${path} failed: ${envelope.code} ${message}`, failedResult(beisenOutcome(response)));
    }
    return envelope;
  }

  private async exchange<T>(path: string, init: { body?: unknown; form?: Record<string, string>; headers?: Record<string, string> }, token?: string) {
    try {
      return await requestJson<T>({ vendor: 'beisen', method: 'POST', url: `${this.baseUrl}${path}`, ...init, timeoutMs: this.options.timeoutMs, allowedHosts: beisenDocumentedHosts, outcome: beisenOutcome });
    } catch (err) {
      if (err instanceof VendorError) {
        const secrets = [this.options.secret, token];
        throw err.withText(scrubSecrets(err.vendorMessage, secrets), scrubSecrets(err.message, secrets));
      }
      throw err;
    }
  }
}
