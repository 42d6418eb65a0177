/**
 * Structured activity logs (pino JSON lines) on the real Temporal dev server and Postgres: every line
 * the activities of a run write carries its runId and taskId; a failed step logs its error (the
 * vendor's code) and never the connector's secret or a token.
 */
import { Writable } from 'node:stream';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunningWecomFake } from '../../connectors/wecom/fake';
import type { Database } from '../../db/client';
import { createHubDirectory } from '../../db/repos/hub-directory';
import { createLogger, setRootLogger } from '../../telemetry/log';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { corpSecret, E2eStack, quietTemporalLogs, seedHubCompany } from './harness';

jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let database: Database;
let wecom: RunningWecomFake;
let stack: E2eStack;
const lines: Record<string, unknown>[] = [];
const raw: string[] = [];

beforeAll(async () => {
  quietTemporalLogs();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  setRootLogger(createLogger({ level: 'debug', destination: sink }));
  let bundle;
  [env, bundle, database, wecom] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase('postgres'), E2eStack.startWecom()]);
  stack = new E2eStack(env, bundle, database);
  await seedHubCompany(createHubDirectory(database.db));
});

afterAll(async () => {
  await wecom?.close();
  await database?.close();
  await env?.teardown();
});

test('every activity line of a run names its run and task', async () => {
  const taskId = await stack.insertTask(stack.wecomTask(wecom));
  const run = await stack.run(taskId);
  expect(run.status).toBe('succeeded');
  const ofRun = lines.filter((l) => l.runId === run.runId);
  expect(ofRun.map((l) => l.activity)).toEqual(expect.arrayContaining(['loadTaskForRun', 'startRun', 'snapshot', 'plan', 'applyBatch', 'finishRun', 'notifyRun']));
  for (const line of ofRun) expect(line).toMatchObject({ taskId, runId: run.runId, name: 'sync-center', msg: expect.stringMatching(/ (completed|failed)$/) });
  expect(ofRun.find((l) => l.activity === 'applyBatch')).toMatchObject({ result: { succeeded: expect.any(Number), failed: 0 } });
  // No line of any activity lacks the ids of the run it served.
  const activityLines = lines.filter((l) => typeof l.workflowId === 'string' && String(l.workflowId).startsWith('sync-run:'));
  expect(activityLines.filter((l) => !l.runId || !l.taskId)).toEqual([]);
});

test('a failing step logs the vendor error with its ids, and no secret', async () => {
  const body = stack.wecomTask(wecom);
  const taskId = await stack.insertTask({ ...body, connector: { ...body.connector, secrets: { corpSecret: 'wrong-secret-not-logged' } } });
  const run = await stack.run(taskId).catch(() => undefined);
  expect(run).toBeUndefined();
  const failed = lines.find((l) => l.taskId === taskId && l.activity === 'snapshot' && l.level === 40);
  expect(failed).toMatchObject({ runId: expect.any(String), msg: 'snapshot failed', error: expect.stringContaining('40001'), nonRetryable: true });
  for (const line of raw) {
    expect(line).not.toContain(corpSecret);
    expect(line).not.toContain('wrong-secret-not-logged');
    expect(line).not.toContain('access_token=');
  }
});
