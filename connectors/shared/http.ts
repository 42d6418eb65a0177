// JSON over global fetch with a timeout. Network failures and 5xx become transient VendorErrors;
// everything else is returned so each vendor client can read its own envelope. A task author picks
// the URL, so: only allowed hosts are called, redirects are never followed, and a raw body never
// reaches an error (it could be an internal page the URL was aimed at) - only status, type and size.
import { apiLabel, vendorRequests, vendorRequestSeconds } from '../../telemetry/metrics';
import { vendorCallSpan } from '../../telemetry/tracing';
import { VendorError, vendorErrorResult, type VendorResult } from '../errors';
import { hostRefusal } from './host-policy';

/** Query parameters whose values must never reach an error message or log. */
export const defaultSecretParams = ['access_token', 'corpsecret', 'appsecret', 'app_secret', 'client_secret', 'secret'];

export type QueryValue = string | number | boolean | undefined;

export interface JsonRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** sent as application/x-www-form-urlencoded instead of a JSON body (e-cology's REST API, Beisen's OAuth token) */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** default 15 s */
  timeoutMs?: number;
  /** query parameter names to redact from URLs in errors (defaults to defaultSecretParams) */
  secretParams?: string[];
  /** the vendor's documented hosts (the connector's hosts.ts); see host-policy.ts for the operator's additions */
  allowedHosts: readonly string[];
  /** the connector kind, for metrics and traces (default: the host) */
  vendor?: string;
  /** the largest answer read, in bytes (default MAX_RESPONSE_BYTES) */
  maxResponseBytes?: number;
  /**
   * Reads the vendor's verdict from an answer (its envelope's error code), so a refusal inside an
   * HTTP 200 counts as one. Undefined falls back to the HTTP status (vendorResultOfStatus).
   */
  outcome?: (response: JsonResponse<unknown>) => VendorOutcome | undefined;
}

/**
 * 64 MiB: far above any vendor page (a WeCom user/list of 10k members is a few MB), far below what
 * would take a worker down. A task author chooses http-hr's endpoints, so an answer is untrusted.
 */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

class ResponseTooLarge extends Error {}

/** The body as text, refusing past `limit` bytes without reading the rest. */
async function readCapped(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new ResponseTooLarge();
  }
  if (!response.body) return '';
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** The result label of a vendor call (connectors/errors.ts): the vendor's own code goes on the span only. */
export type { VendorResult };

export interface VendorOutcome {
  result: VendorResult;
  /** the vendor's code (errcode, code, HTTP status), recorded on the trace span */
  code?: string;
}

/** An answer's class from its HTTP status alone: for vendors without an envelope code, or an answer without one. */
export function vendorResultOfStatus(status: number): VendorResult {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth_failed';
  return status >= 400 ? 'refused' : 'ok';
}

/** An envelope code's class, given the vendor's success code and its rate-limit and credential codes. */
export function classifyVendorCode(
  code: unknown,
  known: { ok: string | number; rateLimited?: ReadonlySet<string | number>; authFailed?: ReadonlySet<string | number> },
): VendorOutcome | undefined {
  if (code === undefined || code === null || code === '') return undefined;
  const text = String(code);
  if (text === String(known.ok)) return { result: 'ok', code: text };
  const has = (set?: ReadonlySet<string | number>) => !!set && (set.has(text) || set.has(Number(text)));
  if (has(known.rateLimited)) return { result: 'rate_limited', code: text };
  if (has(known.authFailed)) return { result: 'auth_failed', code: text };
  return { result: 'refused', code: text };
}

/** An outcome reader's verdict as a VendorError's class (undefined when it read ok or nothing). */
export function failedResult(outcome: VendorOutcome | undefined): Exclude<VendorResult, 'ok'> | undefined {
  return outcome && outcome.result !== 'ok' ? outcome.result : undefined;
}

/** A thrown VendorError's class (transport failures come from sendJson; an outcome reader's codes never throw here). */
function vendorResultOfError(err: unknown): VendorOutcome {
  if (!(err instanceof VendorError)) return { result: 'transport_error', code: 'error' };
  return { result: vendorErrorResult(err), code: err.vendorCode };
}

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export function buildUrl(base: string, query: Record<string, QueryValue> = {}): URL {
  const url = new URL(base);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url;
}

/** The URL as text with every secret parameter's value replaced, safe for messages. */
export function redactUrl(url: string | URL, secretParams: string[] = defaultSecretParams): string {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    return '<unparseable url>';
  }
  for (const name of secretParams) {
    if (parsed.searchParams.has(name)) parsed.searchParams.set(name, 'REDACTED');
  }
  return parsed.toString();
}

/** Replaces every occurrence of the given secret values (tokens, app secrets) in text. */
export function scrubSecrets(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('REDACTED');
  }
  return out;
}

/**
 * Every vendor call, counted and timed by connector, API and result, inside a trace span of its own.
 * The result is the vendor's verdict (req.outcome reads its envelope), not only the HTTP status.
 */
export async function requestJson<T = unknown>(req: JsonRequest): Promise<JsonResponse<T>> {
  const url = buildUrl(req.url, req.query);
  const labels = { connector: req.vendor ?? url.hostname, api: apiLabel(url.pathname) };
  const started = performance.now();
  return vendorCallSpan({ ...labels, method: req.method }, async (span) => {
    let outcome: VendorOutcome = { result: 'transport_error' };
    try {
      const response = await sendJson<T>(req, url);
      span.setStatus(response.status);
      outcome = readOutcome(req, response);
      return response;
    } catch (err) {
      outcome = vendorResultOfError(err);
      throw err;
    } finally {
      span.outcome(outcome.result, outcome.code);
      vendorRequests.inc({ ...labels, result: outcome.result });
      vendorRequestSeconds.observe(labels, (performance.now() - started) / 1000);
    }
  });
}

function readOutcome(req: JsonRequest, response: JsonResponse<unknown>): VendorOutcome {
  const fromStatus: VendorOutcome = { result: vendorResultOfStatus(response.status), code: response.status >= 400 ? `http_${response.status}` : undefined };
  // A 429 or credential refusal by HTTP status holds whatever the body says.
  if (fromStatus.result === 'rate_limited' || fromStatus.result === 'auth_failed') return fromStatus;
  let read: VendorOutcome | undefined;
  try {
    read = req.outcome?.(response);
  } catch {
    read = undefined; // a reader never breaks the call it observes
  }
  return read ?? fromStatus;
}

async function sendJson<T>(req: JsonRequest, url: URL): Promise<JsonResponse<T>> {
  const where = `${req.method} ${redactUrl(url, req.secretParams)}`;
  // Checked before anything is sent: the credentials in the query or body never leave.
  const refused = hostRefusal(url, req.allowedHosts);
  if (refused) throw new VendorError('permanent', 'host_not_allowed', refused, undefined, `${where}: ${refused}`);
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let payload: string | undefined;
  if (req.form !== undefined) {
    payload = new URLSearchParams(req.form).toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded; charset=utf-8';
  } else if (req.body !== undefined) {
    payload = JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: req.method,
      headers,
      body: payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs ?? 15_000),
    });
    if (isRedirect(response.status)) {
      await response.body?.cancel().catch(() => undefined);
      const detail = `answered HTTP ${response.status} (a redirect); redirects are not followed`;
      throw new VendorError('permanent', `http_${response.status}`, detail, undefined, `${where}: ${detail}`, 'transport_error');
    }
    text = await readCapped(response, req.maxResponseBytes ?? MAX_RESPONSE_BYTES);
  } catch (err) {
    if (err instanceof VendorError) throw err;
    if (err instanceof ResponseTooLarge) {
      const detail = `answered more than ${req.maxResponseBytes ?? MAX_RESPONSE_BYTES} bytes; the answer was not read`;
      throw new VendorError('permanent', 'response_too_large', detail, undefined, `${where}: ${detail}`, 'transport_error');
    }
    // Duck-typed: an abort may be a DOMException from another realm (e.g. under jest).
    const name = (err as { name?: unknown } | null)?.name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    const code = timedOut ? 'timeout' : 'network';
    // The cause's message may carry the URL: only its class name goes into ours.
    const cause = (err as { cause?: { code?: unknown } } | null)?.cause?.code ?? name ?? 'unknown';
    const detail = timedOut ? `no answer within ${req.timeoutMs ?? 15_000} ms` : `request failed (${String(cause)})`;
    throw new VendorError('transient', code, detail, undefined, `${where}: ${detail}`);
  }
  if (response.status >= 500) {
    const detail = `HTTP ${response.status} (${describeBody(response.headers, text)})`;
    throw new VendorError('transient', `http_${response.status}`, detail, retryAfterHeaderMs(response.headers), `${where}: ${detail}`);
  }
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    const detail = `response is not JSON (HTTP ${response.status}, ${describeBody(response.headers, text)})`;
    throw new VendorError('permanent', response.ok ? 'invalid_response' : `http_${response.status}`, detail, undefined, `${where}: ${detail}`, 'transport_error');
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400;
}

/** What an unusable body was, without any of its text: a media type (shape-checked, as the header is the server's) and a size. */
export function describeBody(headers: Headers, text: string): string {
  const mediaType = /^[\w.+-]{1,40}\/[\w.+-]{1,60}/.exec(headers.get('content-type')?.trim() ?? '')?.[0] ?? 'no content type';
  return `${mediaType}, ${Buffer.byteLength(text)} bytes`;
}

/** Retry-After in seconds (the HTTP standard form), as milliseconds. */
export function retryAfterHeaderMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
