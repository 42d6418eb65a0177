// The console's client of /api/v1: the signed-in token on every call, errors as ApiFailure
// (status, code, the field a 400 names, and every issue of a refused task body).
import type { ConnectionCheck, ConnectorKind, Decision, Department, FieldIssue, HubUser, MappingPreview, Page, PendingDeletion, Role, Run, RunDetail, RunItem, Task, UserLink } from './types';

export * from './types';

/** A refused call: the API's `{ error, message, field, issues }` envelope. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

const tokenKey = 'sync-center.token';

/** The token lives in sessionStorage: it is gone when the browser tab closes. */
export const session = {
  token: (): string | null => sessionStorage.getItem(tokenKey),
  save: (token: string) => sessionStorage.setItem(tokenKey, token),
  clear: () => sessionStorage.removeItem(tokenKey),
};

let onUnauthorized: () => void = () => undefined;
export function whenUnauthorized(handler: () => void): void {
  onUnauthorized = handler;
}

type Query = Record<string, string | number | boolean | undefined | null>;

function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return `/api/v1${path}${text ? `?${text}` : ''}`;
}

async function call<T>(method: string, path: string, options: { query?: Query; body?: unknown; token?: string } = {}): Promise<T> {
  const token = options.token ?? session.token();
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url(path, options.query), { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  if (!res.ok) {
    if (res.status === 401 && !options.token) onUnauthorized();
    throw new ApiFailure(res.status, String(body.error ?? res.status), String(body.message ?? body.error ?? res.statusText), body.field as string | undefined, (body.issues as FieldIssue[] | undefined) ?? []);
  }
  return body as T;
}

/** A file download (run export) with the token: fetched, then handed to the browser. */
async function download(path: string, query: Query, fileName: string): Promise<void> {
  const res = await fetch(url(path, query), { headers: { authorization: `Bearer ${session.token() ?? ''}` } });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    throw new ApiFailure(res.status, String(body.error ?? res.status), String(body.message ?? res.statusText));
  }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await res.blob());
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

export const api = {
  me: (token?: string) => call<{ name: string; role: Role }>('GET', '/me', { token }),
  connectorKinds: () => call<{ items: ConnectorKind[] }>('GET', '/connector-kinds'),
  tasks: (query: { limit: number; offset: number }) => call<Page<Task>>('GET', '/sync-tasks', { query: { ...query } }),
  task: (id: string) => call<Task>('GET', `/sync-tasks/${encodeURIComponent(id)}`),
  createTask: (body: unknown) => call<Task>('POST', '/sync-tasks', { body }),
  patchTask: (id: string, body: unknown) => call<Task>('PATCH', `/sync-tasks/${encodeURIComponent(id)}`, { body }),
  deleteTask: (id: string) => call<void>('DELETE', `/sync-tasks/${encodeURIComponent(id)}`),
  setEnabled: (id: string, enabled: boolean) => call<Task>('POST', `/sync-tasks/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`),
  runTask: (id: string, dryRun: boolean) => call<{ runId: string; coalesced: boolean }>('POST', `/sync-tasks/${encodeURIComponent(id)}/runs`, { body: { dryRun } }),
  testConnection: (body: unknown) => call<{ ok: boolean; checks: ConnectionCheck[] }>('POST', '/sync-tasks/test-connection', { body }),
  previewMapping: (body: { kind: string; fieldMapping: unknown; limit?: number }) => call<{ items: MappingPreview[] }>('POST', '/sync-tasks/preview-mapping', { body }),
  testStoredConnection: (id: string) => call<{ ok: boolean; checks: ConnectionCheck[] }>('POST', `/sync-tasks/${encodeURIComponent(id)}/test-connection`),
  runs: (taskId: string, query: { limit: number; offset: number; status?: string }) => call<Page<Run>>('GET', `/sync-tasks/${encodeURIComponent(taskId)}/runs`, { query }),
  run: (id: string) => call<RunDetail>('GET', `/runs/${encodeURIComponent(id)}`),
  runItems: (id: string, query: { limit: number; offset: number; entity?: string; status?: string; action?: string }) => call<Page<RunItem>>('GET', `/runs/${encodeURIComponent(id)}/items`, { query }),
  retryFailed: (id: string) => call<{ runId: string; sourceIds: number }>('POST', `/runs/${encodeURIComponent(id)}/retry-failed`),
  exportRun: (id: string, format: 'csv' | 'xlsx') => download(`/runs/${encodeURIComponent(id)}/export`, { format }, `run-${id}.${format}`),
  pendingDeletions: (query: { limit: number; offset: number; taskId?: string; status?: string }) => call<Page<PendingDeletion>>('GET', '/pending-deletions', { query }),
  decide: (action: 'execute' | 'cancel', ids: string[]) => call<{ results: Decision[] }>('POST', `/pending-deletions/${action}`, { body: { ids } }),
  departments: (query: { limit: number; offset: number; parentId?: string; topLevel?: boolean }) => call<Page<Department>>('GET', '/departments', { query }),
  users: (query: { limit: number; offset: number; departmentId?: string; q?: string }) => call<Page<HubUser>>('GET', '/users', { query }),
  userLinks: (id: string, query: { limit: number; offset: number }) => call<Page<UserLink>>('GET', `/users/${encodeURIComponent(id)}/links`, { query }),
};
