// DingTalk HTTP client: the oapi access token (cached, refreshed, one retry on an invalid token), the
// errcode envelope with sub_code unwrapped from 88, rate-limit codes as transient with back-off, a
// limiter under 40 calls/s and 1,500/min per API, and cursor paging. Secrets never reach errors.
import { VendorError } from '../errors';
import { classifyVendorCode, failedResult, requestJson, scrubSecrets, type JsonResponse, type QueryValue, type VendorOutcome } from '../shared/http';
import { acquirePerSecondAndMinute, inProcessRateLimiters, type RateLimiter, type RateLimiterFactory } from '../shared/rate-limiter';
import { AccessTokenCache, type IssuedToken } from '../shared/token-cache';
import { dingtalkDocumentedHosts } from './hosts';
import type { DingtalkUser } from './mapping';

export interface DingtalkClientOptions {
  /** e.g. https://oapi.dingtalk.com */
  oapiBaseUrl: string;
  /** e.g. https://api.dingtalk.com (default), for the new-API token */
  apiBaseUrl?: string;
  appKey: string;
  appSecret: string;
  /** per API; default 35 (DingTalk refuses over 40/s with 90018) */
  ratePerSecond?: number;
  /** per API; default 1,400 (DingTalk refuses over 1,500/min with 90006) */
  ratePerMinute?: number;
  /** overrides the wait after a rate-limit code (default 1 s for 90002/90018, 60 s for 90006) */
  rateLimitBackoffMs?: number;
  /** rate-limited calls repeated inside the client, when the wait is short (default 3) */
  maxRateLimitRetries?: number;
  /** longer waits are left to the caller (Temporal's retry), default 2 s */
  maxInClientWaitMs?: number;
  timeoutMs?: number;
  /** the tenant's shared limiters (a run's context); default: this client limits itself in-process */
  rateLimiters?: RateLimiterFactory;
}

export interface DingtalkEnvelope {
  errcode?: number;
  errmsg?: string;
  sub_code?: string;
  sub_msg?: string;
  request_id?: string;
  result?: unknown;
}

/** 90002 platform-wide limit, 90018 over 40/s per API, 90006 over 1,500/min: wait and try again. */
export const rateLimitCodes = new Set(['90002', '90018', '90006']);
/** the token is gone: fetch a new one and repeat the call once */
export const tokenCodes = new Set(['40001', '40014', '42001']);
/** -1 system busy */
const transientCodes = new Set(['-1']);

/** 40089 wrong appkey, 40001 wrong appsecret or token, and the token codes: the credentials are refused. */
const authCodes = new Set(['40089', ...tokenCodes]);

/** The oapi verdict for metrics and traces: errcode 0 is the only ok (88 is classed by its sub_code). */
export function dingtalkOutcome(response: JsonResponse<unknown>): VendorOutcome | undefined {
  const envelope = response.body as DingtalkEnvelope | undefined;
  if (typeof envelope?.errcode !== 'number') return undefined;
  return classifyVendorCode(envelopeCode(envelope), { ok: '0', rateLimited: rateLimitCodes, authFailed: authCodes });
}

/** The new API's token answer: a refusal names its code (e.g. invalidClientId) in an HTTP 400. */
function dingtalkTokenOutcome(response: JsonResponse<unknown>): VendorOutcome | undefined {
  const code = (response.body as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || code === '') return undefined;
  return { result: /^invalidClient|^invalidAuthentication|^Forbidden/i.test(code) ? 'auth_failed' : 'refused', code };
}

const perSecondJitterMs = 150;

const defaultWaitMs: Record<string, number> = { '90002': 1_000, '90018': 1_000, '90006': 60_000 };

/** The code a run item shows: 88 is only a wrapper, the reason is its sub_code. */
export function envelopeCode(envelope: DingtalkEnvelope): string {
  if (envelope.errcode === 88 && envelope.sub_code !== undefined && String(envelope.sub_code) !== '') return String(envelope.sub_code);
  return String(envelope.errcode);
}

export class DingtalkClient {
  private readonly oapiBaseUrl: string;
  private readonly apiBaseUrl: string;
  private readonly tokens: AccessTokenCache;
  private readonly apiTokens: AccessTokenCache;
  private readonly perSecond: RateLimiter;
  private readonly perMinute: RateLimiter;

  constructor(private readonly options: DingtalkClientOptions) {
    for (const field of ['oapiBaseUrl', 'appKey', 'appSecret'] as const) {
      if (typeof options[field] !== 'string' || options[field] === '') throw new VendorError('permanent', 'invalid_input', `${field}: required`);
    }
    this.oapiBaseUrl = options.oapiBaseUrl.replace(/\/+$/, '');
    this.apiBaseUrl = (options.apiBaseUrl ?? 'https://api.dingtalk.com').replace(/\/+$/, '');
    // DingTalk counts arrivals, not departures: a longer window absorbs network jitter between batches.
    this.perSecond = (options.rateLimiters ?? inProcessRateLimiters)({ name: 'dingtalk', limit: options.ratePerSecond ?? 35, windowMs: 1_000 + perSecondJitterMs });
    this.perMinute = (options.rateLimiters ?? inProcessRateLimiters)({ name: 'dingtalk', limit: options.ratePerMinute ?? 1_400, windowMs: 60_000 });
    this.tokens = new AccessTokenCache({ fetchToken: () => this.fetchToken() });
    this.apiTokens = new AccessTokenCache({ fetchToken: () => this.fetchApiToken() });
  }

  /** POST to an oapi path with the access token; returns the envelope's `result`. */
  async post<T>(path: string, body: Record<string, unknown>): Promise<T> {
    let tokenRetried = false;
    for (let rateRetries = 0; ; ) {
      let token: string | undefined;
      try {
        token = await this.tokens.get();
        const envelope = await this.send('POST', path, { access_token: token }, body, token);
        return envelope.result as T;
      } catch (err) {
        if (!(err instanceof VendorError)) throw err;
        if (token !== undefined && !tokenRetried && tokenCodes.has(err.vendorCode)) {
          tokenRetried = true;
          this.tokens.invalidate(token);
          continue;
        }
        // A refused call did not happen, so repeating it is safe even for writes; the limiter is paused already.
        const maxWait = this.options.maxInClientWaitMs ?? 2_000;
        if (rateLimitCodes.has(err.vendorCode) && rateRetries < (this.options.maxRateLimitRetries ?? 3) && (err.retryAfterMs ?? 0) <= maxWait) {
          rateRetries += 1;
          continue;
        }
        throw err;
      }
    }
  }

  /** Every member `user/list` returns for one department, one page (≤ size) per yield. */
  async *listUsers(deptId: number, size = 100): AsyncGenerator<DingtalkUser[]> {
    if (!Number.isInteger(size) || size < 1 || size > 100) throw new VendorError('permanent', 'invalid_input', 'size: must be an integer from 1 to 100');
    for (let cursor = 0; ; ) {
      const page = await this.post<{ has_more?: boolean; next_cursor?: number; list?: DingtalkUser[] }>('/topapi/v2/user/list', { dept_id: deptId, cursor, size });
      yield page?.list ?? [];
      if (!page?.has_more) return;
      if (typeof page.next_cursor !== 'number' || page.next_cursor <= cursor) {
        throw new VendorError('permanent', 'invalid_response', `user/list for department ${deptId} has more pages but no next cursor after ${cursor}`);
      }
      cursor = page.next_cursor;
    }
  }

  /** The new-API (api.dingtalk.com) token, for endpoints that take `x-acs-dingtalk-access-token`. */
  async apiAccessToken(): Promise<string> {
    return this.apiTokens.get();
  }

  /** Forgets a new-API token the server refused (401), so the next call fetches another. */
  invalidateApiAccessToken(stale: string): void {
    this.apiTokens.invalidate(stale);
  }

  private async fetchToken(): Promise<IssuedToken> {
    const res = (await this.send('GET', '/gettoken', { appkey: this.options.appKey, appsecret: this.options.appSecret })) as DingtalkEnvelope & {
      access_token?: unknown;
      expires_in?: unknown;
    };
    if (typeof res.access_token !== 'string' || res.access_token === '') throw new VendorError('permanent', 'invalid_response', 'gettoken answered without access_token');
    return { token: res.access_token, expiresInSeconds: typeof res.expires_in === 'number' ? res.expires_in : 7200 };
  }

  private async fetchApiToken(): Promise<IssuedToken> {
    const path = '/v1.0/oauth2/accessToken';
    await this.acquire(path);
    const response = await this.request(() =>
      requestJson<{ accessToken?: unknown; expireIn?: unknown; code?: unknown; message?: unknown }>({
        vendor: 'dingtalk',
        method: 'POST',
        url: `${this.apiBaseUrl}${path}`,
        body: { appKey: this.options.appKey, appSecret: this.options.appSecret },
        timeoutMs: this.options.timeoutMs,
        allowedHosts: dingtalkDocumentedHosts,
        outcome: dingtalkTokenOutcome,
      }),
    );
    const body = response.body ?? {};
    if (response.status === 429) {
      const waitMs = this.options.rateLimitBackoffMs ?? 1_000;
      this.perSecond.pauseAll(waitMs);
      throw new VendorError('transient', 'http_429', scrubSecrets(String(body.message ?? 'throttled'), this.secrets()), waitMs, `DingTalk ${path}: throttled (HTTP 429)`);
    }
    if (response.status >= 400 || typeof body.accessToken !== 'string' || body.accessToken === '') {
      const code = typeof body.code === 'string' ? body.code : `http_${response.status}`;
      const message = scrubSecrets(String(body.message ?? 'no accessToken in the answer'), this.secrets());
      throw new VendorError('permanent', code, message, undefined, `DingTalk ${path} failed: ${code} ${message}`, failedResult(dingtalkTokenOutcome(response)));
    }
    return { token: body.accessToken, expiresInSeconds: typeof body.expireIn === 'number' ? body.expireIn : 7200 };
  }

  private async acquire(path: string): Promise<void> {
    await acquirePerSecondAndMinute(this.perSecond, this.perMinute, path);
  }

  private secrets(token?: string): Array<string | undefined> {
    return [this.options.appSecret, token];
  }

  /** Runs a request, scrubbing secrets from any transport error. */
  private async request<T>(run: () => Promise<T>, token?: string): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof VendorError)) throw err;
      const secrets = this.secrets(token);
      throw err.withText(scrubSecrets(err.vendorMessage, secrets), scrubSecrets(err.message, secrets));
    }
  }

  private async send(method: 'GET' | 'POST', path: string, query: Record<string, QueryValue>, body?: unknown, token?: string): Promise<DingtalkEnvelope> {
    await this.acquire(path);
    const response = await this.request(
      () =>
        requestJson<DingtalkEnvelope>({
          vendor: 'dingtalk',
          method,
          url: `${this.oapiBaseUrl}${path}`,
          query,
          body,
          timeoutMs: this.options.timeoutMs,
          allowedHosts: dingtalkDocumentedHosts,
          outcome: dingtalkOutcome,
        }),
      token,
    );
    const envelope = response.body;
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.errcode !== 'number') {
      throw new VendorError('permanent', 'invalid_response', `${path}: answer has no errcode (HTTP ${response.status})`);
    }
    if (envelope.errcode === 0) return envelope;
    throw this.vendorError(path, envelope, token, failedResult(dingtalkOutcome(response)));
  }

  private vendorError(path: string, envelope: DingtalkEnvelope, token: string | undefined, result: VendorError['result']): VendorError {
    const code = envelopeCode(envelope);
    const raw = envelope.errcode === 88 && envelope.sub_msg ? envelope.sub_msg : (envelope.errmsg ?? '');
    const message = scrubSecrets(String(raw), this.secrets(token));
    const where = `DingTalk ${path} failed: ${code} ${message}${envelope.request_id ? ` (request_id ${envelope.request_id})` : ''}`;
    if (rateLimitCodes.has(code)) {
      const waitMs = this.options.rateLimitBackoffMs ?? defaultWaitMs[code];
      // The quota is the app's: one refusal slows every API of this client.
      this.perSecond.pauseAll(waitMs);
      return new VendorError('transient', code, message, waitMs, where, 'rate_limited');
    }
    return new VendorError(transientCodes.has(code) ? 'transient' : 'permanent', code, message, undefined, where, result);
  }
}
