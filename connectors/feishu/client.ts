// Feishu / Lark HTTP client: tenant_access_token (cached, refreshed, retried once on the token
// codes), the {code,msg,data} envelope, rate limits (two windows; 429/99991400 with the reset
// hint) and page_token paging. Secrets never reach errors.
import { VendorError } from '../errors';
import { classifyVendorCode, failedResult, requestJson, scrubSecrets, type JsonResponse, type QueryValue, type VendorOutcome } from '../shared/http';
import { acquirePerSecondAndMinute, inProcessRateLimiters, type RateLimiter, type RateLimiterFactory } from '../shared/rate-limiter';
import { AccessTokenCache } from '../shared/token-cache';
import { feishuDocumentedHosts } from './hosts';

export const feishuBaseUrl = 'https://open.feishu.cn/open-apis';
export const larkBaseUrl = 'https://open.larksuite.com/open-apis';

export interface FeishuClientOptions {
  /** https://open.feishu.cn/open-apis, or https://open.larksuite.com/open-apis for Lark */
  baseUrl: string;
  appId: string;
  appSecret: string;
  /** contact API calls per second (Feishu allows 50; default 40) */
  ratePerSecond?: number;
  /** contact API calls per minute (Feishu allows 1,000; default 900) */
  ratePerMinute?: number;
  /** wait after a rate-limit answer that carries no reset header (default 1 s) */
  rateLimitFallbackMs?: number;
  timeoutMs?: number;
  /** the tenant's shared limiters (a run's context); default: this client limits itself in-process */
  rateLimiters?: RateLimiterFactory;
}

export interface FeishuEnvelope<T> {
  code: number;
  msg: string;
  data?: T;
}

export interface FeishuPage<T> {
  items?: T[];
  has_more?: boolean;
  page_token?: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** the tenant token is no longer valid: fetch a new one and repeat the call once */
export const tokenCodes = new Set([99991663, 99991668, 99991671]);
export const rateLimitCode = 99991400;

/** 99991661 no token, 10003 wrong app_id, 10014 wrong app_secret, and the token codes: the credentials are refused. */
const authCodes = new Set([99991661, 10003, 10014, ...tokenCodes]);

/** The vendor's verdict for metrics and traces: code 0 is the only ok, even inside an HTTP 200. */
export function feishuOutcome(response: JsonResponse<unknown>): VendorOutcome | undefined {
  const code = (response.body as Partial<FeishuEnvelope<unknown>> | undefined)?.code;
  return classifyVendorCode(code, { ok: 0, rateLimited: new Set([rateLimitCode]), authFailed: authCodes });
}

export const defaultRatePerSecond = 40;
export const defaultRatePerMinute = 900;
export const maxPageSize = 50;
const contactQuota = 'contact';

export class FeishuClient {
  private readonly baseUrl: string;
  private readonly tokens: AccessTokenCache;
  private readonly perSecond: RateLimiter;
  private readonly perMinute: RateLimiter;

  constructor(private readonly options: FeishuClientOptions) {
    if (!options.baseUrl) throw new VendorError('permanent', 'invalid_input', 'baseUrl: required');
    if (!options.appId) throw new VendorError('permanent', 'invalid_input', 'appId: required');
    if (!options.appSecret) throw new VendorError('permanent', 'invalid_input', 'appSecret: required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Both of Feishu's windows, below its numbers so a clock skew or a second caller does not tip it over.
    this.perSecond = (options.rateLimiters ?? inProcessRateLimiters)({ name: 'feishu', limit: options.ratePerSecond ?? defaultRatePerSecond, windowMs: 1_000 });
    this.perMinute = (options.rateLimiters ?? inProcessRateLimiters)({ name: 'feishu', limit: options.ratePerMinute ?? defaultRatePerMinute, windowMs: 60_000 });
    this.tokens = new AccessTokenCache({ fetchToken: () => this.fetchToken() });
  }

  async request<T>(method: Method, path: string, options: { query?: Record<string, QueryValue>; body?: unknown } = {}): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.tokens.get();
      try {
        return await this.send<T>(method, path, options.query ?? {}, options.body, token);
      } catch (err) {
        if (attempt === 0 && err instanceof VendorError && tokenCodes.has(Number(err.vendorCode))) {
          this.tokens.invalidate(token);
          continue;
        }
        throw err;
      }
    }
  }

  /** Every item of a page_token list, one page per yield; page_size is capped at Feishu's 50. */
  async *paginate<T>(path: string, query: Record<string, QueryValue> = {}, pageSize = maxPageSize): AsyncGenerator<T[]> {
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > maxPageSize) {
      throw new VendorError('permanent', 'invalid_input', `pageSize: must be an integer from 1 to ${maxPageSize}`);
    }
    let pageToken: string | undefined;
    for (;;) {
      const page = await this.request<FeishuPage<T>>('GET', path, { query: { ...query, page_size: pageSize, page_token: pageToken } });
      yield page.items ?? [];
      if (!page.has_more) return;
      if (!page.page_token || page.page_token === pageToken) {
        throw new VendorError('permanent', 'invalid_response', `${path}: has_more without a new page_token`);
      }
      pageToken = page.page_token;
    }
  }

  private async fetchToken(): Promise<{ token: string; expiresInSeconds: number }> {
    const res = await this.exchange<{ tenant_access_token?: string; expire?: number }>(
      'POST',
      '/auth/v3/tenant_access_token/internal',
      {},
      { app_id: this.options.appId, app_secret: this.options.appSecret },
    );
    if (typeof res.tenant_access_token !== 'string' || res.tenant_access_token === '') {
      throw new VendorError('permanent', 'invalid_response', 'tenant_access_token/internal answered without a token');
    }
    return { token: res.tenant_access_token, expiresInSeconds: typeof res.expire === 'number' ? res.expire : 7200 };
  }

  private async send<T>(method: Method, path: string, query: Record<string, QueryValue>, body: unknown, token: string): Promise<T> {
    await acquirePerSecondAndMinute(this.perSecond, this.perMinute, contactQuota);
    const envelope = await this.exchange<{ data?: T }>(method, path, query, body, token);
    return (envelope.data ?? {}) as T;
  }

  /** One HTTP exchange with the envelope checked; the token endpoint answers its fields at top level. */
  private async exchange<T extends object>(method: Method, path: string, query: Record<string, QueryValue>, body: unknown, token?: string): Promise<T> {
    const secrets = [this.options.appSecret, token];
    let response;
    try {
      response = await requestJson<Partial<FeishuEnvelope<unknown>> & T>({
        vendor: 'feishu',
        method,
        url: `${this.baseUrl}${path}`,
        query,
        body,
        headers: token ? { authorization: `Bearer ${token}` } : undefined,
        timeoutMs: this.options.timeoutMs,
        allowedHosts: feishuDocumentedHosts,
        outcome: feishuOutcome,
      });
    } catch (err) {
      if (err instanceof VendorError) throw scrub(err, secrets);
      throw err;
    }
    const envelope = response.body;
    if (response.status === 429 || envelope?.code === rateLimitCode) {
      throw this.rateLimited(path, response.headers, String(envelope?.msg ?? 'request trigger frequency limit'));
    }
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.code !== 'number') {
      throw new VendorError('permanent', response.status < 400 ? 'invalid_response' : `http_${response.status}`, `${path}: answer has no code (HTTP ${response.status})`);
    }
    if (envelope.code !== 0) {
      const message = scrubSecrets(String(envelope.msg ?? ''), secrets);
      // Other codes are the record's fault (or a permission): retrying cannot help. 5xx is transient in requestJson.
      throw new VendorError('permanent', String(envelope.code), message, undefined, `Feishu ${method} ${path} failed: ${envelope.code} ${message}`, failedResult(feishuOutcome(response)));
    }
    return envelope;
  }

  private rateLimited(path: string, headers: Headers, message: string): VendorError {
    const resetSeconds = Number(headers.get('x-ogw-ratelimit-reset'));
    const waitMs = Number.isFinite(resetSeconds) && resetSeconds > 0 ? resetSeconds * 1000 : (this.options.rateLimitFallbackMs ?? 1_000);
    // The quota is the app's per tenant: one refusal holds back every call of this client.
    this.perSecond.pauseAll(waitMs);
    this.perMinute.pauseAll(waitMs);
    return new VendorError('transient', String(rateLimitCode), message, waitMs, `Feishu ${path} rate limited: retry in ${waitMs} ms`, 'rate_limited');
  }
}

function scrub(err: VendorError, secrets: Array<string | undefined>): VendorError {
  return err.withText(scrubSecrets(err.vendorMessage, secrets), scrubSecrets(err.message, secrets));
}
