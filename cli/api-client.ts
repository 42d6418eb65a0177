// How CLI commands talk to a running Sync Center: over its REST API (PGlite allows one process,
// so the CLI never opens the database itself).
import { loadConfig } from './config';
import { resolveSecrets } from './data-dir-secrets';

export interface ApiClientOptions {
  baseUrl: string;
  token: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(message: string, readonly status?: number) {
    super(message);
  }
}

/** SYNC_CENTER_API_URL (default http://127.0.0.1:3000) and the admin token from env or the data dir. */
export function apiClientOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ApiClientOptions {
  const baseUrl = (env.SYNC_CENTER_API_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  try {
    new URL(baseUrl);
  } catch {
    throw new ApiError('SYNC_CENTER_API_URL must be an http(s) URL, e.g. http://127.0.0.1:3000');
  }
  const config = loadConfig(env);
  const { adminToken } = resolveSecrets(config, { generate: false });
  if (!adminToken) {
    throw new ApiError(`no admin token: set SYNC_CENTER_ADMIN_TOKEN, or run \`sync-center start\` once so it creates ${config.dataDir}/admin-token`);
  }
  return { baseUrl, token: adminToken };
}

export async function apiRequest<T>(options: ApiClientOptions, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${options.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new ApiError(`cannot reach the Sync Center API at ${options.baseUrl} (${cause}): is \`sync-center start\` running?`);
  }
  const text = await response.text();
  const parsed = text === '' ? undefined : safeJson(text);
  if (!response.ok) {
    const detail = (parsed as { message?: string } | undefined)?.message ?? text.slice(0, 200);
    throw new ApiError(`${method} ${path} failed with ${response.status}: ${detail}`, response.status);
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
