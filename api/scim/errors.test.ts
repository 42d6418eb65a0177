// A write refused because the push task changed while it ran is a transient failure: 503 with
// Retry-After, which Entra and Okta retry; 409 stays for real uniqueness conflicts (they do not retry it).
import Fastify, { type FastifyInstance } from 'fastify';
import { ConflictError, WriteBusyError } from '../../db/repos/errors';
import { errorSchema, installScimErrors, PushTaskChanged } from './errors';

describe('SCIM error answers', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    installScimErrors(app);
    app.get('/changed', async () => {
      throw new PushTaskChanged('sync task t1 changed since it was read');
    });
    app.get('/duplicate', async () => {
      throw new ConflictError('username is already taken', 'username');
    });
    app.get('/busy', async () => {
      throw new WriteBusyError('the write waited too long for a lock: nothing was written, send it again');
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers a write refused for a changed task 503 with Retry-After: 1 and a SCIM error body', async () => {
    const res = await app.inject({ method: 'GET', url: '/changed' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.json()).toEqual({ schemas: [errorSchema], status: '503', detail: expect.stringContaining('nothing was written') });
  });

  it('keeps 409 uniqueness, without Retry-After, for a duplicate', async () => {
    const res = await app.inject({ method: 'GET', url: '/duplicate' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.json()).toEqual({ schemas: [errorSchema], status: '409', scimType: 'uniqueness', detail: 'username is already taken' });
  });

  it('answers a write that lost its lock waits (deadlock, lock_timeout) or found its queue full 503 with Retry-After: 1', async () => {
    const res = await app.inject({ method: 'GET', url: '/busy' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json()).toEqual({ schemas: [errorSchema], status: '503', detail: expect.stringContaining('send it again') });
  });
});
