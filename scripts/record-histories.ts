/**
 * Records one history set per release for the replay test (test/replay/histories.test.ts):
 * representative executions of every workflow type, run on a real Temporal dev server with the
 * in-memory activities, written as JSON under test/replay/histories/<release>/ and committed.
 *
 *   npm run record-histories            # release = package.json version
 *   npm run record-histories -- 0.2.0   # or name it
 *
 * Run it on the released code, before changing workflows for the next one: the replay test then
 * proves every committed release still replays on today's code.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startLocalTemporal } from '../test/support/temporal';
import {
  approvalWorkflowId,
  decideUpdate,
  runWorkflowId,
  stateQuery,
  taskWorkflowId,
  triggerSignal,
  type TriggerRequest,
} from '../workflows/definitions';
import { approvalReconcilerWorkflow } from '../workflows/approval-reconciler';
import { runTaskNowWorkflow, scheduledTriggerWorkflow } from '../workflows/scheduled-trigger';
import { syncRunWorkflow } from '../workflows/sync-run';
import { syncTaskWorkflow } from '../workflows/sync-task';
import { createInMemoryActivities, eventually } from '../workflows/testing/in-memory-activities';
import { bundleSyncWorkflows, withWorker } from '../workflows/testing/workers';

/** What one committed file holds: the history, and the ids the replay test names on failure. */
export interface RecordedHistory {
  workflowId: string;
  runId: string;
  workflowType: string;
  history: unknown;
}

const root = path.join(__dirname, '..');
const release = process.argv[2] ?? (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
const outDir = path.join(root, 'test', 'replay', 'histories', release);
const ok = (succeeded: number) => ({ succeeded, failed: 0, skipped: 0 });

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const [env, workflowBundle] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows()]);
  const written: string[] = [];
  try {
    const upTask = 'rec-upstream';
    const downTask = 'rec-downstream';
    const memory = createInMemoryActivities({
      tasks: { [upTask]: { direction: 'upstream', connectorKind: 'feishu', realtimeDebounceMs: 100 }, [downTask]: { realtimeDebounceMs: 100 } },
      plans: { [upTask]: { batches: [ok(2), ok(1)] }, [downTask]: { batches: [ok(3)], stagedDeletes: 3 } },
    });

    /** Writes every run of a workflow id (continue-as-new chains too), open or closed. */
    const save = async (name: string, handle: WorkflowHandle, runIds?: string[]) => {
      const ids = runIds ?? [(await handle.describe()).runId];
      for (const [index, runId] of ids.entries()) {
        const run = env.client.workflow.getHandle(handle.workflowId, runId);
        const description = await run.describe();
        const history = temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.fromObject(await run.fetchHistory()), { longs: String, enums: String, bytes: String });
        const record: RecordedHistory = { workflowId: handle.workflowId, runId, workflowType: description.type, history };
        const file = `${name}${ids.length > 1 ? `-${index + 1}` : ''}.json`;
        writeFileSync(path.join(outDir, file), `${JSON.stringify(record, null, 1)}\n`);
        written.push(file);
      }
    };
    const runChain = async (handle: WorkflowHandle): Promise<string[]> => {
      const runIds: string[] = [];
      for await (const execution of env.client.workflow.list({ query: `WorkflowId="${handle.workflowId}"` })) runIds.push(execution.runId);
      return runIds.reverse();
    };

    mkdirSync(outDir, { recursive: true });
    await withWorker(env, workflowBundle, memory, async (taskQueue) => {
      const signalWithStart = (taskId: string, trigger: TriggerRequest, runsPerExecution?: number) =>
        env.client.workflow.signalWithStart(syncTaskWorkflow, {
          taskQueue,
          workflowId: taskWorkflowId(taskId),
          args: [{ taskId, runsPerExecution }],
          signal: triggerSignal,
          signalArgs: [trigger],
        });

      // sync-task: a manual run with real-time triggers arriving during it (coalesced into the
      // next run), continue-as-new after every run, then a scheduled and a UI-started trigger.
      const release = memory.holdSnapshots();
      const task = await signalWithStart(upTask, { trigger: 'manual', requestedBy: 'token:ops:1' }, 1);
      await eventually(() => memory.runsOf(upTask).length === 1, 'the first upstream run');
      await task.signal(triggerSignal, { trigger: 'realtime', changedIds: ['u1', 'u2'] });
      await task.signal(triggerSignal, { trigger: 'realtime', changedIds: ['u2', 'u3'], coalesced: true });
      await eventually(async () => (await task.query(stateQuery)).pending.real !== undefined, 'the pending real-time run');
      release();
      await eventually(async () => (await task.query(stateQuery)).runsCompleted === 2, 'two upstream runs');
      await env.client.workflow.execute(scheduledTriggerWorkflow, { taskQueue, workflowId: `rec-schedule-trigger:${upTask}`, args: [{ taskId: upTask }] });
      await eventually(async () => (await task.query(stateQuery)).runsCompleted === 3, 'the scheduled run');
      await env.client.workflow.execute(runTaskNowWorkflow, { taskQueue, workflowId: `rec-ui:${upTask}`, args: [{ taskId: upTask, dryRun: true }] });
      await eventually(async () => (await task.query(stateQuery)).runsCompleted === 4, 'the dry run');

      // sync-run downstream with staged deletions, its approval decided (execute + cancel) to the end.
      const down = await signalWithStart(downTask, { trigger: 'manual' });
      await eventually(() => memory.runsOf(downTask)[0]?.status !== undefined, 'the downstream run');
      const decidedRun = memory.runsOf(downTask)[0].runId;
      const decided = env.client.workflow.getHandle(approvalWorkflowId(decidedRun));
      await decided.executeUpdate(decideUpdate, { args: [{ action: 'execute', ids: [`${decidedRun}:del-0`, `${decidedRun}:del-1`], actor: 'token:alice:2' }] });
      await decided.executeUpdate(decideUpdate, { args: [{ action: 'cancel', ids: [`${decidedRun}:del-2`], actor: 'token:bob:3' }] });
      await decided.result();

      // A second downstream run whose approval stays open, one item executed.
      await down.signal(triggerSignal, { trigger: 'realtime', changedIds: ['u9'] });
      await eventually(() => memory.runsOf(downTask)[1]?.status !== undefined, 'the second downstream run');
      const openRun = memory.runsOf(downTask)[1].runId;
      const open = env.client.workflow.getHandle(approvalWorkflowId(openRun));
      await open.executeUpdate(decideUpdate, { args: [{ action: 'execute', ids: [`${openRun}:del-0`], actor: 'token:alice:2' }] });
      await eventually(() => memory.pendingDeletions.get(`${openRun}:del-0`)?.status === 'SUCCEEDED', 'the executed item');

      // The reconciler adopting orphaned items (a run whose approval workflow is gone).
      memory.pendingDeletions.set('orphan:del-0', { runId: 'rec-orphan-run', status: 'PENDING', executions: 0 });
      const reconciler = await env.client.workflow.start(approvalReconcilerWorkflow, { taskQueue, workflowId: 'rec-approval-reconciler', args: [{}] });
      await reconciler.result();
      const adopted = env.client.workflow.getHandle(approvalWorkflowId('rec-orphan-run'));
      await adopted.executeUpdate(decideUpdate, { args: [{ action: 'cancel', ids: ['orphan:del-0'], actor: 'token:bob:3' }] });
      await adopted.result();

      const taskRuns = memory.runsOf(upTask).map((run) => run.runId);
      // A run started straight from the UI, upstream, without the task workflow.
      const direct = await env.client.workflow.start(syncRunWorkflow, { taskQueue, workflowId: `rec-direct-run`, args: [{ taskId: upTask, runId: 'rec-direct', trigger: 'manual' }] });
      await direct.result();

      await save('sync-task-upstream', task, await runChain(task));
      await save('sync-task-downstream', down);
      for (const [index, runId] of taskRuns.entries()) await save(`sync-run-upstream-${index + 1}`, env.client.workflow.getHandle(runWorkflowId(upTask, runId)));
      await save('sync-run-downstream-staged', env.client.workflow.getHandle(runWorkflowId(downTask, decidedRun)));
      await save('sync-run-downstream-open-approval', env.client.workflow.getHandle(runWorkflowId(downTask, openRun)));
      await save('sync-run-direct', direct);
      await save('approval-decided', decided);
      await save('approval-open', open);
      await save('approval-reconciler', reconciler);
      await save('approval-adopted', adopted);
      await save('scheduled-trigger', env.client.workflow.getHandle(`rec-schedule-trigger:${upTask}`));
      await save('run-task-now', env.client.workflow.getHandle(`rec-ui:${upTask}`));
      await task.terminate('recorded');
      await down.terminate('recorded');
      await open.terminate('recorded');
    });
  } finally {
    await env.teardown();
  }
  console.log(`${written.length} histories in ${path.relative(root, outDir)}: ${written.join(', ')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
