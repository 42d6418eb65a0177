/**
 * SCIM push end to end, on the Temporal dev server and Postgres: an IdP creates a department
 * (Group) and a person (User) through /scim/v2 with a token bound to a scim-push task; the hub
 * writes fan out to the real-time WeCom task, whose runs create both in the WeCom fake with nobody
 * pressing a button; a PATCH of the title follows the same way.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { insertTask } from '../../api/webhooks/testing';
import { startWecomFake, type RunningWecomFake } from '../../connectors/wecom/fake';
import type { Database } from '../../db/client';
import { createApiTokens } from '../../db/repos/api-tokens';
import { createSecretBox } from '../../db/secret-box';
import { bundleSyncWorkflows } from '../../workflows/testing/workers';
import { eventually } from '../../workflows/testing/in-memory-activities';
import { openTestDatabase } from '../support/databases';
import { startLocalTemporal } from '../support/temporal';
import { quietTemporalLogs, wecomDirectory } from './harness';
import { SyncRuntime } from './sync-runtime';

jest.setTimeout(120_000);

const wecomCredentials = { corpId: 'ww-scim-corp', corpSecret: 'scim-corp-secret' };
const enterprise = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let database: Database;
let wecom: RunningWecomFake;
let runtime: SyncRuntime;
let token: string;
let wecomTaskId: string;

const scim = async (method: string, path: string, body?: object) => {
  const res = await fetch(`${runtime.apiUrl}/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  quietTemporalLogs();
  [env, bundle, database, wecom] = await Promise.all([startLocalTemporal(), bundleSyncWorkflows(), openTestDatabase('postgres'), startWecomFake(wecomCredentials)]);
  const secretBox = createSecretBox(randomBytes(32));
  const scimTaskId = await insertTask(database, secretBox, { name: 'Okta to hub (SCIM)', direction: 'upstream', connector: { kind: 'scim-push' } });
  wecomTaskId = await insertTask(database, secretBox, {
    name: 'Hub to WeCom (real time)',
    direction: 'downstream',
    connector: { kind: 'wecom', settings: { baseUrl: wecom.baseUrl, corpId: wecomCredentials.corpId }, secrets: { corpSecret: wecomCredentials.corpSecret } },
    triggers: { manual: true, realtime: true },
    realtimeDebounceMs: 200,
  });
  ({ token } = await createApiTokens(database.db).create({ name: 'okta', role: 'scim', taskId: scimTaskId }, 'e2e'));
  runtime = await new SyncRuntime({ env, bundle, database, secretBox, taskQueue: `scim-${process.pid}-${randomBytes(3).toString('hex')}` }).start();
}, 180_000);

afterAll(async () => {
  await runtime?.close();
  await wecom?.close();
  await database?.close();
  await env?.teardown();
});

test('a SCIM push creates a department and a person that reach WeCom in real time, and a PATCH follows', async () => {
  const group = await scim('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Research' });
  expect(group.status).toBe(201);
  const created = await scim('POST', '/Users', {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', enterprise],
    userName: 'scim.sam',
    displayName: 'Sam Scim',
    active: true,
    title: 'Researcher',
    emails: [{ value: 'sam@acme.test', type: 'work', primary: true }],
    [enterprise]: { employeeNumber: 'S-1', department: 'Research' },
  });
  expect(created.status).toBe(201);

  const samInWecom = async () => (await wecomDirectory(wecom)).userlist.find((u) => u.email === 'sam@acme.test') as (Record<string, unknown> & { department: number[] }) | undefined;
  const sam = await eventually(samInWecom, 'Sam in WeCom', 60_000);
  const research = (await wecomDirectory(wecom)).department.find((d) => d.name === 'Research');
  expect(research).toBeDefined();
  expect(sam).toMatchObject({ name: 'Sam Scim', department: [research!.id], position: 'Researcher' });
  expect(await runtime.runsOf(wecomTaskId, 'manual')).toBe(0);
  expect(await runtime.runsOf(wecomTaskId, 'realtime')).toBeGreaterThan(0);

  const patched = await scim('PATCH', `/Users/${created.body.id as string}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'title', value: 'Lead Researcher' }] });
  expect(patched.status).toBe(200);
  await eventually(async () => (await samInWecom())?.position === 'Lead Researcher', 'the new title in WeCom', 60_000);
});
