import { startWecomFake, WecomDirectory, WecomFakeError, type RunningWecomFake } from './fake';
import { fakeControl, fakeState, rawCall } from './fake/test-helpers';

const creds = { corpId: 'wwfake01', corpSecret: 'fake-secret-value' };
let fake: RunningWecomFake;
const call = (method: 'GET' | 'POST', path: string, params: Record<string, unknown> = {}) => rawCall(fake, creds, method, path, params);

beforeEach(async () => {
  fake = await startWecomFake({ ...creds, port: 0 });
  await fakeControl(fake, 'seed', {
    department: [
      { id: 1, name: 'Acme', parentid: 0 },
      { id: 2, name: 'R&D', parentid: 1, order: 10 },
      { id: 3, name: 'Backend', parentid: 2 },
    ],
    userlist: [
      { userid: 'Alice', name: 'Alice', department: [3], mobile: '13800000001', email: 'alice@acme.test' },
      { userid: 'newbie', name: 'New', department: [2], email: 'new@acme.test', status: 4 },
    ],
  });
});
afterEach(() => fake.close());

describe('WeCom fake refuses what WeCom refuses', () => {
  it('answers the errcode envelope and refuses bad credentials and tokens', async () => {
    const bad = await (await fetch(`${fake.baseUrl}/gettoken?corpid=wwfake01&corpsecret=wrong`)).json();
    expect(bad).toMatchObject({ errcode: 40001 });
    expect(await (await fetch(`${fake.baseUrl}/department/list`)).json()).toMatchObject({ errcode: 41001 });
    expect(await (await fetch(`${fake.baseUrl}/department/list?access_token=nope`)).json()).toMatchObject({ errcode: 40014 });
  });

  it('expires tokens after their TTL with 42001', async () => {
    const short = await startWecomFake({ ...creds, tokenTtlSeconds: 1 });
    try {
      const { access_token } = (await (await fetch(`${short.baseUrl}/gettoken?corpid=wwfake01&corpsecret=fake-secret-value`)).json()) as { access_token: string };
      expect(await (await fetch(`${short.baseUrl}/department/list?access_token=${access_token}`)).json()).toMatchObject({ errcode: 0 });
      await new Promise((r) => setTimeout(r, 1100));
      expect(await (await fetch(`${short.baseUrl}/department/list?access_token=${access_token}`)).json()).toMatchObject({ errcode: 42001 });
    } finally {
      await short.close();
    }
  });

  it('refuses deleting the root, a department with sub-departments, or one with members', async () => {
    expect(await call('GET', '/department/delete', { id: 1 })).toMatchObject({ errcode: 60007 });
    expect(await call('GET', '/department/delete', { id: 2 })).toMatchObject({ errcode: 60006 });
    expect(await call('GET', '/department/delete', { id: 3 })).toMatchObject({ errcode: 60005 });
    expect(await call('GET', '/department/delete', { id: 99 })).toMatchObject({ errcode: 60003 });
    expect((await fakeState(fake)).department).toHaveLength(3);
  });

  it('keeps department names unique among siblings, parents real and depth ≤ 15', async () => {
    expect(await call('POST', '/department/create', { name: 'Backend', parentid: 2 })).toMatchObject({ errcode: 60008 });
    expect(await call('POST', '/department/create', { name: 'Backend', parentid: 1 })).toMatchObject({ errcode: 0 });
    expect(await call('POST', '/department/create', { name: 'X', parentid: 77 })).toMatchObject({ errcode: 60004 });
    expect(await call('POST', '/department/create', { name: 'X', parentid: 1, id: 3 })).toMatchObject({ errcode: 60008 });
    expect(await call('POST', '/department/create', { name: 'a|b', parentid: 1 })).toMatchObject({ errcode: 60009 });
    let parent = 3; // level 3
    for (let level = 4; level <= 15; level += 1) {
      const res = await call('POST', '/department/create', { name: `L${level}`, parentid: parent });
      expect(res.errcode).toBe(0);
      parent = res.id as number;
    }
    expect(await call('POST', '/department/create', { name: 'L16', parentid: parent })).toMatchObject({ errcode: 60002 });
  });

  it('keeps userids unique regardless of case, with allowed characters only', async () => {
    expect(await call('POST', '/user/create', { userid: 'alice', name: 'A2', email: 'a2@acme.test' })).toMatchObject({ errcode: 60102 });
    expect(await call('POST', '/user/create', { userid: 'bad id!', name: 'B', email: 'b@acme.test' })).toMatchObject({ errcode: 40003 });
    expect(await call('POST', '/user/create', { userid: 'carol', name: 'C' })).toMatchObject({ errcode: 60129 });
    expect(await call('POST', '/user/create', { userid: 'carol', name: 'C', mobile: '13800000001' })).toMatchObject({ errcode: 60104 });
    expect(await call('POST', '/user/create', { userid: 'carol', name: 'C', email: 'ALICE@acme.test' })).toMatchObject({ errcode: 60106 });
    expect(await call('POST', '/user/create', { userid: 'carol', name: 'C', email: 'c@acme.test', department: [42] })).toMatchObject({ errcode: 60123 });
    expect(await call('POST', '/user/update', { userid: 'ghost', name: 'G' })).toMatchObject({ errcode: 60111 });
    expect((await fakeState(fake)).userlist).toHaveLength(2);
  });

  it('ignores a mobile change once the member activated, applies it before', async () => {
    expect(await call('POST', '/user/update', { userid: 'alice', mobile: '13900000000', position: 'Lead' })).toMatchObject({ errcode: 0 });
    expect(await call('GET', '/user/get', { userid: 'Alice' })).toMatchObject({ mobile: '13800000001', position: 'Lead' });
    expect(await call('POST', '/user/update', { userid: 'newbie', mobile: '13900000000' })).toMatchObject({ errcode: 0 });
    expect(await call('GET', '/user/get', { userid: 'newbie' })).toMatchObject({ mobile: '13900000000', status: 4 });
  });

  it('freezes with enable 0 (status 2) and unfreezes back to active', async () => {
    await call('POST', '/user/update', { userid: 'Alice', enable: 0 });
    expect(await call('GET', '/user/get', { userid: 'Alice' })).toMatchObject({ enable: 0, status: 2 });
    await call('POST', '/user/update', { userid: 'Alice', enable: 1 });
    expect(await call('GET', '/user/get', { userid: 'Alice' })).toMatchObject({ enable: 1, status: 1 });
  });

  it('limits batchdelete to 200 and list_id to 10,000, paging with a cursor', async () => {
    const many = Array.from({ length: 201 }, (_, i) => `u${i}`);
    expect(await call('POST', '/user/batchdelete', { useridlist: many })).toMatchObject({ errcode: 40058 });
    expect(await call('POST', '/user/list_id', { limit: 10_001 })).toMatchObject({ errcode: 40058 });
    const first = await call('POST', '/user/list_id', { limit: 1 });
    expect(first).toMatchObject({ errcode: 0, dept_user: [{ userid: 'Alice', department: 3 }] });
    const second = await call('POST', '/user/list_id', { limit: 1, cursor: first.next_cursor });
    expect(second).toMatchObject({ next_cursor: '', dept_user: [{ userid: 'newbie', department: 2 }] });
    expect(await call('POST', '/user/batchdelete', { useridlist: ['alice', 'newbie'] })).toMatchObject({ errcode: 0 });
    expect((await fakeState(fake)).userlist).toHaveLength(0);
  });

  it('answers 45009 over the per-API limit, counting each API separately', async () => {
    const limited = await startWecomFake({ ...creds, rateLimitPerMinute: 3 });
    try {
      const token = ((await (await fetch(`${limited.baseUrl}/gettoken?corpid=wwfake01&corpsecret=fake-secret-value`)).json()) as { access_token: string }).access_token;
      const codes: number[] = [];
      for (let i = 0; i < 4; i += 1) codes.push(((await (await fetch(`${limited.baseUrl}/department/list?access_token=${token}`)).json()) as { errcode: number }).errcode);
      expect(codes).toEqual([0, 0, 0, 45009]);
      expect(await (await fetch(`${limited.baseUrl}/user/get?access_token=${token}&userid=x`)).json()).toMatchObject({ errcode: 60111 });
    } finally {
      await limited.close();
    }
  });

  it('injects faults: 5xx, rate-limit bursts and revoked tokens', async () => {
    const { access_token } = (await (await fetch(`${fake.baseUrl}/gettoken?corpid=wwfake01&corpsecret=fake-secret-value`)).json()) as { access_token: string };
    await fakeControl(fake, 'faults', { serverErrors: 1, rateLimitBurst: 1 });
    expect((await fetch(`${fake.baseUrl}/department/list?access_token=${access_token}`)).status).toBe(500);
    expect(await (await fetch(`${fake.baseUrl}/department/list?access_token=${access_token}`)).json()).toMatchObject({ errcode: 45009 });
    await fakeControl(fake, 'faults', { revokeTokens: true });
    expect(await (await fetch(`${fake.baseUrl}/department/list?access_token=${access_token}`)).json()).toMatchObject({ errcode: 40014 });
    expect((await fakeControl(fake, 'faults', { serverErrors: -1 })).status).toBe(400);
  });

  it('refuses a bad seed with a message naming the record, keeping the old directory', async () => {
    const res = await fakeControl(fake, 'seed', { department: [{ id: 5, name: 'Orphan', parentid: 4 }] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('department[0]');
    expect((await fakeState(fake)).department).toHaveLength(3);
  });
});

describe('WeCom fake: what the secret may see and do', () => {
  const scopedSeed = (extra: Record<string, unknown>) =>
    fakeControl(fake, 'seed', {
      department: [
        { id: 1, name: 'Acme', parentid: 0 },
        { id: 2, name: 'R&D', parentid: 1 },
        { id: 3, name: 'Backend', parentid: 2 },
        { id: 4, name: 'Sales', parentid: 1 },
      ],
      userlist: [
        { userid: 'alice', name: 'Alice', department: [3], email: 'alice@acme.test' },
        { userid: 'sam', name: 'Sam', department: [4], email: 'sam@acme.test' },
      ],
      ...extra,
    });

  it('narrows an app secret to its visible range (应用可见范围): 60011 outside it, only what is inside listed', async () => {
    expect((await scopedSeed({ visible_department_ids: [2] })).status).toBe(200);
    expect(await call('GET', '/department/simplelist', { id: 1 })).toMatchObject({ errcode: 60011 });
    expect(await call('GET', '/department/list', { id: 4 })).toMatchObject({ errcode: 60011 });
    expect((await call('GET', '/department/simplelist')).department_id).toEqual([
      { id: 2, parentid: 1, order: expect.any(Number) },
      { id: 3, parentid: 2, order: expect.any(Number) },
    ]);
    expect(await call('GET', '/department/list', { id: 2 })).toMatchObject({ errcode: 0, department: [{ id: 2 }, { id: 3 }] });
    expect(await call('GET', '/user/list', { department_id: 4 })).toMatchObject({ errcode: 60011 });
    expect(await call('GET', '/user/get', { userid: 'sam' })).toMatchObject({ errcode: 60011 });
    expect((await call('POST', '/user/list_id', {})).dept_user).toEqual([{ userid: 'alice', department: 3 }]);
    expect(await call('POST', '/department/update', { id: 1 })).toMatchObject({ errcode: 60011 });
    expect((await fakeState<{ visible_department_ids: number[] }>(fake)).visible_department_ids).toEqual([2]);
  });

  it('answers 48002 to every write of a read-only secret (通讯录同步 set to read), and reads as before', async () => {
    expect((await scopedSeed({ contact_write: false })).status).toBe(200);
    expect(await call('POST', '/department/update', { id: 1 })).toMatchObject({ errcode: 48002, errmsg: expect.stringContaining('api forbidden') });
    expect(await call('POST', '/department/create', { name: 'New', parentid: 1 })).toMatchObject({ errcode: 48002 });
    expect(await call('POST', '/user/create', { userid: 'x', name: 'X', department: [1], email: 'x@acme.test' })).toMatchObject({ errcode: 48002 });
    expect(await call('GET', '/user/delete', { userid: 'alice' })).toMatchObject({ errcode: 48002 });
    expect(await call('GET', '/department/simplelist', { id: 1 })).toMatchObject({ errcode: 0 });
    expect((await fakeState(fake)).userlist).toHaveLength(2);
  });

  it('refuses a bad scope or write flag in the seed', async () => {
    expect((await scopedSeed({ visible_department_ids: [99] })).status).toBe(400);
    expect((await scopedSeed({ contact_write: 'no' })).status).toBe(400);
  });
});

// The directory keeps mobile, email, child and member indexes instead of scanning (issue 17): these
// are the rules the indexes answer, after the writes that must move or free an index entry.
describe('WeCom fake directory: uniqueness and department rules stay right after updates and deletes', () => {
  const seeded = () => {
    const dir = new WecomDirectory();
    dir.createDepartment({ id: 2, name: 'R&D', parentid: 1 });
    dir.createDepartment({ id: 3, name: 'Sales', parentid: 1 });
    dir.createUser({ userid: 'alice', name: 'Alice', department: [2], mobile: '13800000001', email: 'Alice@acme.test' });
    dir.createUser({ userid: 'bob', name: 'Bob', department: [2, 3], mobile: '13800000002', email: 'bob@acme.test' });
    return dir;
  };
  const errcode = (run: () => void): number | undefined => {
    try {
      run();
      return undefined;
    } catch (err) {
      if (err instanceof WecomFakeError) return err.errcode;
      throw err;
    }
  };

  it('refuses a taken mobile or email (email without case) on create and update, not the member\'s own', () => {
    const dir = seeded();
    expect(errcode(() => dir.createUser({ userid: 'carol', name: 'Carol', department: [2], mobile: '13800000001' }))).toBe(60104);
    expect(errcode(() => dir.createUser({ userid: 'carol', name: 'Carol', department: [2], email: 'ALICE@acme.test' }))).toBe(60106);
    expect(errcode(() => dir.updateUser({ userid: 'bob', email: 'alice@ACME.test' }))).toBe(60106);
    expect(errcode(() => dir.updateUser({ userid: 'alice', mobile: '13800000001', email: 'alice@acme.test' }))).toBeUndefined();
    expect(errcode(() => dir.createUser({ userid: 'CAROL', name: 'Carol', department: [2], email: 'carol@acme.test' }))).toBeUndefined();
    expect(errcode(() => dir.createUser({ userid: 'carol', name: 'Carol', department: [2], email: 'carol2@acme.test' }))).toBe(60102);
  });

  it('frees the old values of an update and a delete, and holds the new ones', () => {
    const dir = seeded();
    dir.updateUser({ userid: 'alice', mobile: '13900000001', email: 'alice.new@acme.test' });
    expect(errcode(() => dir.createUser({ userid: 'carol', name: 'Carol', department: [2], mobile: '13800000001', email: 'Alice@acme.test' }))).toBeUndefined();
    expect(errcode(() => dir.createUser({ userid: 'dave', name: 'Dave', department: [2], mobile: '13900000001' }))).toBe(60104);
    expect(errcode(() => dir.createUser({ userid: 'dave', name: 'Dave', department: [2], email: 'ALICE.NEW@acme.test' }))).toBe(60106);
    // A refused update changes nothing: alice keeps her values, bob keeps his.
    expect(errcode(() => dir.updateUser({ userid: 'bob', mobile: '13900000001', email: 'bob.new@acme.test' }))).toBe(60104);
    expect(errcode(() => dir.createUser({ userid: 'erin', name: 'Erin', department: [2], email: 'bob.new@acme.test' }))).toBeUndefined();
    expect(errcode(() => dir.createUser({ userid: 'frank', name: 'Frank', department: [2], email: 'bob@acme.test' }))).toBe(60106);

    dir.deleteUsers(['BOB']);
    expect(errcode(() => dir.createUser({ userid: 'gina', name: 'Gina', department: [2], mobile: '13800000002', email: 'bob@acme.test' }))).toBeUndefined();
    expect(errcode(() => dir.createUser({ userid: 'bob', name: 'Bob', department: [2], email: 'bob2@acme.test' }))).toBeUndefined();
  });

  it('moves the values with a renamed userid: the old key frees nothing, the new one holds them', () => {
    const dir = seeded();
    dir.updateUser({ userid: 'alice', new_userid: 'alice2' });
    expect(errcode(() => dir.createUser({ userid: 'carol', name: 'Carol', department: [2], mobile: '13800000001' }))).toBe(60104);
    expect(errcode(() => dir.updateUser({ userid: 'alice2', email: 'alice@acme.test' }))).toBeUndefined();
    dir.deleteUsers(['alice2']);
    expect(errcode(() => dir.createUser({ userid: 'carol', name: 'Carol', department: [2], mobile: '13800000001', email: 'alice@acme.test' }))).toBeUndefined();
  });

  it('counts members and sub-departments through moves and deletes', () => {
    const dir = seeded();
    expect(errcode(() => dir.deleteDepartment(3))).toBe(60005);
    dir.updateUser({ userid: 'bob', department: [2] });
    expect(errcode(() => dir.deleteDepartment(3))).toBeUndefined();
    dir.createDepartment({ id: 4, name: 'Backend', parentid: 2 });
    expect(errcode(() => dir.createDepartment({ name: 'Backend', parentid: 2 }))).toBe(60008);
    dir.updateDepartment({ id: 4, parentid: 1 });
    expect(errcode(() => dir.createDepartment({ id: 5, name: 'Backend', parentid: 2 }))).toBeUndefined();
    expect(errcode(() => dir.createDepartment({ name: 'Backend', parentid: 1 }))).toBe(60008);
    dir.deleteUsers(['alice', 'bob']);
    dir.deleteDepartment(5);
    expect(errcode(() => dir.deleteDepartment(2))).toBeUndefined();
    expect(dir.createDepartment({ name: 'Next', parentid: 1 })).toBe(6);
    expect(dir.subtree(1).map((d) => d.id)).toEqual([1, 4, 6]);
  });
});
