// Sync tasks: CRUD, enable/disable, manual runs and the run list of a task. Every role reads;
// admin and operator write. Each write is stored first, then mirrored into Temporal.
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SyncTaskView } from '../../db/repos/sync-tasks';
import { TaskConfigError } from '../../engine/task-config';
import { auditActor, hubWriters, readers, requireRole } from '../auth';
import { ApiError, ErrorBody, errorResponses } from '../errors';
import { IdParams, PageQuery, pageOf } from '../schemas';
import type { ApiRoutePlugin } from '../server';
import { syncContext, taskForTemporal, viaTemporal } from '../sync-context';
import { takeResetLinks, taskWriteRulesFor } from '../task-write-rules';
import { RunListQuery, RunResponse, TaskConfigErrorBody, TaskResponse, toRunResponse, toTaskResponse } from '../sync-schemas';
import { ConnectionTestResponse, TaskBody, taskBodyValidator, TaskPatchBody } from '../task-body';
import { testTaskConnection, webhookUrlOf } from '../connection-test';

const RunRequestBody = z.strictObject({ dryRun: z.boolean().optional().describe('store the plan and apply nothing') }).default({});
const RunAccepted = z.object({ runId: z.string(), coalesced: z.boolean().describe('true when a run already waiting will carry this request') });

/** A refused configuration as 400 `{ error, field, message, issues }`; anything else is rethrown. */
export async function answeringTaskConfigErrors<T>(reply: FastifyReply, write: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await write();
  } catch (err) {
    if (!(err instanceof TaskConfigError)) throw err;
    const [first] = err.issues;
    return reply.code(400).send({ error: 'validation_failed', field: first?.field, message: err.message, issues: err.issues });
  }
}

export const syncTaskRoutes: ApiRoutePlugin = async (app, { deps }) => {
  const tags = ['sync tasks'];
  const read = requireRole(...readers);
  const write = requireRole(...hubWriters);
  const ctx = syncContext(deps);
  const answer = (task: SyncTaskView) => toTaskResponse(task, deps.publicUrl);

  /** Mirrors a stored task into Temporal (workflow, pause state, Schedule); skipped when the API runs without Temporal. */
  const mirror = async (task: SyncTaskView) => {
    if (ctx.hasTemporal) await viaTemporal(`task ${task.id} was saved, but Temporal could not be updated (repeat the request)`, () => ctx.temporal().ensureTask(taskForTemporal(task)));
  };

  app.get(
    '/sync-tasks',
    { onRequest: read, schema: { tags, summary: 'List sync tasks with their derived status', querystring: z.strictObject(PageQuery), response: { 200: pageOf(TaskResponse), ...errorResponses } } },
    async (request) => {
      const page = await ctx.tasks().list(request.query);
      return { ...page, items: page.items.map(answer) };
    },
  );

  app.post(
    '/sync-tasks',
    {
      onRequest: write,
      validatorCompiler: taskBodyValidator,
      schema: { tags, summary: 'Create a sync task (starts its workflow and Schedule)', body: TaskBody, response: { 201: TaskResponse, 400: TaskConfigErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody } },
    },
    async (request, reply) =>
      answeringTaskConfigErrors(reply, async () => {
        const actor = auditActor(request.actor);
        const task = await ctx.tasks().create(request.body, actor, taskWriteRulesFor(request.actor));
        try {
          if (ctx.hasTemporal) await viaTemporal('starting the task in Temporal', () => ctx.temporal().ensureTask(taskForTemporal(task)));
        } catch (err) {
          // No task exists half-made: undo the row, and whatever part of Temporal was set up.
          await ctx.tasks().rollBackCreate(task.id, actor, err instanceof Error ? err.message : String(err));
          await ctx.temporal().removeTask(task.id).catch(() => undefined);
          throw err;
        }
        return reply.code(201).send(answer(task));
      }),
  );

  app.post(
    '/sync-tasks/test-connection',
    {
      onRequest: write,
      validatorCompiler: taskBodyValidator,
      schema: {
        tags,
        summary: 'Test a task body against the app (credentials, permissions, callback); nothing is saved',
        body: TaskBody,
        response: { 200: ConnectionTestResponse, 400: TaskConfigErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) => answeringTaskConfigErrors(reply, async () => testTaskConnection(ctx.tasks().validate(request.body), null)),
  );

  app.post(
    '/sync-tasks/:id/test-connection',
    {
      onRequest: write,
      schema: {
        tags,
        summary: "Test a stored task's connection with its stored secrets (credentials, permissions, callback URL)",
        params: IdParams,
        response: { 200: ConnectionTestResponse, 404: ErrorBody, 503: ErrorBody, ...errorResponses, 400: TaskConfigErrorBody },
      },
    },
    async (request, reply) =>
      answeringTaskConfigErrors(reply, async () => {
        const task = await ctx.tasks().get(request.params.id);
        const config = await ctx.tasks().configWithSecrets(task.id);
        return testTaskConnection(config, webhookUrlOf({ ...task, realtime: config.triggers.realtime }, deps.publicUrl));
      }),
  );

  app.get(
    '/sync-tasks/:id',
    { onRequest: read, schema: { tags, summary: 'Get a sync task (never its secrets)', params: IdParams, response: { 200: TaskResponse, 404: ErrorBody, ...errorResponses } } },
    async (request) => answer(await ctx.tasks().get(request.params.id)),
  );

  app.patch(
    '/sync-tasks/:id',
    {
      onRequest: write,
      validatorCompiler: taskBodyValidator,
      schema: {
        tags,
        summary: 'Edit a sync task (JSON merge patch, next run); re-pointing needs the secrets again and `resetLinks`; protection is admin-only',
        params: IdParams,
        body: TaskPatchBody,
        response: { 200: TaskResponse, 400: TaskConfigErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody },
      },
    },
    async (request, reply) =>
      answeringTaskConfigErrors(reply, async () => {
        const { resetLinks, patch } = takeResetLinks(request.body);
        const { canceledRunIds, ...task } = await ctx.tasks().patch(request.params.id, patch, auditActor(request.actor), taskWriteRulesFor(request.actor, { resetLinks }));
        if (canceledRunIds.length > 0 && ctx.hasTemporal) {
          // Best effort after the commit: the reconciler and the workflows' own rechecks catch a missed signal.
          await ctx
            .temporal()
            .approvalItemsChanged(canceledRunIds)
            .catch((err: unknown) => request.log.warn({ taskId: task.id, runs: canceledRunIds.length, err: err instanceof Error ? err.message : String(err) }, 'approval workflows not told of items cancelled by the re-point'));
        }
        await mirror(task);
        return answer(task);
      }),
  );

  app.delete(
    '/sync-tasks/:id',
    {
      onRequest: write,
      schema: { tags, summary: 'Delete a sync task: stops its workflow and Schedule; run history stays', params: IdParams, response: { 204: z.null(), 404: ErrorBody, 503: ErrorBody, ...errorResponses } },
    },
    async (request, reply) => {
      const { id } = request.params;
      await ctx.tasks().get(id); // 404 before touching Temporal
      if (ctx.hasTemporal) await viaTemporal(`stopping task ${id} in Temporal`, () => ctx.temporal().removeTask(id));
      await ctx.tasks().remove(id, auditActor(request.actor));
      return reply.code(204).send(null);
    },
  );

  for (const [path, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(
      `/sync-tasks/:id/${path}`,
      {
        onRequest: write,
        schema: {
          tags,
          summary: enabled ? 'Enable a task (unpauses its Schedule and triggers)' : 'Disable a task (pauses its Schedule and triggers)',
          params: IdParams,
          response: { 200: TaskResponse, 404: ErrorBody, 503: ErrorBody, ...errorResponses },
        },
      },
      async (request) => {
        const task = await ctx.tasks().setEnabled(request.params.id, enabled, auditActor(request.actor));
        await mirror(task);
        return answer(task);
      },
    );
  }

  app.post(
    '/sync-tasks/:id/runs',
    {
      onRequest: write,
      schema: {
        tags,
        summary: 'Start a run (coalesced with one already waiting); 202 with the run id',
        params: IdParams,
        body: RunRequestBody,
        response: { 202: RunAccepted, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody, ...errorResponses },
      },
    },
    async (request, reply) => {
      const task = await ctx.tasks().get(request.params.id);
      if (!task.enabled) throw new ApiError(409, 'conflict', `task ${task.id} is disabled; enable it to run it`);
      const accepted = await viaTemporal(`requesting a run of task ${task.id}`, () =>
        ctx.temporal().requestRun(taskForTemporal(task), { dryRun: request.body?.dryRun, requestedBy: auditActor(request.actor) }),
      );
      return reply.code(202).send(accepted);
    },
  );

  app.get(
    '/sync-tasks/:id/runs',
    { onRequest: read, schema: { tags, summary: "A task's runs, newest first (also after the task was deleted)", params: IdParams, querystring: RunListQuery, response: { 200: pageOf(RunResponse), 404: ErrorBody, ...errorResponses } } },
    async (request) => {
      const { id } = request.params;
      if (!(await ctx.tasks().exists(id, { includeDeleted: true }))) throw new ApiError(404, 'not_found', `sync task ${id} not found`);
      const page = await ctx.runs.listRuns(id, request.query);
      return { ...page, items: page.items.map(toRunResponse) };
    },
  );
};
