// JSON over global fetch with a timeout. Network failures and 5xx become transient VendorErrors;
// everything else is returned so each vendor client can read its own envelope.
import { VendorError } from '../errors';

/** Query parameters whose values must never reach an error message or log. */
export const defaultSecretParams = ['access_token', 'corpsecret', 'appsecret', 'app_secret', 'client_secret', 'secret'];

export type QueryValue = string | number | boolean | undefined;

export interface JsonRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  query?: Record<string, QueryValue>;
  body?: unknown;
  headers?: Record<string, string>;
  /** default 15 s */
  timeoutMs?: number;
  /** query parameter names to redact from URLs in errors (defaults to defaultSecretParams) */
  secretParams?: string[];
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

export async function requestJson<T = unknown>(req: JsonRequest): Promise<JsonResponse<T>> {
  const url = buildUrl(req.url, req.query);
  const where = `${req.method} ${redactUrl(url, req.secretParams)}`;
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let payload: string | undefined;
  if (req.body !== undefined) {
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
      signal: AbortSignal.timeout(req.timeoutMs ?? 15_000),
    });
    text = await response.text();
  } catch (err) {
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
    throw new VendorError('transient', `http_${response.status}`, text.slice(0, 200) || response.statusText, retryAfterHeaderMs(response.headers), `${where}: HTTP ${response.status}`);
  }
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new VendorError('permanent', response.ok ? 'invalid_response' : `http_${response.status}`, `response is not JSON: ${text.slice(0, 120)}`, undefined, `${where}: HTTP ${response.status}, response is not JSON`);
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

/** Retry-After in seconds (the HTTP standard form), as milliseconds. */
export function retryAfterHeaderMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
