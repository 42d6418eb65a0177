/**
 * Replay: every committed history (test/replay/histories/<release>/*.json, recorded by
 * `npm run record-histories` on that release's code) must replay on today's workflow bundle. A
 * change of command order without patched(), or a removed workflow type, fails here with the
 * workflow type, id and file named. The top-level v1-*.json were recorded from the first approval
 * design (commit 8d2c432: the run hands its staged ids to a signal-based deletionApprovalWorkflow).
 * pre-realtime-one-activity/ holds a small real-time run recorded on commit 9e919a1, before such runs
 * took one activity (workflows/sync-run.ts, REALTIME_ONE_ACTIVITY_PATCH).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { RecordedHistory } from '../../scripts/record-histories';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';

const root = path.join(__dirname, 'histories');

/** The v1 files predate the recorder and carry no ids of their own. */
const V1_WORKFLOW_IDS: Record<string, string> = {
  'v1-run-finished.json': 'sync-run:task-v1:run-a',
  'v1-approval-finished.json': 'deletion-approval:run-a',
  'v1-run-open-approval.json': 'sync-run:task-v1:run-b',
  'v1-approval-open.json': 'deletion-approval:run-b',
};

interface Committed {
  file: string;
  workflowId: string;
  workflowType: string;
  history: temporal.api.history.v1.History;
}

function committedHistories(dir = root): Committed[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry): Committed[] => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) return committedHistories(file);
      if (!entry.name.endsWith('.json')) return [];
      const json = JSON.parse(readFileSync(file, 'utf8')) as RecordedHistory | object;
      const recorded = 'history' in json ? json : { workflowId: V1_WORKFLOW_IDS[entry.name] ?? entry.name, history: json };
      const history = temporal.api.history.v1.History.fromObject(recorded.history as object);
      const workflowType = history.events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? 'unknown';
      return [{ file: path.relative(root, file), workflowId: recorded.workflowId, workflowType, history }];
    });
}

const histories = committedHistories();

test('the committed histories cover every workflow type of the bundle', () => {
  expect(new Set(histories.map((h) => h.workflowType))).toEqual(
    new Set(['syncTaskWorkflow', 'syncRunWorkflow', 'deletionApprovalWorkflow', 'pendingDeletionApprovalWorkflow', 'approvalReconcilerWorkflow', 'scheduledTriggerWorkflow', 'runTaskNowWorkflow']),
  );
});

test('a small real-time run from before the one-activity form (separate steps) is among them', () => {
  // Recorded on commit 9e919a1: the history patched('realtime-run-one-activity') must keep replaying.
  const recorded = histories.find((h) => h.file === path.join('pre-realtime-one-activity', 'sync-run-realtime-small.json'));
  const types = (recorded?.history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : []));
  expect(types).toEqual(['snapshot', 'plan', 'applyBatch', 'stageRunDeletions', 'notifyRun']);
});

test('every committed history replays on the current workflow code', async () => {
  const workflowBundle = await bundleSyncWorkflows();
  const failures: string[] = [];
  let replayed = 0;
  // Replayed one at a time in input order, so the n-th result is the n-th history.
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories.map(({ workflowId, history }) => ({ workflowId, history })))) {
    const { file, workflowType, workflowId } = histories[replayed++];
    if (result.error) failures.push(`${workflowType} ${workflowId} (${file}): ${result.error.name}: ${result.error.message}`);
  }
  expect(replayed).toBe(histories.length);
  expect(failures).toEqual([]);
}, 180_000);
