// The outbox against a real Temporal dev server: a change whose process died after its commit, and
// whose first drain found Temporal unreachable, lands as a real-time trigger in the downstream task's
// workflow (signal-with-start) once Temporal answers.
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Database } from '../db/client';
import { createHubDirectory } from '../db/repos/hub-directory';
import { hubChangeOutbox } from '../db/schema';
import { createSecretBox } from '../db/secret-box';
import { openTestDatabase } from '../test/support/databases';
import { startLocalTemporal } from '../test/support/temporal';
import { taskWorkflowId } from '../workflows/definitions';
import { drainHubOutbox } from './hub-outbox-drain';
import { createRealtimeSignaller } from './webhooks/realtime-signal';
import { insertTask } from './webhooks/testing';

jest.setTimeout(90_000);

let env: TestWorkflowEnvironment;
let database: Database;

beforeAll(async () => {
  [env, database] = await Promise.all([startLocalTemporal(), openTestDatabase('pglite')]);
}, 120_000);

afterAll(async () => {
  await database?.close();
  await env?.teardown();
});

test('a change committed by a process that died, first drained while Temporal was unreachable, reaches the task workflow later', async () => {
  const taskId = await insertTask(database, createSecretBox(randomBytes(32)), {
    name: 'realtime downstream',
    direction: 'downstream',
    connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:1/cgi-bin', corpId: 'ww-outbox' }, secrets: { corpSecret: 's' } },
    triggers: { manual: true, realtime: true },
  });
  const hub = createHubDirectory(database.db, {
    onChange: () => {
      throw new Error('killed after the commit');
    },
  });
  const dep = await hub.createDepartment({ name: 'Sales', parentId: null }, 'sync:upstream-1');

  // Nothing listens where this client looks for Temporal.
  const unreachable = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '500ms' }) });
  const down = await drainHubOutbox({ database, signaller: createRealtimeSignaller(unreachable, { taskQueue: 'nowhere' }) }, { graceMs: 0, backoff: { initialMs: 0, maxMs: 0 } });
  expect(down).toEqual({ signalled: 0, failed: 1 });
  expect(await database.db.select().from(hubChangeOutbox)).toHaveLength(1);

  const taskQueue = `outbox-${randomBytes(3).toString('hex')}`; // no worker: the signal waits in the workflow's history
  const up = await drainHubOutbox({ database, signaller: createRealtimeSignaller(env.client, { taskQueue }) }, { graceMs: 0 });
  expect(up).toEqual({ signalled: 1, failed: 0 });
  expect(await database.db.select().from(hubChangeOutbox)).toEqual([]);
  const history = await env.client.workflow.getHandle(taskWorkflowId(taskId)).fetchHistory();
  const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
  expect(signals).toHaveLength(1);
  const payload = signals[0].workflowExecutionSignaledEventAttributes!.input!.payloads![0];
  expect(JSON.parse(Buffer.from(payload.data!).toString())).toEqual({ trigger: 'realtime', changedIds: [dep.id], coalesced: true, requestedBy: 'sync:upstream-1' });
});
