// WeCom HTTP client: access token (cached, refreshed, retried once on 40014/42001/41001), errcode
// envelope checks, error classification and a per-API rate limiter. Secrets never reach errors.
import { VendorError } from '../errors';
import { classifyVendorCode, failedResult, requestJson, scrubSecrets, type JsonResponse, type QueryValue, type VendorOutcome } from '../shared/http';
import { inProcessRateLimiters, type RateLimiter, type RateLimiterFactory } from '../shared/rate-limiter';
import { AccessTokenCache } from '../shared/token-cache';
import { wecomDocumentedHosts } from './hosts';

export interface WecomClientOptions {
  baseUrl: string;
  corpId: string;
  corpSecret: string;
  /** per API (path); WeCom allows 10,000/min per corp per API */
  rateLimitPerMinute?: number;
  /** wait hint after 45009/45033 before calls resume (WeCom blocks a minute) */
  rateLimitBackoffMs?: number;
  timeoutMs?: number;
  /** the tenant's shared limiters (a run's context); default: this client limits itself in-process */
  rateLimiters?: RateLimiterFactory;
}

export interface WecomEnvelope {
  errcode: number;
  errmsg: string;
}

/** -1 busy, 45009 frequency limit, 45033 concurrency limit: try again later. */
const transientCodes = new Set([-1, 45009, 45033]);
const rateLimitCodes = new Set([45009, 45033]);
/** the token is gone: fetch a new one and repeat the call once */
const tokenCodes = new Set([40014, 42001, 41001]);

/** 40001 wrong secret, 40013 wrong corpid, and the token codes: the credentials are refused. */
const authCodes = new Set([40001, 40013, ...tokenCodes]);

/** The vendor's verdict for metrics and traces: errcode 0 is the only ok, even inside an HTTP 200. */
export function wecomOutcome(response: JsonResponse<unknown>): VendorOutcome | undefined {
  return wecomCodeOutcome((response.body as Partial<WecomEnvelope> | undefined)?.errcode);
}

function wecomCodeOutcome(errcode: unknown): VendorOutcome | undefined {
  return classifyVendorCode(errcode, { ok: 0, rateLimited: rateLimitCodes, authFailed: authCodes });
}

export const defaultRateLimitPerMinute = 9_000;

export class WecomClient {
  private readonly baseUrl: string;
  private readonly tokens: AccessTokenCache;
  private readonly limiter: RateLimiter;

  constructor(private readonly options: WecomClientOptions) {
    if (!options.baseUrl) throw new VendorError('permanent', 'invalid_input', 'baseUrl: required');
    if (!options.corpId) throw new VendorError('permanent', 'invalid_input', 'corpId: required');
    if (!options.corpSecret) throw new VendorError('permanent', 'invalid_input', 'corpSecret: required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Default sits under WeCom's 10,000/min so a second process or a clock skew does not tip it over.
    this.limiter = (options.rateLimiters ?? inProcessRateLimiters)({ name: 'wecom', limit: options.rateLimitPerMinute ?? defaultRateLimitPerMinute, windowMs: 60_000 });
    this.tokens = new AccessTokenCache({ fetchToken: () => this.fetchToken() });
  }

  async get<T extends object>(path: string, query: Record<string, QueryValue> = {}): Promise<T & WecomEnvelope> {
    return this.call<T>('GET', path, query, undefined);
  }

  async post<T extends object>(path: string, body: unknown, query: Record<string, QueryValue> = {}): Promise<T & WecomEnvelope> {
    return this.call<T>('POST', path, query, body);
  }

  /** All (userid, department) rows of `user/list_id`, one page per yield. */
  async *listUserIds(limit = 10_000): AsyncGenerator<Array<{ userid: string; department: number }>> {
    let cursor = '';
    for (;;) {
      const page = await this.post<{ next_cursor?: string; dept_user?: Array<{ userid: string; department: number }> }>('/user/list_id', {
        cursor: cursor || undefined,
        limit,
      });
      yield page.dept_user ?? [];
      if (!page.next_cursor) return;
      if (page.next_cursor === cursor) throw new VendorError('permanent', 'invalid_response', 'user/list_id returned the same cursor twice');
      cursor = page.next_cursor;
    }
  }

  private async call<T extends object>(method: 'GET' | 'POST', path: string, query: Record<string, QueryValue>, body: unknown): Promise<T & WecomEnvelope> {
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.tokens.get();
      try {
        return await this.send<T>(method, path, { ...query, access_token: token }, body, token);
      } catch (err) {
        if (attempt === 0 && err instanceof VendorError && tokenCodes.has(Number(err.vendorCode))) {
          this.tokens.invalidate(token);
          continue;
        }
        throw err;
      }
    }
  }

  private async fetchToken(): Promise<{ token: string; expiresInSeconds: number }> {
    const res = await this.send<{ access_token?: string; expires_in?: number }>('GET', '/gettoken', {
      corpid: this.options.corpId,
      corpsecret: this.options.corpSecret,
    });
    if (typeof res.access_token !== 'string' || res.access_token === '') {
      throw new VendorError('permanent', 'invalid_response', 'gettoken answered without access_token');
    }
    return { token: res.access_token, expiresInSeconds: typeof res.expires_in === 'number' ? res.expires_in : 7200 };
  }

  private async send<T extends object>(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, QueryValue>,
    body?: unknown,
    token?: string,
  ): Promise<T & WecomEnvelope> {
    await this.limiter.acquire(path);
    const secrets = [this.options.corpSecret, token];
    let response;
    try {
      response = await requestJson<T & Partial<WecomEnvelope>>({
        vendor: 'wecom',
        method,
        url: `${this.baseUrl}${path}`,
        query,
        body,
        timeoutMs: this.options.timeoutMs,
        allowedHosts: wecomDocumentedHosts,
        outcome: wecomOutcome,
      });
    } catch (err) {
      if (err instanceof VendorError) throw this.scrub(err, secrets);
      throw err;
    }
    const envelope = response.body;
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.errcode !== 'number') {
      throw new VendorError('permanent', 'invalid_response', `${path}: answer has no errcode (HTTP ${response.status})`);
    }
    if (envelope.errcode !== 0) throw this.vendorError(path, envelope.errcode, String(envelope.errmsg ?? ''), secrets);
    return envelope as T & WecomEnvelope;
  }

  private vendorError(path: string, errcode: number, errmsg: string, secrets: Array<string | undefined>): VendorError {
    const message = scrubSecrets(errmsg, secrets);
    if (rateLimitCodes.has(errcode)) {
      const waitMs = this.options.rateLimitBackoffMs ?? 60_000;
      // The quota is the corp's: one refusal slows every API of this client.
      this.limiter.pauseAll(waitMs);
      return new VendorError('transient', String(errcode), message, waitMs, `WeCom ${path} failed: ${errcode} ${message}`, 'rate_limited');
    }
    const kind = transientCodes.has(errcode) ? 'transient' : 'permanent';
    return new VendorError(kind, String(errcode), message, undefined, `WeCom ${path} failed: ${errcode} ${message}`, failedResult(wecomCodeOutcome(errcode)));
  }

  private scrub(err: VendorError, secrets: Array<string | undefined>): VendorError {
    return err.withText(scrubSecrets(err.vendorMessage, secrets), scrubSecrets(err.message, secrets));
  }
}
