// Moka People HTTP client. Every call carries HTTP Basic with the API key (as the user name, no
// password) and the signed query apiCode, entCode, nonce, timestamp (ms), [userName], sign
// (signing.ts); the answer is {code, msg, data} with code 0 = ok. Moka allows 3 calls/s and 60/min
// per enterprise; ours stay below. Secrets (API key, private key, the Basic header) never reach errors.
import { randomBytes, type KeyObject } from 'node:crypto';
import { VendorError, invalidInput } from '../errors';
import { classifyVendorCode, failedResult, requestJson, scrubSecrets, type JsonResponse, type VendorOutcome } from '../shared/http';
import { acquirePerSecondAndMinute, SlidingWindowRateLimiter, type RateLimiter, type RateLimiterFactory } from '../shared/rate-limiter';
import { mokaDocumentedHosts } from './hosts';
import { parsePrivateKey, signQuery } from './signing';

export const mokaBaseUrl = 'https://api.mokahr.com/api-platform/hcm/oapi';
export const departmentsPath = '/v1/org/department/batchData';
export const employeesPath = '/v1/batch/data';
export const maxPageSize = 200;
export const defaultRatePerSecond = 2;
export const defaultRatePerMinute = 50;

export interface MokaClientOptions {
  baseUrl: string;
  entCode: string;
  apiKey: string;
  privateKey: string;
  /** sent as userName (signed) when the tenant's API codes need one */
  userName?: string;
  ratePerSecond?: number;
  ratePerMinute?: number;
  rateLimitBackoffMs?: number;
  timeoutMs?: number;
  now?: () => number;
  /** the tenant's shared limiters (a run's context); default: this client limits itself in-process */
  rateLimiters?: RateLimiterFactory;
}

export interface MokaEnvelope<T> {
  code?: number;
  msg?: string;
  data?: T;
}

export interface MokaPage<T> {
  total?: number;
  pageNum?: number;
  pageSize?: number;
  list?: T[];
}

const rateLimitCode = 429;

/** The vendor's verdict for metrics and traces: code 0 is the only ok; 401 (API key) and 403 (tenant, api code, signature) refuse the credentials. */
export function mokaOutcome(response: JsonResponse<unknown>): VendorOutcome | undefined {
  const code = (response.body as { code?: unknown } | undefined)?.code;
  return classifyVendorCode(code, { ok: 0, rateLimited: new Set([rateLimitCode]), authFailed: new Set([401, 403]) });
}
const tenantLimiters = new Map<string, { perSecond: RateLimiter; perMinute: RateLimiter }>();
const quota = 'enterprise';

export class MokaClient {
  private readonly baseUrl: string;
  private readonly key: KeyObject;
  private readonly basic: string;
  private readonly perSecond: RateLimiter;
  private readonly perMinute: RateLimiter;

  constructor(private readonly options: MokaClientOptions) {
    for (const field of ['baseUrl', 'entCode', 'apiKey', 'privateKey'] as const) {
      if (!options[field]) throw invalidInput(field, 'required');
    }
    const key = parsePrivateKey(options.privateKey);
    if (!key) throw invalidInput('privateKey', 'is not an RSA private key (PEM, or the base64 of a PKCS#8 / PKCS#1 key)');
    this.key = key;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.basic = `Basic ${Buffer.from(`${options.apiKey}:`).toString('base64')}`;
    // Moka counts per enterprise, not per client: the shared limiters are the tenant's already; in-process,
    // every client of one tenant in this process shares the windows.
    const perSecond = options.ratePerSecond ?? defaultRatePerSecond;
    const perMinute = options.ratePerMinute ?? defaultRatePerMinute;
    const tenant = `${this.baseUrl}|${options.entCode}|${perSecond}|${perMinute}`;
    let shared = options.rateLimiters
      ? { perSecond: options.rateLimiters({ limit: perSecond, windowMs: 1_000 }), perMinute: options.rateLimiters({ limit: perMinute, windowMs: 60_000 }) }
      : tenantLimiters.get(tenant);
    if (!shared) {
      shared = {
        perSecond: new SlidingWindowRateLimiter({ limit: perSecond, windowMs: 1_000 }),
        perMinute: new SlidingWindowRateLimiter({ limit: perMinute, windowMs: 60_000 }),
      };
      tenantLimiters.set(tenant, shared);
    }
    this.perSecond = shared.perSecond;
    this.perMinute = shared.perMinute;
  }

  /** Every page of a pageNum/pageSize list, one per yield. */
  async *pages<T>(path: string, apiCode: string, body: Record<string, unknown>, pageSize = maxPageSize): AsyncGenerator<T[]> {
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > maxPageSize) throw invalidInput('pageSize', `must be an integer from 1 to ${maxPageSize}`);
    let seen = 0;
    for (let pageNum = 1; ; pageNum += 1) {
      const page = await this.post<MokaPage<T>>(path, apiCode, { ...body, pageNum, pageSize });
      const list = page.list ?? [];
      seen += list.length;
      yield list;
      if (list.length < pageSize || (page.total !== undefined && seen >= page.total)) return;
    }
  }

  /** One signed call; a rate-limit answer (another caller used the tenant's quota) waits and tries once more. */
  async post<T>(path: string, apiCode: string, body: unknown): Promise<T> {
    try {
      return await this.postOnce<T>(path, apiCode, body);
    } catch (err) {
      if (!(err instanceof VendorError && err.vendorCode === String(rateLimitCode))) throw err;
      return this.postOnce<T>(path, apiCode, body);
    }
  }

  private async postOnce<T>(path: string, apiCode: string, body: unknown): Promise<T> {
    if (!apiCode) throw invalidInput('apiCode', `required for ${path}`);
    await acquirePerSecondAndMinute(this.perSecond, this.perMinute, quota);
    const query: Record<string, string> = {
      apiCode,
      entCode: this.options.entCode,
      nonce: randomBytes(6).toString('hex'),
      timestamp: String((this.options.now ?? Date.now)()),
      ...(this.options.userName ? { userName: this.options.userName } : {}),
    };
    query.sign = signQuery(query, this.key);
    const secrets = [this.options.apiKey, this.basic, this.basic.slice('Basic '.length)];
    let response;
    try {
      response = await requestJson<MokaEnvelope<T>>({
        vendor: 'moka',
        outcome: mokaOutcome,
        method: 'POST',
        url: `${this.baseUrl}${path}`,
        query,
        body,
        headers: { authorization: this.basic },
        timeoutMs: this.options.timeoutMs,
        secretParams: ['sign'],
        allowedHosts: mokaDocumentedHosts,
      });
    } catch (err) {
      if (err instanceof VendorError) throw err.withText(scrubSecrets(err.vendorMessage, secrets), scrubSecrets(err.message, secrets));
      throw err;
    }
    const envelope = response.body;
    if (response.status === 429 || envelope?.code === rateLimitCode) {
      const waitMs = this.options.rateLimitBackoffMs ?? 1_000;
      this.perSecond.pauseAll(waitMs);
      this.perMinute.pauseAll(waitMs);
      throw new VendorError('transient', String(rateLimitCode), String(envelope?.msg ?? 'rate limited'), waitMs, `Moka ${path} rate limited: retry in ${waitMs} ms`, 'rate_limited');
    }
    if (typeof envelope !== 'object' || envelope === null || typeof envelope.code !== 'number') {
      throw new VendorError('permanent', response.status < 400 ? 'invalid_response' : `http_${response.status}`, `${path}: answer has no code (HTTP ${response.status})`);
    }
    if (envelope.code !== 0) {
      const message = scrubSecrets(String(envelope.msg ?? ''), secrets);
      throw new VendorError('permanent', String(envelope.code), message, undefined, `Moka ${path} failed: ${envelope.code} ${message}`, failedResult(mokaOutcome(response)));
    }
    return (envelope.data ?? {}) as T;
  }
}
