/**
 * Every connector kind the API accepts is runnable: for each definition a task may name, and each
 * direction it allows, a task body built from the definition alone (its fake's taskConnector, or its
 * example) is saved through the API, a manual run requested through the API completes on the real
 * Temporal dev server with the real activities, and the second run plans nothing. A kind added to
 * connectors/definitions.ts is covered here without this file changing.
 */
import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { connectorCatalog } from '../../connectors/definitions';
import type { Database } from '../../db/client';
import { createSecretBox } from '../../db/secret-box';
import { finishedRunStatuses, itemStatuses } from '../../engine/statuses';
import { eventually } from '../../workflows/testing/in-memory-activities';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { KindFixtures } from '../support/connector-kinds';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { quietTemporalLogs } from './harness';
import { SyncRuntime } from './sync-runtime';

jest.setTimeout(180_000);

const adminToken = `every-kind-${randomBytes(8).toString('hex')}`;
const cases = connectorCatalog.flatMap((facts) => facts.directions.map((direction) => [facts.kind, direction] as const));

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let database: Database;
let kinds: KindFixtures;
let runtime: SyncRuntime;

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${runtime.apiUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Requests a manual run through the API and waits for its outcome. */
async function runToEnd(taskId: string): Promise<Record<string, unknown>> {
  const requested = await call('POST', `/sync-tasks/${taskId}/runs`, {});
  expect({ status: requested.status, body: requested.body }).toEqual({ status: 202, body: expect.objectContaining({ runId: expect.any(String) }) });
  const runId = requested.body.runId as string;
  const run = await eventually(
    async () => {
      const run = (await call('GET', `/runs/${runId}`)).body;
      return (finishedRunStatuses as readonly unknown[]).includes(run.status) ? run : undefined;
    },
    `run ${runId} of task ${taskId} to finish`,
    90_000,
  );
  return run!;
}

beforeAll(async () => {
  quietTemporalLogs();
  [env, bundle, database, kinds] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase('pglite'), KindFixtures.start()]);
  runtime = await new SyncRuntime({ env, bundle, database, secretBox: createSecretBox(randomBytes(32)), taskQueue: `every-kind-${process.pid}`, adminToken }).start();
  // Something for downstream runs to provision: a department and a person every vendor takes (not one an example names;
  // e-cology keys people on the employee number, its workcode).
  const department = await call('POST', '/departments', { name: 'Engineering' });
  expect(department.status).toBe(201);
  const person = await call('POST', '/users', { username: 'yan', name: 'Yan Li', email: 'yan@acme.test', mobile: '+8613800000001', employeeNumber: 'YAN-1', departmentIds: [department.body.id] });
  expect(person.status).toBe(201);
}, 240_000);

afterAll(async () => {
  await runtime?.close();
  await kinds?.close();
  await env?.teardown();
  await database?.close();
});

test('the cases cover every kind a task may name, in each direction it allows', () => {
  expect(cases.length).toBeGreaterThanOrEqual(connectorCatalog.length);
  expect(new Set(cases.map(([kind]) => kind))).toEqual(new Set(connectorCatalog.map((facts) => facts.kind)));
});

test.each(cases)('a %s %s task saved through the API runs to success, and its second run plans nothing', async (kind, direction) => {
  const created = await call('POST', '/sync-tasks', { name: `${kind} ${direction}`, direction, connector: kinds.connectorOf(kind) });
  expect({ status: created.status, error: created.body.message }).toEqual({ status: 201, error: undefined });
  const taskId = created.body.id as string;
  try {
    const first = await runToEnd(taskId);
    // The failed items' errors, so a refusal says which vendor code or field it was.
    const failed = first.status === 'succeeded' ? [] : ((await call('GET', `/runs/${first.id as string}/items?status=failed`)).body.items as unknown[]);
    expect({ kind, direction, status: first.status, error: first.error ?? null, failed }).toEqual({ kind, direction, status: 'succeeded', error: null, failed: [] });
    // A downstream run provisions the seeded department and person; an upstream one reads the (empty or provisioned) app.
    if (direction === 'downstream') expect({ kind, provisioned: (first.counters as Record<string, number>).succeeded >= 2 }).toEqual({ kind, provisioned: true });
    const second = await runToEnd(taskId);
    const counters = second.counters as Record<string, number>;
    const items = Object.fromEntries(itemStatuses.map((status) => [status, counters[status] ?? 0]));
    expect({ kind, direction, status: second.status, items }).toEqual({ kind, direction, status: 'succeeded', items: Object.fromEntries(itemStatuses.map((status) => [status, 0])) });
  } finally {
    // One app is never both upstream and downstream of the hub: the next direction's task needs this one gone.
    expect((await call('DELETE', `/sync-tasks/${taskId}`)).status).toBe(204);
  }
});
