// Typed calls to the sync-task, run and pending-deletion endpoints (docs/design.md, "Public REST API"),
// for the CLI commands and the demo.
import { ApiError, apiRequest, type ApiClientOptions } from '../api-client';
import { finishedRunStatuses } from '../../engine/statuses';
import { allPages, query, type Page } from './output';

export interface TaskView {
  id: string;
  name: string;
  direction: 'upstream' | 'downstream';
  connectorKind: string;
  enabled: boolean;
  config: Record<string, unknown>;
  hasSecrets: string[];
  webhookUrl: string | null;
  status: string;
  lastError: string | null;
  lastRun: { id: string; status: string; trigger: string; dryRun: boolean; startedAt: string; finishedAt: string | null; error: string | null } | null;
  pendingDeletions: number;
  createdAt: string;
  updatedAt: string;
}

/** POST /sync-tasks/test-connection and /sync-tasks/:id/test-connection. */
export interface ConnectionTestView {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
}

export interface SuccessOfTotal {
  succeeded: number;
  failed: number;
  total: number;
}

export interface RunView {
  id: string;
  taskId: string;
  trigger: string;
  status: string;
  dryRun: boolean;
  phase: string;
  counters: Record<string, unknown>;
  error: string | null;
  workflowId: string | null;
  startedAt: string;
  finishedAt: string | null;
  summary?: { departments: SuccessOfTotal; departmentUpdates: SuccessOfTotal; users: SuccessOfTotal; userUpdates: SuccessOfTotal; byStatus: Record<string, number> };
  progress?: { phase: string; batchesDone: number; batchesTotal: number; counters: Record<string, number> };
}

export interface RunItemView {
  id: number;
  seq: number;
  action: string;
  entity: 'department' | 'user';
  sourceId: string | null;
  targetId: string | null;
  displayName: string | null;
  status: string;
  before: unknown;
  after: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  finishedAt: string | null;
}

export interface PendingDeletionView {
  id: string;
  taskId: string;
  runId: string;
  action: string;
  entity: 'department' | 'user';
  sourceId: string | null;
  targetId: string;
  displayName: string | null;
  reason: string;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  createdAt: string;
}

export interface DecisionResult {
  id: string;
  result: string;
  status?: string;
}

const enc = encodeURIComponent;
const finishedRuns: readonly string[] = finishedRunStatuses;

export function createSyncApi(options: ApiClientOptions) {
  const call = <T>(method: string, path: string, body?: unknown) => apiRequest<T>(options, method, `/api/v1${path}`, body);
  return {
    options,
    listTasks: () => allPages((limit, offset) => call<Page<TaskView>>('GET', `/sync-tasks${query({ limit, offset })}`)),
    getTask: (id: string) => call<TaskView>('GET', `/sync-tasks/${enc(id)}`),
    createTask: (body: unknown) => call<TaskView>('POST', '/sync-tasks', body),
    testConnection: (body: unknown) => call<ConnectionTestView>('POST', '/sync-tasks/test-connection', body),
    testTask: (id: string) => call<ConnectionTestView>('POST', `/sync-tasks/${enc(id)}/test-connection`),
    patchTask: (id: string, body: unknown) => call<TaskView>('PATCH', `/sync-tasks/${enc(id)}`, body),
    setEnabled: (id: string, enabled: boolean) => call<TaskView>('POST', `/sync-tasks/${enc(id)}/${enabled ? 'enable' : 'disable'}`),
    deleteTask: (id: string) => call<undefined>('DELETE', `/sync-tasks/${enc(id)}`),
    requestRun: (id: string, dryRun: boolean) => call<{ runId: string; coalesced: boolean }>('POST', `/sync-tasks/${enc(id)}/runs`, dryRun ? { dryRun } : {}),
    listRuns: (taskId: string, status?: string) => allPages((limit, offset) => call<Page<RunView>>('GET', `/sync-tasks/${enc(taskId)}/runs${query({ limit, offset, status })}`)),
    getRun: (id: string) => call<RunView>('GET', `/runs/${enc(id)}`),
    listItems: (runId: string, filter: { status?: string; entity?: string; action?: string }) =>
      allPages((limit, offset) => call<Page<RunItemView>>('GET', `/runs/${enc(runId)}/items${query({ limit, offset, ...filter })}`)),
    listPendingDeletions: (filter: { taskId?: string; runId?: string; status?: string }) =>
      allPages((limit, offset) => call<Page<PendingDeletionView>>('GET', `/pending-deletions${query({ limit, offset, ...filter })}`)),
    decide: (action: 'execute' | 'cancel', ids: string[]) => call<{ results: DecisionResult[] }>('POST', `/pending-deletions/${action}`, { ids }),
  };
}
export type SyncApi = ReturnType<typeof createSyncApi>;

/** Polls a run until it has finished; a 404 means the run workflow has not written its row yet. */
export async function waitForRun(api: SyncApi, runId: string, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<RunView> {
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  for (;;) {
    try {
      const run = await api.getRun(runId);
      if (finishedRuns.includes(run.status)) return run;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
    }
    if (Date.now() > deadline) throw new ApiError(`run ${runId} did not finish within ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
}

/** The file body of GET /runs/:id/export, as bytes. */
export async function downloadRunExport(options: ApiClientOptions, runId: string, format: 'csv' | 'xlsx'): Promise<Buffer> {
  const path = `/api/v1/runs/${enc(runId)}/export?format=${format}`;
  let response: Response;
  try {
    response = await fetch(`${options.baseUrl}${path}`, { headers: { authorization: `Bearer ${options.token}` } });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new ApiError(`cannot reach the Sync Center API at ${options.baseUrl} (${cause}): is \`sync-center start\` running?`);
  }
  if (!response.ok) {
    const text = await response.text();
    let detail = text.slice(0, 200);
    try {
      detail = (JSON.parse(text) as { message?: string }).message ?? detail;
    } catch {
      // not JSON: the raw text says it
    }
    throw new ApiError(`GET ${path} failed with ${response.status}: ${detail}`, response.status);
  }
  return Buffer.from(await response.arrayBuffer());
}
