// SCIM 2.0 HTTP client (RFC 7644): auth per profile (a bearer token, or Zoom's client-credentials
// token, cached), the profile's headers, its tolerated rate, SCIM error bodies as VendorErrors, 429
// Retry-After as the wait hint, stable paging, and ETags: If-Match when the server gave a version,
// one re-read and retry on 412. Secrets never reach an error.
import { VendorError } from '../errors';
import { failedResult, requestJson, scrubSecrets, vendorResultOfStatus, type QueryValue } from '../shared/http';
import { inProcessRateLimiters, type RateLimiter, type RateLimiterFactory } from '../shared/rate-limiter';
import { AccessTokenCache } from '../shared/token-cache';
import { scimDocumentedHosts } from './hosts';
import type { ScimProfile } from './profiles';

export interface ScimClientOptions {
  baseUrl: string;
  profile: ScimProfile;
  /** bearer profiles */
  token?: string;
  /** Zoom: server-to-server OAuth app */
  oauth?: { tokenUrl: string; accountId: string; clientId: string; clientSecret: string };
  rateLimit?: { limit: number; windowMs: number };
  timeoutMs?: number;
  /** the tenant's shared limiters (a run's context); default: this client limits itself in-process */
  rateLimiters?: RateLimiterFactory;
}

export interface ScimResource {
  id: string;
  meta?: { version?: string };
  [attribute: string]: unknown;
}

export interface ListResponse<T> {
  totalResults: number;
  startIndex?: number;
  itemsPerPage?: number;
  Resources?: T[];
}

export const scimErrorSchema = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const patchOpSchema = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path?: string;
  value?: unknown;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A SCIM filter string literal: RFC 7644 §3.4.2.2 (JSON string escaping). */
export const filterValue = (value: string) => JSON.stringify(value);

export class ScimClient {
  readonly baseUrl: string;
  private readonly limiter: RateLimiter;
  private readonly tokens?: AccessTokenCache;
  /** resource path → the last write to it in flight (see inTurn) */
  private readonly writesInFlight = new Map<string, Promise<void>>();
  /** resource path → the version the server last gave (meta.version / ETag) */
  private readonly versions = new Map<string, string>();

  constructor(private readonly options: ScimClientOptions) {
    if (!options.baseUrl) throw new VendorError('permanent', 'invalid_input', 'baseUrl: required');
    if (options.profile.auth === 'bearer' && !options.token) throw new VendorError('permanent', 'invalid_input', 'token: required');
    if (options.profile.auth === 'oauth-client-credentials' && !options.oauth) throw new VendorError('permanent', 'invalid_input', 'clientId and clientSecret: required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const rate = options.rateLimit ?? options.profile.rateLimit;
    this.limiter = (options.rateLimiters ?? inProcessRateLimiters)({ name: 'scim', limit: rate.limit, windowMs: rate.windowMs });
    if (options.oauth) this.tokens = new AccessTokenCache({ fetchToken: () => this.fetchOauthToken() });
  }

  get<T = ScimResource>(path: string, query: Record<string, QueryValue> = {}): Promise<T> {
    return this.call<T>('GET', path, query);
  }

  post<T = ScimResource>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, {}, body);
  }

  put<T = ScimResource>(path: string, body: unknown): Promise<T | undefined> {
    return this.call<T | undefined>('PUT', path, {}, body);
  }

  /** RFC 7644 §3.5.2; a 204 answer (allowed) gives undefined. */
  patch<T = ScimResource>(path: string, operations: PatchOperation[]): Promise<T | undefined> {
    return this.call<T | undefined>('PATCH', path, {}, { schemas: [patchOpSchema], Operations: operations });
  }

  async delete(path: string): Promise<void> {
    await this.call('DELETE', path, {});
  }

  /** Every resource of a list, page by page (1-based startIndex). Stops on a short or empty page; ids seen twice (a list that shifted under us) are dropped. */
  async *list<T extends ScimResource>(path: string, query: Record<string, QueryValue> = {}, pageSize = this.options.profile.maxPageSize): AsyncGenerator<T[]> {
    const count = Math.min(pageSize, this.options.profile.maxPageSize);
    const seen = new Set<string>();
    for (let startIndex = 1; ; ) {
      const page = await this.get<ListResponse<T>>(path, { ...query, startIndex, count });
      const resources = page.Resources ?? [];
      const fresh = resources.filter((r) => typeof r?.id === 'string' && !seen.has(r.id));
      for (const r of fresh) seen.add(r.id);
      if (fresh.length > 0) yield fresh;
      startIndex += resources.length;
      if (resources.length === 0 || startIndex > Number(page.totalResults ?? 0)) return;
    }
  }

  /**
   * Every resource matching any of the `eq` conditions, in one query joined by `or` (at most
   * `limit`); for profiles without `or`, callers ask findOne per condition instead.
   */
  async findAnyOf<T extends ScimResource>(path: string, conditions: readonly [attribute: string, value: string][], limit: number): Promise<T[]> {
    const unsupported = conditions.find(([attribute]) => !this.options.profile.filterAttributes.includes(attribute));
    if (unsupported || !this.options.profile.filterOr) throw new VendorError('permanent', 'invalid_input', `filter on ${unsupported?.[0] ?? 'or'} is not supported by this profile`);
    const filter = conditions.map(([attribute, value]) => `${attribute} eq ${filterValue(value)}`).join(' or ');
    const page = await this.get<ListResponse<T>>(path, { filter, startIndex: 1, count: limit });
    return page.Resources ?? [];
  }

  /** The first resource a filter matches, or undefined; more than one is an ambiguity the caller must not guess through. */
  async findOne<T extends ScimResource>(path: string, attribute: string, value: string): Promise<T | undefined> {
    if (!this.options.profile.filterAttributes.includes(attribute)) {
      throw new VendorError('permanent', 'invalid_input', `filter on ${attribute} is not supported by this profile`);
    }
    const page = await this.get<ListResponse<T>>(path, { filter: `${attribute} eq ${filterValue(value)}`, startIndex: 1, count: 2 });
    const found = page.Resources ?? [];
    if (found.length > 1) throw new VendorError('permanent', 'ambiguous', `${found.length} resources have ${attribute} "${value}"`);
    return found[0];
  }

  /** Forgets a resource's version (deleted). */
  forget(path: string): void {
    this.versions.delete(path);
  }

  /** Remembers what a list or GET said of a resource's version. */
  remember(path: string, resource: { meta?: { version?: string } } | undefined): void {
    const version = resource?.meta?.version;
    if (typeof version === 'string' && version) this.versions.set(path, version);
  }

  /**
   * Writes to one resource go one at a time: each sends the version the previous one left. Sent
   * together (16 people joining one Group at once) they all carried one If-Match, and every one but
   * the first got 412, lost again after its re-read, and failed its item.
   */
  private inTurn<T>(path: string, work: () => Promise<T>): Promise<T> {
    const mine = (this.writesInFlight.get(path) ?? Promise.resolve()).then(work);
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    this.writesInFlight.set(path, settled);
    void settled.then(() => {
      if (this.writesInFlight.get(path) === settled) this.writesInFlight.delete(path);
    });
    return mine;
  }

  private call<T>(method: Method, path: string, query: Record<string, QueryValue>, body?: unknown): Promise<T> {
    if (method === 'GET' || method === 'POST') return this.attempt<T>(method, path, query, body);
    return this.inTurn(path, () => this.attempt<T>(method, path, query, body));
  }

  private async attempt<T>(method: Method, path: string, query: Record<string, QueryValue>, body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.send<T>(method, path, query, body);
      } catch (err) {
        if (!(err instanceof VendorError) || attempt > 0) throw err;
        if (err.vendorCode.startsWith('401') && this.tokens) {
          this.tokens.invalidate();
          continue;
        }
        // Someone changed the resource since we read it: our change is a set of wished values, so
        // it is re-sent against the version the server has now.
        if (err.vendorCode.startsWith('412') && this.versions.has(path)) {
          this.versions.delete(path);
          this.remember(path, await this.send<ScimResource>('GET', path, { attributes: 'id' }));
          continue;
        }
        throw err;
      }
    }
  }

  private async bearer(): Promise<string> {
    return this.tokens ? this.tokens.get() : (this.options.token as string);
  }

  private secrets(token?: string): Array<string | undefined> {
    return [this.options.token, this.options.oauth?.clientSecret, token];
  }

  private async send<T>(method: Method, path: string, query: Record<string, QueryValue>, body?: unknown): Promise<T> {
    const { profile } = this.options;
    if (profile.rateLimit.scope === 'all' || method !== 'GET') await this.limiter.acquire(profile.rateLimit.scope === 'all' ? path.split('/')[1] ?? path : 'writes');
    const token = await this.bearer();
    const headers: Record<string, string> = { ...profile.headers, authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/scim+json';
    const version = method === 'GET' || method === 'POST' ? undefined : this.versions.get(path);
    if (version) headers['if-match'] = version;
    let response;
    try {
      response = await requestJson<unknown>({ vendor: 'scim', method, url: `${this.baseUrl}${path}`, query, body, headers, timeoutMs: this.options.timeoutMs, allowedHosts: scimDocumentedHosts });
    } catch (err) {
      if (err instanceof VendorError) throw scrub(err, this.secrets(token));
      throw err;
    }
    const etag = response.headers.get('etag');
    if (response.status >= 200 && response.status < 300) {
      const resource = response.body as ScimResource | undefined;
      // The version the server now has: its ETag header, else the resource's meta.version.
      const resourcePath = method === 'POST' ? `${path}/${resource?.id}` : path;
      if (method === 'DELETE') this.versions.delete(path);
      else if (etag) this.versions.set(resourcePath, etag);
      else if (/^\/(Users|Groups)\/[^/]+$/.test(resourcePath)) this.remember(resourcePath, resource);
      return response.body as T;
    }
    throw this.refusal(method, path, response.status, response.body, response.headers, token);
  }

  private refusal(method: Method, path: string, status: number, body: unknown, headers: Headers, token: string): VendorError {
    const error = (typeof body === 'object' && body !== null ? body : {}) as { scimType?: unknown; detail?: unknown; message?: unknown };
    const scimType = typeof error.scimType === 'string' ? error.scimType : '';
    const detail = scrubSecrets(String(error.detail ?? error.message ?? `HTTP ${status}`).slice(0, 500), this.secrets(token));
    const where = `SCIM ${method} ${path} failed: ${status}${scimType ? ` ${scimType}` : ''} ${detail}`;
    if (status === 429) {
      const retryAfterMs = retryAfterMsOf(headers) ?? 60_000;
      // The app's quota is the tenant's: every call of this client waits.
      this.limiter.pauseAll(retryAfterMs);
      return new VendorError('transient', '429', detail, retryAfterMs, where, 'rate_limited');
    }
    // e.g. "409:uniqueness", "400:invalidFilter", "404"
    const code = scimType ? `${status}:${scimType}` : String(status);
    return new VendorError(status === 408 ? 'transient' : 'permanent', code, detail, undefined, where, failedResult({ result: vendorResultOfStatus(status) }));
  }

  private async fetchOauthToken(): Promise<{ token: string; expiresInSeconds: number }> {
    const oauth = this.options.oauth!;
    const basic = Buffer.from(`${oauth.clientId}:${oauth.clientSecret}`).toString('base64');
    let response;
    try {
      response = await requestJson<{ access_token?: unknown; expires_in?: unknown; reason?: unknown; error?: unknown }>({
        vendor: 'scim',
        method: 'POST',
        url: oauth.tokenUrl,
        query: { grant_type: 'account_credentials', account_id: oauth.accountId },
        headers: { authorization: `Basic ${basic}` },
        timeoutMs: this.options.timeoutMs,
        allowedHosts: scimDocumentedHosts,
      });
    } catch (err) {
      if (err instanceof VendorError) throw scrub(err, [...this.secrets(), basic]);
      throw err;
    }
    const answer = response.body ?? {};
    if (response.status !== 200 || typeof answer.access_token !== 'string' || !answer.access_token) {
      const reason = scrubSecrets(String(answer.reason ?? answer.error ?? `HTTP ${response.status}`), [...this.secrets(), basic]);
      // The token endpoint refusing the client (any 4xx but a rate limit) is a credential refusal.
      const result = response.status === 429 ? 'rate_limited' : response.status >= 400 ? 'auth_failed' : 'transport_error';
      throw new VendorError('permanent', `oauth_${response.status}`, reason, undefined, `SCIM OAuth token refused: ${response.status} ${reason}`, result);
    }
    return { token: answer.access_token, expiresInSeconds: typeof answer.expires_in === 'number' ? answer.expires_in : 3600 };
  }
}

/** Retry-After as seconds or an HTTP date. */
function retryAfterMsOf(headers: Headers): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function scrub(err: VendorError, secrets: Array<string | undefined>): VendorError {
  return err.withText(scrubSecrets(err.vendorMessage, secrets), scrubSecrets(err.message, secrets));
}
