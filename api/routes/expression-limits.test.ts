// Field-mapping expressions are limited on save (issue 11): a payload reaching JavaScript internals,
// $eval, a rebound built-in or an over-long expression is a 400 naming the entry, on create and on
// PATCH, and nothing is stored.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { syncTasks } from '../../db/schema';
import { createSecretBox } from '../../db/secret-box';
import type { Database } from '../../db/client';
import { maxExpressionLength, maxFieldMappingEntries } from '../../engine/sandbox/limits';
import { openTestDatabase } from '../../test/support/databases';
import { startTestApi, type TestApi } from '../testing';

const task = (corpId: string, fieldMapping: unknown[] = [{ target: 'position', source: 'title' }]) => ({
  name: `Hub to WeCom ${corpId}`,
  direction: 'downstream',
  connector: { kind: 'wecom', settings: { baseUrl: 'http://127.0.0.1:18081/cgi-bin', corpId }, secrets: { corpSecret: 'corp-secret' } },
  fieldMapping,
});

const advisoryPayload = `(__lookupSetter__('__proto__')(constructor); __defineGetter__('l', constructor("return process.env.SYNC_CENTER_SECRET_KEY")); valueOf().l)`;

describe('field-mapping expression limits through the API', () => {
  let database: Database;
  let api: TestApi;
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    api = await startTestApi(database, { secretBox: createSecretBox(randomBytes(32)) });
  });
  afterAll(async () => {
    await api?.app.close();
    await database?.close();
  });

  it.each([
    ['the advisory payload (constructor chain)', advisoryPayload, 'uses "__lookupSetter__"'],
    ['a constructor path', '$.constructor.constructor("return process")()', 'uses "constructor"'],
    ['__proto__', '$lookup($, "__proto__")', 'uses "__proto__"'],
    ['$eval', '$eval("$lowercase(email)")', 'uses $eval'],
    ['a rebound built-in', '($clone := function($o) { $o }; email)', 'rebinds the built-in function $clone'],
    ['an over-long expression', `email & "${'x'.repeat(maxExpressionLength)}"`, `the limit is ${maxExpressionLength}`],
  ])('refuses %s with 400 naming fieldMapping.1.expression, on create and on PATCH', async (_what, expression, message) => {
    const mapping = [{ target: 'position', source: 'title' }, { target: 'email', expression }];
    const corpId = `ww-${randomBytes(3).toString('hex')}`;
    const created = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks', payload: task(corpId, mapping) });
    expect(created.statusCode).toBe(400);
    expect(created.json()).toMatchObject({
      error: 'validation_failed',
      field: 'fieldMapping.1.expression',
      issues: expect.arrayContaining([{ field: 'fieldMapping.1.expression', message: expect.stringContaining(message) }]),
    });
    expect(await database.db.select().from(syncTasks).where(eq(syncTasks.name, `Hub to WeCom ${corpId}`))).toEqual([]);

    const saved = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks', payload: task(corpId) });
    expect(saved.statusCode).toBe(201);
    const patched = await api.as('operator', { method: 'PATCH', url: `/api/v1/sync-tasks/${saved.json().id}`, payload: { fieldMapping: mapping } });
    expect(patched.statusCode).toBe(400);
    expect(patched.json()).toMatchObject({ error: 'validation_failed', field: 'fieldMapping.1.expression' });
    const after = await api.as('operator', { method: 'GET', url: `/api/v1/sync-tasks/${saved.json().id}` });
    expect(after.json().config.fieldMapping).toEqual(saved.json().config.fieldMapping);
  });

  it(`refuses more than ${maxFieldMappingEntries} entries with 400 naming fieldMapping`, async () => {
    const mapping = Array.from({ length: maxFieldMappingEntries + 1 }, (_, i) => ({ target: `attributes.a${i}`, expression: `"${i}"` }));
    const res = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks', payload: task('ww-many', mapping) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation_failed', field: 'fieldMapping', issues: expect.arrayContaining([{ field: 'fieldMapping', message: expect.stringContaining(`the limit is ${maxFieldMappingEntries}`) }]) });
  });

  it('accepts an ordinary expression', async () => {
    const res = await api.as('operator', { method: 'POST', url: '/api/v1/sync-tasks', payload: task('ww-ok', [{ target: 'email', expression: '$lowercase(email)' }]) });
    expect(res.statusCode).toBe(201);
  });
});
