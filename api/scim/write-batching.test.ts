// SCIM writes in group commit and authenticated from the short-lived write token cache: each
// request still gets its own answer, a duplicate fails alone, and a revoked, expired or disabled
// token or task is refused on the very next request with nothing written.
import type { FastifyRequest, InjectOptions } from 'fastify';
import { eq, like } from 'drizzle-orm';
import { createApiTokens } from '../../db/repos/api-tokens';
import { apiTokens, auditLog, hubChangeOutbox, hubUsers } from '../../db/schema';
import { describeOnBothDatabases, openTestPostgres } from '../../test/support/databases';
import { createWriteTokenCache } from '../auth';
import type { AuthFailureLimiter } from '../rate-limit';
import { startTestApi, type TestApi } from '../testing';
import { createScimPushTask, setTaskEnabled } from './testing';

const core = 'urn:ietf:params:scim:schemas:core:2.0:User';
const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const user = (userName: string) => ({ schemas: [core], userName, active: true });

function client(api: () => TestApi) {
  return (bearer: string, options: InjectOptions) =>
    api().app.inject({ ...options, url: `/scim/v2${options.url}`, headers: { 'content-type': 'application/scim+json', ...options.headers, authorization: `Bearer ${bearer}` } });
}

describeOnBothDatabases('SCIM writes in group commit, with cached write tokens', (ctx) => {
  let api: TestApi;
  const scim = client(() => api);
  const post = (bearer: string, userName: string) => scim(bearer, { method: 'POST', url: '/Users', payload: JSON.stringify(user(userName)) });
  const stored = async (prefix: string) => (await ctx.database.db.select({ username: hubUsers.username }).from(hubUsers).where(like(hubUsers.username, `${prefix}%`))).map((r) => r.username).sort();

  beforeAll(async () => {
    api = await startTestApi(ctx.database);
  });
  afterAll(async () => {
    await api?.app.close();
  });

  it('answers each of concurrent creates with its own resource; a duplicate among them fails alone with 409 uniqueness', async () => {
    const { token } = await createScimPushTask(ctx.database, 'batch');
    expect((await post(token, 'batch-taken')).statusCode).toBe(201);
    const names = [...Array.from({ length: 12 }, (_, i) => `batch-${i}`), 'BATCH-TAKEN', 'batch-3'];
    const answers = await Promise.all(names.map((name) => post(token, name)));
    expect(answers.map((a) => a.statusCode)).toEqual([...Array<number>(12).fill(201), 409, 409]);
    for (const [i, answer] of answers.slice(0, 12).entries()) {
      expect(answer.json()).toMatchObject({ userName: `batch-${i}`, meta: { location: expect.stringContaining(answer.json().id) } });
      expect(answer.headers.etag).toBe(answer.json().meta.version);
    }
    expect(answers[12].json()).toMatchObject({ status: '409', scimType: 'uniqueness' });
    expect(await stored('batch-')).toEqual(['batch-0', 'batch-1', 'batch-10', 'batch-11', 'batch-2', 'batch-3', 'batch-4', 'batch-5', 'batch-6', 'batch-7', 'batch-8', 'batch-9', 'batch-taken']);
    // an audit row and an outbox row per create (the racers wrote none)
    const ids = answers.slice(0, 12).map((a) => a.json().id as string);
    for (const id of ids) {
      expect(await ctx.database.db.select().from(auditLog).where(eq(auditLog.entityId, id))).toHaveLength(1);
      expect(await ctx.database.db.select().from(hubChangeOutbox).where(eq(hubChangeOutbox.hubId, id))).toHaveLength(1);
    }
  });

  it('refuses a deleted token on the very next request (401), writing nothing, whatever the request', async () => {
    const { token } = await createScimPushTask(ctx.database, 'revoked');
    const first = await post(token, 'revoked-1');
    expect(first.statusCode).toBe(201); // the token is now in the write cache
    const [row] = await ctx.database.db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.taskId, 'revoked'));
    await createApiTokens(ctx.database.db).delete(row.id, 'test');
    const again = await post(token, 'revoked-2');
    expect(again.statusCode).toBe(401);
    expect(again.json()).toMatchObject({ status: '401' });
    const patched = await scim(token, { method: 'PATCH', url: `/Users/${first.json().id}`, payload: JSON.stringify({ schemas: [patchOp], Operations: [{ op: 'replace', path: 'title', value: 'No' }] }) });
    expect(patched.statusCode).toBe(401);
    // a request that fails before any write is 401 too, not its own error
    expect((await scim(token, { method: 'POST', url: '/Users', payload: JSON.stringify({ schemas: [core] }) })).statusCode).toBe(401);
    expect((await scim(token, { method: 'PATCH', url: '/Users/no-such-user', payload: JSON.stringify({ schemas: [patchOp], Operations: [{ op: 'replace', path: 'title', value: 'No' }] }) })).statusCode).toBe(401);
    expect(await stored('revoked-')).toEqual(['revoked-1']);
    expect((await ctx.database.db.select().from(hubUsers).where(eq(hubUsers.id, first.json().id)))[0].title).toBeNull();
  });

  it('refuses an expired token on the very next request (401), writing nothing', async () => {
    const { token } = await createScimPushTask(ctx.database, 'expiring');
    expect((await post(token, 'expiring-1')).statusCode).toBe(201);
    await ctx.database.db.update(apiTokens).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(apiTokens.taskId, 'expiring'));
    expect((await post(token, 'expiring-2')).statusCode).toBe(401);
    expect(await stored('expiring-')).toEqual(['expiring-1']);
  });

  it('refuses a disabled task on the very next request (403), writing nothing, with the token cached', async () => {
    const { token } = await createScimPushTask(ctx.database, 'switched');
    expect((await post(token, 'switched-1')).statusCode).toBe(201);
    await setTaskEnabled(ctx.database, 'switched', false);
    const refused = await Promise.all([post(token, 'switched-2'), post(token, 'switched-3')]);
    expect(refused.map((r) => r.statusCode)).toEqual([403, 403]);
    expect(await stored('switched-')).toEqual(['switched-1']);
  });
});

describeOnBothDatabases('SCIM write token cache: non-scim tokens', (ctx) => {
  let api: TestApi;
  const scim = client(() => api);
  beforeAll(async () => {
    api = await startTestApi(ctx.database);
  });
  afterAll(async () => {
    await api?.app.close();
  });

  it('refuses a deleted admin token on a SCIM write route 401, not the 403 it had while stored (only scim tokens are cached)', async () => {
    const tokens = createApiTokens(ctx.database.db);
    const admin = await tokens.create({ name: 'an admin', role: 'admin' }, 'test');
    const post = () => scim(admin.token, { method: 'POST', url: '/Users', payload: JSON.stringify(user('admin-made')) });
    expect((await post()).statusCode).toBe(403);
    await tokens.delete(admin.id, 'test');
    expect((await post()).statusCode).toBe(401);
  });
});

describe('SCIM write token cache: recheck', () => {
  it('counts a 401 from recheck as a failed authentication', async () => {
    const recorded: FastifyRequest[] = [];
    const failureLimiter: AuthFailureLimiter = { check: async () => undefined, record: async (request) => void recorded.push(request) };
    const cache = createWriteTokenCache({ verify: async () => undefined }, { failureLimiter });
    const request = { headers: { authorization: 'Bearer gone' }, actor: { id: 'tok-1' } } as unknown as FastifyRequest;
    await expect(cache.recheck(request)).rejects.toMatchObject({ statusCode: 401 });
    expect(recorded).toEqual([request]);
  });
});

// Postgres only: statements are counted with the postgres.js debug hook.
describe('SCIM write round trips [postgres]', () => {
  let database: Awaited<ReturnType<typeof openTestPostgres>>;
  let api: TestApi;
  const statements: string[] = [];
  const scim = client(() => api);
  beforeAll(async () => {
    database = await openTestPostgres({ onQuery: (text) => void statements.push(text) });
    api = await startTestApi(database);
  });
  afterAll(async () => {
    await api?.app.close();
    await database?.close();
  });
  const counting = async (work: () => Promise<unknown>) => {
    statements.length = 0;
    await work();
    return {
      tokenReads: statements.filter((s) => /from "api_tokens"/i.test(s)).length,
      transactions: statements.filter((s) => /^\s*begin/i.test(s)).length,
    };
  };

  it('reads a write token once, not per write', async () => {
    const { token } = await createScimPushTask(database, 'counted');
    const seen = await counting(async () => {
      for (let i = 0; i < 5; i++) expect((await scim(token, { method: 'POST', url: '/Users', payload: JSON.stringify(user(`counted-${i}`)) })).statusCode).toBe(201);
    });
    expect(seen.tokenReads).toBe(1);
  });

  it('writes 16 concurrent creates in fewer transactions than creates', async () => {
    const { token } = await createScimPushTask(database, 'grouped');
    const seen = await counting(async () => {
      const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => scim(token, { method: 'POST', url: '/Users', payload: JSON.stringify(user(`grouped-${i}`)) })));
      expect(answers.map((a) => a.statusCode)).toEqual(Array<number>(16).fill(201));
    });
    expect(seen.transactions).toBeLessThan(16);
  });
});
