// /scim/v2 against the real API on both databases: discovery, Users with EnterpriseUser, filters,
// paging, sorting, PATCH as Okta and Entra send it, PUT, DELETE, ETags, error bodies, auth, Groups.
import type { InjectOptions } from 'fastify';
import { and, eq } from 'drizzle-orm';
import { describeOnBothDatabases } from '../../test/support/databases';
import { auditLog, hubUsers } from '../../db/schema';
import { startTestApi, type TestApi } from '../testing';
import { createScimPushTask, setTaskEnabled } from './testing';

const core = 'urn:ietf:params:scim:schemas:core:2.0:User';
const enterprise = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const patchOp = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describeOnBothDatabases('SCIM 2.0 server at /scim/v2', (ctx) => {
  let api: TestApi;
  let token: string;
  let taskId: string;
  const scim = (options: InjectOptions, bearer = token) =>
    api.app.inject({ ...options, url: `/scim/v2${options.url}`, headers: { 'content-type': 'application/scim+json', ...options.headers, authorization: `Bearer ${bearer}` } });
  const get = (url: string) => scim({ method: 'GET', url });
  const post = (url: string, payload: object) => scim({ method: 'POST', url, payload: JSON.stringify(payload) });
  const patch = (url: string, operations: object[], headers: Record<string, string> = {}) =>
    scim({ method: 'PATCH', url, headers, payload: JSON.stringify({ schemas: [patchOp], Operations: operations }) });
  // as Okta and Entra send it: active always given
  const user = (userName: string, extra: object = {}) => ({ schemas: [core, enterprise], userName, displayName: userName.toUpperCase(), active: true, ...extra });
  const hubRow = async (id: string) => (await ctx.database.db.select().from(hubUsers).where(eq(hubUsers.id, id)))[0];
  const filter = async (text: string) => {
    const res = await get(`/Users?filter=${encodeURIComponent(text)}`);
    expect(res.statusCode).toBe(200);
    return (res.json().Resources as { userName: string }[]).map((r) => r.userName).sort();
  };

  beforeAll(async () => {
    api = await startTestApi(ctx.database);
    ({ token, taskId } = await createScimPushTask(ctx.database, 'okta'));
  });
  afterAll(async () => {
    await api?.app.close();
  });

  it('serves discovery as application/scim+json', async () => {
    const config = await get('/ServiceProviderConfig');
    expect(config.statusCode).toBe(200);
    expect(config.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(config.json()).toMatchObject({ patch: { supported: true }, filter: { supported: true }, sort: { supported: true }, etag: { supported: true }, bulk: { supported: false } });
    const schemas = (await get('/Schemas')).json();
    expect(schemas.Resources.map((s: { id: string }) => s.id)).toEqual([core, enterprise, 'urn:ietf:params:scim:schemas:core:2.0:Group']);
    expect((await get(`/Schemas/${enterprise}`)).json().attributes.map((a: { name: string }) => a.name)).toContain('manager');
    expect((await get('/ResourceTypes/User')).json()).toMatchObject({ endpoint: '/Users', schemaExtensions: [{ schema: enterprise, required: false }] });
    expect((await get('/Nope')).json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '404' });
  });

  it('creates a user as the task: 201 with Location and ETag, owned by the task, audited as its write, reported to fan-out', async () => {
    const events = api.hubEvents.length;
    const res = await post('/Users', user('Ada.Lovelace', {
      externalId: 'okta-ada', name: { givenName: 'Ada', familyName: 'Lovelace' }, title: 'Engineer',
      emails: [{ value: 'ada@example.com', type: 'work', primary: true }], phoneNumbers: [{ value: '+8613800000100', type: 'mobile' }],
      [enterprise]: { employeeNumber: 'E100', organization: 'Acme' },
    }));
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(res.headers.location).toBe(body.meta.location);
    expect(res.headers.etag).toBe(body.meta.version);
    expect(body).toMatchObject({ userName: 'Ada.Lovelace', displayName: 'ADA.LOVELACE', externalId: 'okta-ada', active: true, name: { givenName: 'Ada' }, [enterprise]: { employeeNumber: 'E100', organization: 'Acme' } });
    const row = await hubRow(body.id);
    expect(row).toMatchObject({ username: 'Ada.Lovelace', email: 'ada@example.com', mobile: '+8613800000100', employeeNumber: 'E100', title: 'Engineer', sourceTaskId: taskId });
    const [audit] = await ctx.database.db.select().from(auditLog).where(and(eq(auditLog.entityId, body.id), eq(auditLog.action, 'user.create')));
    expect(audit.actor).toBe(`sync:${taskId}`);
    expect(api.hubEvents.slice(events)).toEqual([expect.objectContaining({ entity: 'user', id: body.id, kind: 'created' })]);
    expect((await get(`/Users/${body.id}`)).json()).toEqual(body);
  });

  it('refuses a duplicate userName in any case with 409 uniqueness', async () => {
    await post('/Users', user('grace'));
    const res = await post('/Users', user('GRACE'));
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness' });
  });

  it('lets exactly one of 16 concurrent identical creates through: one 201, fifteen 409', async () => {
    const answers = await Promise.all(Array.from({ length: 16 }, () => post('/Users', user('racer'))));
    const codes = answers.map((a) => a.statusCode).sort();
    expect(codes).toEqual([201, ...Array(15).fill(409)]);
    expect(await filter('userName eq "racer"')).toEqual(['racer']);
  });

  describe('filters', () => {
    beforeAll(async () => {
      for (const [name, mail, title, active] of [['f-anna', 'anna@corp.example', 'Sales Lead', true], ['f-bert', 'bert@home.example', 'Engineer', false], ['f-cleo', 'cleo@corp.example', 'engineer', true]] as const) {
        const res = await post('/Users', user(name, { externalId: `X-${name}`, title, active, emails: [{ value: mail, type: mail.includes('corp') ? 'work' : 'home' }] }));
        expect(res.statusCode).toBe(201);
      }
    });

    it.each([
      ['userName eq "F-ANNA"', ['f-anna']], // userName is caseExact=false
      ['externalId eq "x-f-anna"', []], // externalId is caseExact
      ['externalId eq "X-f-anna"', ['f-anna']],
      ['userName sw "f-" and title eq "ENGINEER"', ['f-bert', 'f-cleo']],
      ['userName sw "f-" and not (active eq true)', ['f-bert']],
      ['userName sw "f-" and (title co "lead" or userName ew "ERT")', ['f-anna', 'f-bert']],
      ['emails[type eq "work" and value co "@corp."]', ['f-anna', 'f-cleo']],
      ['emails.value ew "home.example"', ['f-bert']],
      ['userName sw "f-" and title pr', ['f-anna', 'f-bert', 'f-cleo']],
      ['userName gt "f-b" and userName lt "f-z"', ['f-bert', 'f-cleo']],
      ['userName ne "f-anna" and userName sw "f-"', ['f-bert', 'f-cleo']],
      ['meta.resourceType eq "User" and userName sw "f-c"', ['f-cleo']],
    ])('%s', async (text, expected) => {
      expect(await filter(text)).toEqual(expected);
    });

    it('answers a bad filter with 400 invalidFilter and no match with an empty list', async () => {
      const bad = await get(`/Users?filter=${encodeURIComponent('userName eq')}`);
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ status: '400', scimType: 'invalidFilter' });
      expect((await get(`/Users?filter=${encodeURIComponent('userName eq "nobody"')}`)).json()).toMatchObject({ totalResults: 0, Resources: [] });
    });

    it('pages in a stable order and sorts', async () => {
      const all = (await get('/Users?count=1000')).json();
      const names = all.Resources.map((r: { userName: string }) => r.userName);
      expect(names).toEqual([...names].sort((a: string, b: string) => a.toLowerCase().localeCompare(b.toLowerCase())));
      const paged: string[] = [];
      for (let start = 1; start <= all.totalResults; start += 2) {
        const page = (await get(`/Users?startIndex=${start}&count=2`)).json();
        expect(page).toMatchObject({ totalResults: all.totalResults, startIndex: start });
        paged.push(...page.Resources.map((r: { userName: string }) => r.userName));
      }
      expect(paged).toEqual(names);
      const sorted = (await get(`/Users?filter=${encodeURIComponent('userName sw "f-"')}&sortBy=userName&sortOrder=descending`)).json();
      expect(sorted.Resources.map((r: { userName: string }) => r.userName)).toEqual(['f-cleo', 'f-bert', 'f-anna']);
      expect((await get('/Users?count=0')).json()).toMatchObject({ totalResults: all.totalResults, itemsPerPage: 0, Resources: [] });
    });
  });

  describe('PATCH and PUT', () => {
    let id: string;
    let managerId: string;
    beforeAll(async () => {
      managerId = (await post('/Users', user('boss'))).json().id;
      id = (await post('/Users', user('pat', { emails: [{ value: 'pat@work.example', type: 'work', primary: true }, { value: 'pat@home.example', type: 'home' }] }))).json().id;
    });

    it('takes what Entra sends ("Replace", "False", emails[type eq "work"].value) and answers 200 with the resource', async () => {
      const res = await patch(`/Users/${id}`, [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'pat@new.example' },
        { op: 'Add', path: `${enterprise}:manager`, value: { value: managerId } },
        { op: 'replace', path: 'title', value: 'Analyst' },
      ]);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id, title: 'Analyst', emails: [{ value: 'pat@new.example', type: 'work' }, { value: 'pat@home.example' }], [enterprise]: { manager: { value: managerId } } });
      expect(await hubRow(id)).toMatchObject({ email: 'pat@new.example', managerId, title: 'Analyst', status: 'active' });

      const off = await patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'False' }]);
      expect(off.statusCode).toBe(200);
      expect(off.json().active).toBe(false);
      expect((await hubRow(id)).status).toBe('disabled');
      const actions = (await ctx.database.db.select().from(auditLog).where(eq(auditLog.entityId, id)).orderBy(auditLog.id)).map((a) => a.action);
      expect(actions).toContain('user.offboard');

      const on = await patch(`/Users/${id}`, [{ op: 'replace', value: { active: 'True', displayName: 'Pat Again' } }]);
      expect(on.json()).toMatchObject({ active: true, displayName: 'Pat Again' });
      expect((await hubRow(id)).status).toBe('active');
    });

    it('refuses to change id (400 mutability) and an unknown manager (400 invalidValue)', async () => {
      expect((await patch(`/Users/${id}`, [{ op: 'replace', path: 'id', value: 'other' }])).json()).toMatchObject({ status: '400', scimType: 'mutability' });
      expect((await patch(`/Users/${id}`, [{ op: 'add', path: `${enterprise}:manager.value`, value: 'ghost' }])).json()).toMatchObject({ status: '400', scimType: 'invalidValue' });
    });

    it('checks If-Match: a stale version is 412, the current one passes; PUT replaces the resource', async () => {
      const current = (await get(`/Users/${id}`)).json();
      const stale = await scim({ method: 'PUT', url: `/Users/${id}`, headers: { 'if-match': 'W/"old"' }, payload: JSON.stringify(user('pat', { title: 'X' })) });
      expect(stale.statusCode).toBe(412);
      const put = await scim({ method: 'PUT', url: `/Users/${id}`, headers: { 'if-match': current.meta.version }, payload: JSON.stringify(user('pat', { title: 'Chief' })) });
      expect(put.statusCode).toBe(200);
      expect(put.json()).toMatchObject({ title: 'Chief', displayName: 'PAT' });
      expect(put.json().emails).toBeUndefined();
      expect(put.json().meta.version).not.toBe(current.meta.version);
      expect((await hubRow(id)).email).toBeNull();
    });
  });

  it('If-Match holds under concurrency: of concurrent PUTs carrying the same version, exactly one lands and the rest are 412', async () => {
    const id = (await post('/Users', user('contended'))).json().id;
    for (let round = 0; round < 5; round++) {
      const version = (await get(`/Users/${id}`)).json().meta.version;
      const answers = await Promise.all(
        [1, 2, 3, 4].map((n) => scim({ method: 'PUT', url: `/Users/${id}`, headers: { 'if-match': version }, payload: JSON.stringify(user('contended', { title: `T${round}-${n}` })) })),
      );
      expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 412, 412, 412]);
      const winner = answers.find((a) => a.statusCode === 200)!.json();
      expect((await get(`/Users/${id}`)).json().title).toBe(winner.title);
    }
  });

  it('concurrent PATCHes of different attributes without If-Match all land (each is applied to the person as locked in its write)', async () => {
    const id = (await post('/Users', user('many-patches'))).json().id;
    for (let round = 0; round < 4; round++) {
      await Promise.all([
        patch(`/Users/${id}`, [{ op: 'replace', path: 'title', value: `T${round}` }]),
        patch(`/Users/${id}`, [{ op: 'replace', path: 'displayName', value: `D${round}` }]),
        patch(`/Users/${id}`, [{ op: 'replace', path: 'nickName', value: `N${round}` }]),
        patch(`/Users/${id}`, [{ op: 'add', path: `${enterprise}:employeeNumber`, value: `E-many-${round}` }]),
      ]);
      expect((await get(`/Users/${id}`)).json()).toMatchObject({ title: `T${round}`, displayName: `D${round}`, nickName: `N${round}`, [enterprise]: { employeeNumber: `E-many-${round}` } });
    }
  });

  describe('If-Match on offboardings and deletes (a stale version is 412 with a SCIM error body and changes nothing)', () => {
    const stale = 'W/"stale"';
    const error412 = { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '412' };

    it('refuses PATCH active:false, DELETE of a User (both offboardings) and DELETE of a Group with a stale version', async () => {
      const deleting = await createScimPushTask(ctx.database, 'stale-delete', { offboarding: 'delete' });
      const id = (await post('/Users', user('stale-off'))).json().id;
      const off = await patch(`/Users/${id}`, [{ op: 'replace', path: 'active', value: false }], { 'if-match': stale });
      expect(off.statusCode).toBe(412);
      expect(off.json()).toMatchObject(error412);
      expect((await scim({ method: 'DELETE', url: `/Users/${id}`, headers: { 'if-match': stale } })).json()).toMatchObject(error412);
      expect(await hubRow(id)).toMatchObject({ status: 'active' });
      expect((await get(`/Users/${id}`)).statusCode).toBe(200);
      const theirs = (await scim({ method: 'POST', url: '/Users', payload: JSON.stringify(user('stale-del')) }, deleting.token)).json().id;
      const removed = await scim({ method: 'DELETE', url: `/Users/${theirs}`, headers: { 'if-match': stale } }, deleting.token);
      expect(removed.statusCode).toBe(412);
      expect(await hubRow(theirs)).toBeDefined();
      const group = (await post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Stale Group', members: [{ value: id }] })).json();
      expect((await scim({ method: 'DELETE', url: `/Groups/${group.id}`, headers: { 'if-match': stale } })).json()).toMatchObject(error412);
      expect((await get(`/Groups/${group.id}`)).json().members).toEqual([expect.objectContaining({ value: id })]);
      const actions = (await ctx.database.db.select().from(auditLog).where(eq(auditLog.entityId, id)).orderBy(auditLog.id)).map((a) => a.action);
      expect(actions).toEqual(['user.create', 'user.update']); // the create, and joining the group
    });

    // Two writers racing with one version: exactly one lands, the other is 412 (the check is on the locked row).
    it('of concurrent offboardings (PATCH active:false) and title PATCHes carrying one version, exactly one lands', async () => {
      const id = (await post('/Users', user('race-off'))).json().id;
      let offboarded = 0;
      for (let round = 0; round < 4; round++) {
        if (round) await patch(`/Users/${id}`, [{ op: 'replace', path: 'active', value: true }]);
        const version = (await get(`/Users/${id}`)).json().meta.version;
        const headers = { 'if-match': version };
        const answers = await Promise.all([
          patch(`/Users/${id}`, [{ op: 'replace', path: 'active', value: false }], headers),
          patch(`/Users/${id}`, [{ op: 'replace', path: 'active', value: false }], headers),
          patch(`/Users/${id}`, [{ op: 'replace', path: 'title', value: `R${round}` }], headers),
          patch(`/Users/${id}`, [{ op: 'replace', path: 'active', value: false }], headers),
        ]);
        expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 412, 412, 412]);
        const offboards = (await ctx.database.db.select().from(auditLog).where(and(eq(auditLog.entityId, id), eq(auditLog.action, 'user.offboard')))).length;
        const row = await hubRow(id);
        // the winner alone changed the person: either offboarded with the old title, or retitled and still active
        if (row.status === 'disabled') expect(row.title).not.toBe(`R${round}`);
        else expect(row.title).toBe(`R${round}`);
        if (row.status === 'disabled') offboarded++;
        expect(offboards).toBe(offboarded); // one offboarding audited per winning offboard, none for the losers
      }
    });

    it('of a DELETE (offboarding "delete") and a PATCH carrying one version, exactly one lands', async () => {
      const deleting = await createScimPushTask(ctx.database, 'race-delete', { offboarding: 'delete' });
      const as = (options: InjectOptions) => scim(options, deleting.token);
      for (let round = 0; round < 4; round++) {
        const id = (await as({ method: 'POST', url: '/Users', payload: JSON.stringify(user(`race-del-${round}`)) })).json().id;
        const version = (await as({ method: 'GET', url: `/Users/${id}` })).json().meta.version;
        const answers = await Promise.all([
          as({ method: 'PATCH', url: `/Users/${id}`, headers: { 'if-match': version }, payload: JSON.stringify({ schemas: [patchOp], Operations: [{ op: 'replace', path: 'title', value: 'Kept' }] }) }),
          as({ method: 'DELETE', url: `/Users/${id}`, headers: { 'if-match': version } }),
        ]);
        const [patched, deleted] = answers.map((a) => a.statusCode);
        expect([patched, deleted].filter((code) => code === 200 || code === 204)).toHaveLength(1);
        expect(deleted === 204 ? await hubRow(id) : (await hubRow(id)).title).toBe(deleted === 204 ? undefined : 'Kept');
      }
    });

    it('Group If-Match holds under concurrency: of concurrent PATCHes or a DELETE carrying one version, exactly one lands', async () => {
      const member = (await post('/Users', user('race-member'))).json().id;
      for (let round = 0; round < 4; round++) {
        const group = (await post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Race ${round}`, members: [{ value: member }] })).json();
        const headers = { 'if-match': group.meta.version };
        const answers = await Promise.all([
          patch(`/Groups/${group.id}`, [{ op: 'replace', path: 'displayName', value: `Race ${round} A` }], headers),
          patch(`/Groups/${group.id}`, [{ op: 'replace', path: 'displayName', value: `Race ${round} B` }], headers),
          patch(`/Groups/${group.id}`, [{ op: 'remove', path: `members[value eq "${member}"]` }], headers),
          scim({ method: 'DELETE', url: `/Groups/${group.id}`, headers }),
        ]);
        const codes = answers.map((a) => a.statusCode);
        expect(codes.filter((c) => c === 200 || c === 204)).toHaveLength(1);
        // the losers: 412, or 404 once the DELETE won
        expect(codes.filter((c) => c === 412 || (c === 404 && codes[3] === 204))).toHaveLength(3);
        const now = await get(`/Groups/${group.id}`);
        if (codes[3] === 204) expect(now.statusCode).toBe(404);
        else if (codes[2] === 200) expect(now.json()).toMatchObject({ displayName: `Race ${round}`, members: [] });
        else expect(now.json()).toMatchObject({ displayName: codes[0] === 200 ? `Race ${round} A` : `Race ${round} B`, members: [{ value: member }] });
      }
    });
  });

  it('DELETE offboards (the default offboarding) and answers 404 afterwards; a new POST brings the person back', async () => {
    const id = (await post('/Users', user('leaver'))).json().id;
    expect((await scim({ method: 'DELETE', url: `/Users/${id}` })).statusCode).toBe(204);
    expect((await get(`/Users/${id}`)).statusCode).toBe(404);
    expect(await filter('userName eq "leaver"')).toEqual([]);
    expect((await hubRow(id)).status).toBe('disabled');
    const back = await post('/Users', user('leaver'));
    expect(back.statusCode).toBe(201);
    expect(back.json()).toMatchObject({ id, active: true });
  });

  it('DELETE under offboarding "delete" removes the person, refused 409 while they manage someone', async () => {
    const deleting = await createScimPushTask(ctx.database, 'hr-delete', { offboarding: 'delete' });
    const as = (options: InjectOptions) => scim(options, deleting.token);
    const boss = (await as({ method: 'POST', url: '/Users', payload: JSON.stringify(user('del-boss')) })).json().id;
    const report = (await as({ method: 'POST', url: '/Users', payload: JSON.stringify(user('del-report', { [enterprise]: { manager: { value: boss } } })) })).json().id;
    expect((await as({ method: 'DELETE', url: `/Users/${boss}` })).statusCode).toBe(409);
    expect((await as({ method: 'DELETE', url: `/Users/${report}` })).statusCode).toBe(204);
    expect(await hubRow(report)).toBeUndefined();
  });

  it('hides people another source owns', async () => {
    const other = await createScimPushTask(ctx.database, 'entra');
    const theirs = (await scim({ method: 'POST', url: '/Users', payload: JSON.stringify(user('theirs')) }, other.token)).json().id;
    expect((await get(`/Users/${theirs}`)).statusCode).toBe(404);
    expect(await filter('userName eq "theirs"')).toEqual([]);
  });

  it('applies the task field mapping to pushed users', async () => {
    const mapped = await createScimPushTask(ctx.database, 'mapped', { fieldMapping: [{ target: 'title', source: 'employeeNumber' }] });
    const res = await scim({ method: 'POST', url: '/Users', payload: JSON.stringify(user('mapped-user', { title: 'ignored', [enterprise]: { employeeNumber: 'M-7' } })) }, mapped.token);
    expect(res.statusCode).toBe(201);
    expect(res.json().title).toBe('M-7');
  });

  it('answers 401 without a token, 403 for other roles here, 403 for a scim token elsewhere and for a disabled task', async () => {
    const none = await api.app.inject({ method: 'GET', url: '/scim/v2/Users' });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ status: '401' });
    expect((await get('/Users')).statusCode).toBe(200);
    for (const role of ['admin', 'operator', 'approver', 'bootstrap'] as const) expect((await api.as(role, { method: 'GET', url: '/scim/v2/Users' })).statusCode).toBe(403);
    expect((await api.app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(403);
    const paused = await createScimPushTask(ctx.database, 'paused');
    await setTaskEnabled(ctx.database, 'paused', false);
    const refused = await scim({ method: 'POST', url: '/Users', payload: JSON.stringify(user('nope')) }, paused.token);
    expect(refused.statusCode).toBe(403);
    expect(await filter('userName eq "nope"')).toEqual([]);
  });

  it('refuses a write at once (403, nothing written) when the task is disabled after it pushed, and takes it again once re-enabled', async () => {
    const later = await createScimPushTask(ctx.database, 'later');
    const as = (options: InjectOptions) => scim(options, later.token);
    const id = (await as({ method: 'POST', url: '/Users', payload: JSON.stringify(user('later-1')) })).json().id;
    await setTaskEnabled(ctx.database, 'later', false);
    expect((await as({ method: 'POST', url: '/Users', payload: JSON.stringify(user('later-2')) })).statusCode).toBe(403);
    expect((await as({ method: 'PATCH', url: `/Users/${id}`, payload: JSON.stringify({ schemas: [patchOp], Operations: [{ op: 'replace', path: 'title', value: 'No' }] }) })).statusCode).toBe(403);
    expect((await as({ method: 'DELETE', url: `/Users/${id}` })).statusCode).toBe(403);
    expect((await as({ method: 'POST', url: '/Groups', payload: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Later' }) })).statusCode).toBe(403);
    expect(await hubRow(id)).toMatchObject({ status: 'active', title: null });
    expect((await ctx.database.db.select().from(hubUsers).where(eq(hubUsers.username, 'later-2'))).length).toBe(0);
    await setTaskEnabled(ctx.database, 'later', true);
    expect((await as({ method: 'POST', url: '/Users', payload: JSON.stringify(user('later-2')) })).statusCode).toBe(201);
  });

  it('creates a scim token only for a scim-push task', async () => {
    const ok = await api.as('admin', { method: 'POST', url: '/api/v1/tokens', payload: { name: 'okta', role: 'scim', taskId } });
    expect(ok.statusCode).toBe(201);
    expect((await get('/ServiceProviderConfig')).statusCode).toBe(200);
    expect((await scim({ method: 'GET', url: '/Users' }, ok.json().token)).statusCode).toBe(200);
    expect((await api.as('admin', { method: 'POST', url: '/api/v1/tokens', payload: { name: 'x', role: 'scim' } })).statusCode).toBe(400);
    expect((await api.as('admin', { method: 'POST', url: '/api/v1/tokens', payload: { name: 'x', role: 'scim', taskId: 'ghost' } })).statusCode).toBe(400);
    expect((await api.as('admin', { method: 'POST', url: '/api/v1/tokens', payload: { name: 'x', role: 'operator', taskId } })).statusCode).toBe(400);
  });

  it('PATCHes a whole extension by its URN (scim-patch alone would nest it under "…:2.0"."User")', async () => {
    const id = (await post('/Users', user('ext', { phoneNumbers: [{ value: '13800000123', type: 'work' }] }))).json().id;
    const added = await patch(`/Users/${id}`, [{ op: 'add', path: enterprise, value: { schemas: [enterprise], employeeNumber: 'X-1', costCenter: 'CC' } }]);
    expect(added.json()[enterprise]).toEqual({ employeeNumber: 'X-1', costCenter: 'CC' });
    expect(added.json()['urn:ietf:params:scim:schemas:extension:enterprise:2.0']).toBeUndefined();
    // the phone as sent comes back once, though the hub keeps it as E.164
    expect(added.json().phoneNumbers).toEqual([{ value: '13800000123', type: 'work' }]);
    expect((await hubRow(id)).mobile).toBe('+8613800000123');
    const removed = await patch(`/Users/${id}`, [{ op: 'remove', path: enterprise }]);
    expect(removed.json()[enterprise]).toBeUndefined();
    expect((await hubRow(id)).employeeNumber).toBeNull();
  });

  it('answers 405 for writes to discovery endpoints and searches by POST .search', async () => {
    expect((await scim({ method: 'DELETE', url: '/Schemas' })).statusCode).toBe(405);
    expect((await scim({ method: 'PUT', url: '/ServiceProviderConfig', payload: '{}' })).statusCode).toBe(405);
    const found = await post('/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName eq "GRACE"', attributes: ['userName'] });
    expect(found.statusCode).toBe(200);
    expect(found.json().Resources).toEqual([{ schemas: [core], id: expect.any(String), userName: 'grace', meta: expect.any(Object) }]);
  });

  describe('Groups (hub departments)', () => {
    it('creates a group with members, patches them as Entra does, resolves the EnterpriseUser department, deletes', async () => {
      const a = (await post('/Users', user('g-a'))).json().id;
      const b = (await post('/Users', user('g-b'))).json().id;
      const created = await post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], externalId: 'okta-g1', displayName: 'Platform', members: [{ value: a }] });
      expect(created.statusCode).toBe(201);
      const group = created.json();
      expect(group).toMatchObject({ externalId: 'okta-g1', displayName: 'Platform', members: [{ value: a, type: 'User' }] });
      expect((await hubRow(a)).departmentIds).toEqual([group.id]);

      const added = await patch(`/Groups/${group.id}`, [{ op: 'Add', path: 'members', value: [{ value: b }] }]);
      expect(added.statusCode).toBe(200);
      expect(added.json().members.map((m: { value: string }) => m.value).sort()).toEqual([a, b].sort());
      const removed = await patch(`/Groups/${group.id}`, [{ op: 'Remove', path: `members[value eq "${a}"]` }]);
      expect(removed.json().members.map((m: { value: string }) => m.value)).toEqual([b]);
      expect((await hubRow(a)).departmentIds).toEqual([]);
      expect((await patch(`/Groups/${group.id}`, [{ op: 'replace', path: 'displayName', value: 'Platform Eng' }])).json().displayName).toBe('Platform Eng');

      const placed = await patch(`/Users/${a}`, [{ op: 'add', path: `${enterprise}:department`, value: 'Platform Eng' }]);
      expect(placed.json()[enterprise].department).toBe('Platform Eng');
      expect(await hubRow(a)).toMatchObject({ departmentIds: [group.id], mainDepartmentId: group.id });

      expect((await get(`/Groups?filter=${encodeURIComponent('displayName eq "platform eng"')}`)).json().totalResults).toBe(1);
      expect((await scim({ method: 'DELETE', url: `/Groups/${group.id}` })).statusCode).toBe(204);
      expect((await get(`/Groups/${group.id}`)).statusCode).toBe(404);
      expect((await hubRow(a)).departmentIds).toEqual([]);
    });

    it('concurrent membership PATCHes all land: one person added to two groups at once, and two people added to one group at once', async () => {
      const groupOf = async (name: string) => (await post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: name })).json().id as string;
      for (let round = 0; round < 5; round++) {
        const [g1, g2] = [await groupOf(`Para-${round}-1`), await groupOf(`Para-${round}-2`)];
        const [u, v, w] = [(await post('/Users', user(`para-u${round}`))).json().id, (await post('/Users', user(`para-v${round}`))).json().id, (await post('/Users', user(`para-w${round}`))).json().id];
        await Promise.all([
          patch(`/Groups/${g1}`, [{ op: 'add', path: 'members', value: [{ value: u }] }]),
          patch(`/Groups/${g2}`, [{ op: 'add', path: 'members', value: [{ value: u }] }]),
          patch(`/Groups/${g1}`, [{ op: 'add', path: 'members', value: [{ value: v }] }]),
          patch(`/Groups/${g1}`, [{ op: 'add', path: 'members', value: [{ value: w }] }]),
        ]);
        expect([...(await hubRow(u)).departmentIds].sort()).toEqual([g1, g2].sort());
        expect(((await get(`/Groups/${g1}`)).json().members as { value: string }[]).map((m) => m.value).sort()).toEqual([u, v, w].sort());
      }
    });

    it('concurrent PATCHes without If-Match of the name, the externalId and the members all land (each is applied to the group as locked in its write)', async () => {
      for (let round = 0; round < 5; round++) {
        const group = (await post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], externalId: `ren-${round}`, displayName: `Ren-${round}` })).json().id as string;
        const [u, v] = [(await post('/Users', user(`ren-u${round}`))).json().id, (await post('/Users', user(`ren-v${round}`))).json().id];
        const answers = await Promise.all([
          patch(`/Groups/${group}`, [{ op: 'add', path: 'members', value: [{ value: u }] }]),
          patch(`/Groups/${group}`, [{ op: 'replace', path: 'displayName', value: `Ren-${round} renamed` }]),
          patch(`/Groups/${group}`, [{ op: 'replace', path: 'externalId', value: `ren-${round}-moved` }]),
          patch(`/Groups/${group}`, [{ op: 'add', path: 'members', value: [{ value: v }] }]),
        ]);
        expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200]);
        const now = (await get(`/Groups/${group}`)).json();
        expect({ displayName: now.displayName, externalId: now.externalId }).toEqual({ displayName: `Ren-${round} renamed`, externalId: `ren-${round}-moved` });
        expect((now.members as { value: string }[]).map((m) => m.value).sort()).toEqual([u, v].sort());
      }
    });
  });
});
