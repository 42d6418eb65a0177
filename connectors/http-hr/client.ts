// The generic HTTP/JSON HR client: one endpoint's records in pages (offset, page number or cursor,
// sent as query parameters of a GET or fields of a POST body), authenticated by a fixed header or an
// OAuth2 client-credentials token. Every URL is the task author's: requests go through
// connectors/shared/http.ts (allowed hosts only, no redirects, no raw body in errors), the next page
// is asked for with a cursor value, never with a URL taken from an answer, and paging is bounded.
import { VendorError } from '../errors';
import { requestJson, retryAfterHeaderMs, scrubSecrets, type QueryValue } from '../shared/http';
import { AccessTokenCache } from '../shared/token-cache';
import { httpHrDocumentedHosts } from './hosts';
import { valueAt } from './json-path';
import type { HttpHrSecrets, HttpHrSettings } from './settings';

/** A read never asks for more pages than this: an endpoint that never ends its paging fails the read instead of running forever. */
export const maxPages = 10_000;

export class HttpHrClient {
  private readonly tokens?: AccessTokenCache;
  private readonly secretValues: Array<string | undefined>;

  constructor(
    private readonly settings: HttpHrSettings,
    private readonly secrets: HttpHrSecrets,
  ) {
    if (settings.auth === 'header' && !secrets.headerValue) throw new VendorError('permanent', 'invalid_input', 'connector.secrets.headerValue: required when auth is "header"');
    if (settings.auth === 'oauth2-client-credentials') {
      if (!settings.tokenUrl) throw new VendorError('permanent', 'invalid_input', 'connector.settings.tokenUrl: required when auth is "oauth2-client-credentials"');
      if (!secrets.clientId || !secrets.clientSecret) throw new VendorError('permanent', 'invalid_input', 'connector.secrets.clientId and clientSecret: required when auth is "oauth2-client-credentials"');
      this.tokens = new AccessTokenCache({ fetchToken: () => this.fetchToken() });
    }
    this.secretValues = [secrets.headerValue, secrets.clientId, secrets.clientSecret];
  }

  /** Every record of one endpoint, one page per yield. */
  async *records(url: string, recordsPath: string, what: string): AsyncGenerator<unknown[]> {
    const paging = this.settings.paging;
    let offset = 0;
    let page = paging.style === 'page' ? paging.firstPage : 0;
    let cursor: string | undefined;
    for (let n = 0; n < maxPages; n += 1) {
      const params: Record<string, string | number> = {};
      if (paging.style === 'offset') Object.assign(params, { [paging.offsetParam]: offset, [paging.limitParam]: paging.pageSize });
      if (paging.style === 'page') Object.assign(params, { [paging.pageParam]: page, [paging.sizeParam]: paging.pageSize });
      if (paging.style === 'cursor') {
        if (paging.sizeParam) params[paging.sizeParam] = paging.pageSize;
        if (cursor !== undefined) params[paging.cursorParam] = cursor;
      }
      const body = await this.fetchPage(url, params);
      const records = valueAt(body, recordsPath);
      if (!Array.isArray(records)) throw new VendorError('permanent', 'invalid_response', `${what}: the answer has no array at "${recordsPath || '(the whole body)'}"`);
      if (records.length > 0) yield records;
      if (paging.style === 'none') return;
      if (paging.style === 'cursor') {
        const next = valueAt(body, paging.nextCursorPath);
        if (next === undefined || next === null || next === '' || next === false) return;
        if (typeof next !== 'string' && typeof next !== 'number') throw new VendorError('permanent', 'invalid_response', `${what}: "${paging.nextCursorPath}" is not a string or number`);
        if (String(next) === cursor) throw new VendorError('permanent', 'invalid_response', `${what}: the same cursor came back twice`);
        cursor = String(next);
        continue;
      }
      if (records.length < paging.pageSize) return;
      offset += records.length;
      page += 1;
    }
    throw new VendorError('permanent', 'invalid_response', `${what}: paging did not end after ${maxPages} pages`);
  }

  private async fetchPage(url: string, params: Record<string, QueryValue>): Promise<unknown> {
    for (let attempt = 0; ; attempt += 1) {
      const headers = await this.authHeaders();
      const post = this.settings.method === 'POST';
      const response = await this.send({
        method: this.settings.method,
        url,
        query: post ? undefined : params,
        body: post ? { ...this.settings.requestBody, ...params } : undefined,
        headers,
      });
      // A token revoked before its time: fetch a new one and ask once more.
      if (response.status === 401 && this.tokens && attempt === 0) {
        this.tokens.invalidate(headers.authorization.slice('Bearer '.length));
        continue;
      }
      if (response.status === 429) throw new VendorError('transient', 'http_429', 'rate limited', retryAfterHeaderMs(response.headers), `${redacted(url)}: HTTP 429`);
      if (response.status >= 400) throw new VendorError('permanent', `http_${response.status}`, `HTTP ${response.status}`, undefined, `${redacted(url)}: HTTP ${response.status}`);
      return response.body;
    }
  }

  private async authHeaders(): Promise<Record<string, string>> {
    if (this.tokens) return { authorization: `Bearer ${await this.tokens.get()}` };
    return { [this.settings.headerName.toLowerCase()]: this.secrets.headerValue! };
  }

  private async fetchToken(): Promise<{ token: string; expiresInSeconds: number }> {
    const form: Record<string, string> = { grant_type: 'client_credentials', client_id: this.secrets.clientId!, client_secret: this.secrets.clientSecret! };
    if (this.settings.scope) form.scope = this.settings.scope;
    const response = await this.send({ method: 'POST', url: this.settings.tokenUrl!, form, headers: {} });
    const body = response.body as { access_token?: unknown; expires_in?: unknown; error?: unknown } | undefined;
    if (response.status >= 400 || typeof body?.access_token !== 'string' || body.access_token === '') {
      const code = typeof body?.error === 'string' ? body.error.slice(0, 64) : `http_${response.status}`;
      // A 4xx from the token endpoint (RFC 6749: 400 invalid_client, 401) refuses the client credentials.
      const result = response.status === 429 ? 'rate_limited' : response.status >= 400 ? 'auth_failed' : 'refused';
      throw new VendorError('permanent', code, 'the token endpoint issued no access_token', undefined, `OAuth2 token request failed: ${code}`, result);
    }
    return { token: body.access_token, expiresInSeconds: typeof body.expires_in === 'number' ? body.expires_in : 3600 };
  }

  private async send(req: { method: 'GET' | 'POST'; url: string; query?: Record<string, QueryValue>; body?: unknown; form?: Record<string, string>; headers: Record<string, string> }) {
    try {
      // A generic REST API has no envelope code: its verdict is the HTTP status (vendorResultOfStatus).
      return await requestJson({ ...req, vendor: 'http-hr', timeoutMs: this.settings.timeoutMs, allowedHosts: httpHrDocumentedHosts });
    } catch (err) {
      if (err instanceof VendorError) {
        const secrets = [...this.secretValues, req.headers.authorization];
        throw err.withText(scrubSecrets(err.vendorMessage, secrets), scrubSecrets(err.message, secrets));
      }
      throw err;
    }
  }
}

function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '<url>';
  }
}
