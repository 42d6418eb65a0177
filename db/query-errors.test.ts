// A failed query never carries its parameter values (PII) in its message, stack, fields or causes,
// on either driver; the SQLSTATE and constraint survive, so duplicates still map to 409 naming the field.
import { inspect } from 'node:util';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { ApplicationFailure, DefaultFailureConverter } from '@temporalio/common';
import { describeOnBothDatabases } from '../test/support/databases';
import { startTestApi } from '../api/testing';
import { buildApi } from '../api/server';
import { hubUsers } from './schema';
import { ConflictError, postgresErrorOf } from './repos/errors';
import { createHubWriter } from './repos/hub-writer';
import { DatabaseQueryError } from './query-errors';

/** Everything an error could show: message, stack, every own field, the cause chain, a Temporal failure. */
function everythingShownBy(error: unknown): string {
  const failure = new DefaultFailureConverter().errorToFailure(error, { toPayload: (v: unknown) => ({ data: Buffer.from(JSON.stringify(v ?? null)) }) } as never);
  return [inspect(error, { depth: 8, showHidden: true }), JSON.stringify(error), (error as Error).stack, JSON.stringify(failure)].join('\n');
}

async function failureOf(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error('expected the query to fail');
}

describeOnBothDatabases('failed queries are scrubbed of parameter values', (ctx) => {
  const email = 'zhang.san.private@example.test';
  const mobile = '+8613812345678';

  it('a unique violation keeps its SQLSTATE and constraint, and shows no value', async () => {
    const row = { id: 'scrub-1', username: 'scrub1', name: '张三', email, mobile, departmentIds: [], attributes: {} };
    await ctx.database.db.insert(hubUsers).values(row);
    const error = await failureOf(ctx.database.db.insert(hubUsers).values({ ...row, id: 'scrub-2', username: 'scrub2' }));
    expect(error).toBeInstanceOf(DatabaseQueryError);
    expect(postgresErrorOf(error)).toEqual({ code: '23505', constraint: expect.stringMatching(/^hub_users_(email|mobile)_uq$/) });
    const shown = everythingShownBy(error);
    expect(shown).toContain('duplicate key');
    for (const value of [email, mobile, '张三', 'scrub2']) expect(shown).not.toContain(value);
  });

  it('a value quoted by Postgres itself in the message is cut out (raw execute, inside a transaction)', async () => {
    const secret = 'not-a-uuid-but-a-person@example.test';
    const error = await failureOf(ctx.database.db.transaction((tx) => tx.execute(sql`select ${secret}::uuid`)));
    expect(postgresErrorOf(error)?.code).toBe('22P02');
    expect((error as Error).message).toContain('invalid input syntax for type uuid');
    expect(everythingShownBy(error)).not.toContain(secret);
    const failure = ApplicationFailure.fromError(error);
    expect(failure.message).not.toContain(secret);
  });

  it('a hub write racing past the duplicate checks still gets ConflictError naming the field', async () => {
    const write = createHubWriter(ctx.database.db);
    const racing = write('test', async (tx) => {
      await tx.insert(hubUsers).values({ id: 'scrub-3', username: 'scrub3', name: 'C', email, departmentIds: [], attributes: {} });
      return { result: null };
    });
    await expect(racing).rejects.toEqual(new ConflictError('email is already taken', 'email'));
  });

  it('the API log line of an unexpected database error carries no value', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const app = await buildApi({ database: ctx.database, checkTemporal: async () => undefined, logger: { level: 'error', stream } });
    const secret = 'mobile-13998765432-of-someone';
    app.get('/boom', { config: { public: true } }, async () => ctx.database.db.execute(sql`select ${secret}::int`));
    try {
      const res = await app.inject({ method: 'GET', url: '/boom' });
      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain(secret);
      expect(lines.join('')).toContain('DatabaseQueryError');
      expect(lines.join('')).not.toContain(secret);
    } finally {
      await app.close();
    }
    // And the ordinary API path still works on top of it.
    const api = await startTestApi(ctx.database);
    try {
      expect((await api.as('admin', { method: 'GET', url: '/api/v1/users' })).statusCode).toBe(200);
    } finally {
      await api.app.close();
    }
  });
});
