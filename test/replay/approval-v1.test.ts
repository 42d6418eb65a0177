/**
 * Replay: histories recorded with the first approval design (commit 8d2c432: the run hands its
 * staged ids to a signal-based deletionApprovalWorkflow) must replay on today's workflow code,
 * finished ones and ones whose approval is still open. A change of command sequence without
 * patched() (or a removed workflow type) fails here with a determinism error. The histories were
 * recorded by running that commit's workflows with its in-memory activities on the dev server.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';

let workflowBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  workflowBundle = await bundleSyncWorkflows();
}, 120_000);

const history = (name: string) =>
  temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(path.join(__dirname, 'histories', `${name}.json`), 'utf8')));

test.each([
  ['v1-run-finished', 'sync-run:task-v1:run-a'],
  ['v1-approval-finished', 'deletion-approval:run-a'],
  ['v1-run-open-approval', 'sync-run:task-v1:run-b'],
  ['v1-approval-open', 'deletion-approval:run-b'],
])('%s replays on the current code', async (name, workflowId) => {
  await expect(Worker.runReplayHistory({ workflowBundle }, history(name), workflowId)).resolves.toBeUndefined();
});
