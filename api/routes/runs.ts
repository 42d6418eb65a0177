// Runs: detail with live progress, items filtered and paged, CSV/XLSX export, retry of failed items.
import { z } from 'zod';
import { runWorkflowId } from '../../workflows/definitions';
import { auditActor, hubWriters, readers, requireRole } from '../auth';
import { ApiError, ErrorBody, errorResponses } from '../errors';
import { createExportGate, runItemsCsv, runItemsXlsx } from '../run-export';
import { IdParams, pageOf } from '../schemas';
import type { ApiRoutePlugin } from '../server';
import { syncContext, taskForTemporal, viaTemporal } from '../sync-context';
import { RunDetailResponse, RunItemResponse, RunItemsQuery, toRunResponse } from '../sync-schemas';

const ExportQuery = z.strictObject({ format: z.enum(['csv', 'xlsx']).default('csv') });
const exportRetryAfterSeconds = 5;
const RetryAccepted = z.object({ runId: z.string(), coalesced: z.boolean(), sourceIds: z.number().int().describe('failed source ids handed to the run') });

export const runRoutes: ApiRoutePlugin = async (app, { deps }) => {
  const tags = ['runs'];
  const read = requireRole(...readers);
  const write = requireRole(...hubWriters);
  const ctx = syncContext(deps);
  // Each export reads a whole run; a few at once keep one caller from hogging the database and CPU.
  const exports = createExportGate(deps.exportsAtOnce ?? 2);

  app.get(
    '/runs/:id',
    { onRequest: read, schema: { tags, summary: 'A run: status, timing, counters, and live progress while it runs', params: IdParams, response: { 200: RunDetailResponse, 404: ErrorBody, ...errorResponses } } },
    async (request) => {
      const run = await ctx.runs.getRun(request.params.id);
      const summary = await ctx.runs.countersOf(run.id);
      const inFlight = run.status === 'running' || run.status === 'pending';
      const progress = inFlight && ctx.hasTemporal ? await ctx.temporal().runProgress(run.workflowId ?? runWorkflowId(run.taskId, run.id)) : undefined;
      return {
        ...toRunResponse(run),
        summary,
        ...(progress ? { progress: { phase: progress.phase, batchesDone: progress.batchesDone, batchesTotal: progress.batchesTotal, counters: { ...progress.counters } } } : {}),
      };
    },
  );

  app.get(
    '/runs/:id/items',
    { onRequest: read, schema: { tags, summary: "A run's items in plan order, filtered by entity, status and action", params: IdParams, querystring: RunItemsQuery, response: { 200: pageOf(RunItemResponse), 404: ErrorBody, ...errorResponses } } },
    async (request) => {
      const run = await ctx.runs.getRun(request.params.id);
      const page = await ctx.runs.listItems(run.id, request.query);
      return { ...page, items: page.items.map((item) => ({ ...item, finishedAt: item.finishedAt?.toISOString() ?? null })) };
    },
  );

  app.get(
    '/runs/:id/export',
    {
      onRequest: read,
      schema: { tags, summary: "Download a run's items as CSV (UTF-8 with BOM) or XLSX", params: IdParams, querystring: ExportQuery, response: { 200: z.any().describe('the file: text/csv (UTF-8 with BOM) or XLSX'), 404: ErrorBody, 429: ErrorBody.describe('too many exports running; see Retry-After'), ...errorResponses } },
    },
    async (request, reply) => {
      const run = await ctx.runs.getRun(request.params.id);
      const release = exports.tryAcquire();
      if (!release) {
        reply.header('retry-after', String(exportRetryAfterSeconds));
        throw new ApiError(429, 'too_many_exports', `${exports.running} exports are running; retry after ${exportRetryAfterSeconds} s`);
      }
      const { format } = request.query;
      const body = format === 'csv' ? runItemsCsv(ctx.runs, run.id) : runItemsXlsx(ctx.runs, run);
      // The slot is held until the file has gone out, or the client went away.
      body.once('close', release);
      reply.raw.once('close', release);
      const type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      return reply.header('content-type', type).header('content-disposition', `attachment; filename="run-${run.id}.${format}"`).send(body);
    },
  );

  app.post(
    '/runs/:id/retry-failed',
    {
      onRequest: write,
      schema: { tags, summary: "Start a run over the failed items' source ids; 202 with the run id", params: IdParams, response: { 202: RetryAccepted, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody, ...errorResponses } },
    },
    async (request, reply) => {
      const run = await ctx.runs.getRun(request.params.id);
      const task = await ctx.tasks().get(run.taskId);
      if (!task.enabled) throw new ApiError(409, 'conflict', `task ${task.id} is disabled; enable it to retry`);
      const sourceIds = await ctx.runs.failedSourceIds(run.id);
      if (sourceIds.length === 0) throw new ApiError(409, 'conflict', `run ${run.id} has no failed items to retry`);
      const accepted = await viaTemporal(`requesting a retry of run ${run.id}`, () =>
        ctx.temporal().requestRun(taskForTemporal(task), { changedIds: sourceIds, requestedBy: auditActor(request.actor) }),
      );
      return reply.code(202).send({ ...accepted, sourceIds: sourceIds.length });
    },
  );
};
