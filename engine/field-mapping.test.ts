import { compileFieldMapping, FieldMappingError, mapUsers, type FieldMappingEntry } from './field-mapping';
import { person } from './testing/directory-world';

function compileError(entries: unknown[]): FieldMappingError {
  try {
    compileFieldMapping(entries as FieldMappingEntry[]);
  } catch (error) {
    if (error instanceof FieldMappingError) return error;
    throw error;
  }
  throw new Error('expected a FieldMappingError');
}

describe('compileFieldMapping', () => {
  it('names the entry of an unknown target or source field', () => {
    expect(compileError([{ target: 'email', source: 'email' }, { target: 'position', source: 'title' }]).field).toBe('fieldMapping.1.target');
    expect(compileError([{ target: 'title', source: 'jobTitle' }]).field).toBe('fieldMapping.0.source');
    expect(compileError([{ target: 'attributes.', source: 'title' }]).field).toBe('fieldMapping.0.target');
  });

  it('names the expression that does not compile and keeps JSONata’s message', () => {
    const error = compileError([{ target: 'name', source: 'name' }, { target: 'email', expression: '$lowercase(email' }]);
    expect(error.field).toBe('fieldMapping.1.expression');
    expect(error.message).toMatch(/^fieldMapping\.1\.expression: does not compile: .+/);
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the attribute key %s as a target or a source, naming the field', (key) => {
    const target = compileError([{ target: 'name', source: 'name' }, { target: `attributes.${key}`, expression: '{"isAdmin": true}' }]);
    expect(target.field).toBe('fieldMapping.1.target');
    expect(target.message).toContain(`attribute key "${key}" is not allowed`);
    const source = compileError([{ target: 'attributes.x', source: `attributes.${key}` }]);
    expect(source.field).toBe('fieldMapping.0.source');
    expect(source.message).toContain(`attribute key "${key}" is not allowed`);
  });

  it('refuses a target mapped twice and an entry with neither source nor expression', () => {
    expect(compileError([{ target: 'title', source: 'title' }, { target: 'title', expression: '"x"' }]).field).toBe('fieldMapping.1.target');
    expect(compileError([{ target: 'title' }]).field).toBe('fieldMapping.0');
  });
});

describe('mapUsers', () => {
  const alice = person('s1', {
    username: 'alice',
    name: 'Alice',
    email: 'Alice@Corp.Example',
    title: 'Engineer',
    departmentIds: ['d1'],
    managerId: 's0',
    attributes: { workEmail: 'alice@work.example', level: 3 },
  });

  it('is the identity by default, structural fields included', async () => {
    const { users, failures } = await mapUsers(compileFieldMapping([]), [alice]);
    expect(failures).toEqual([]);
    expect(users).toEqual([alice]);
    expect(users[0]).not.toBe(alice);
  });

  it('applies source copies and expressions over the identity default', async () => {
    const compiled = compileFieldMapping([
      { target: 'email', expression: '$lowercase(email)' },
      { target: 'title', source: 'attributes.workEmail' },
      { target: 'attributes.display', expression: 'name & " (" & title & ")"' },
      { target: 'attributes.grade', source: 'attributes.level' },
    ]);
    const { users } = await mapUsers(compiled, [alice]);
    expect(users[0]).toEqual({
      ...alice,
      email: 'alice@corp.example',
      title: 'alice@work.example',
      attributes: { workEmail: 'alice@work.example', level: 3, display: 'Alice (Engineer)', grade: 3 },
    });
  });

  it('reports a user whose expression fails or gives no username, and maps the others', async () => {
    const compiled = compileFieldMapping([{ target: 'username', expression: 'attributes.login' }]);
    const bob = person('s2', { attributes: { login: 'bob' } });
    const { users, failures } = await mapUsers(compiled, [alice, bob]);
    expect(users.map((u) => u.username)).toEqual(['bob']);
    expect(failures).toEqual([{ entity: 'user', sourceId: 's1', field: 'username', reason: 'username: is empty' }]);
    const listy = await mapUsers(compileFieldMapping([{ target: 'title', expression: '[1,2]' }]), [bob]);
    expect(listy.failures[0]).toMatchObject({ sourceId: 's2', field: 'title' });
  });

  it('copies only attributes the user has, never what objects inherit', async () => {
    // attributes as they come from JSON (a vendor, the database): "__proto__" is an own key there
    const odd = person('s3', { attributes: JSON.parse('{"__proto__": {"isAdmin": true}, "level": 1}') as Record<string, unknown> });
    const compiled = compileFieldMapping([
      { target: 'attributes.copied', source: 'attributes.toString' },
      { target: 'title', source: 'attributes.hasOwnProperty' },
      { target: 'attributes.grade', source: 'attributes.level' },
    ]);
    const { users, failures } = await mapUsers(compiled, [odd]);
    expect(failures).toEqual([]);
    const attributes = users[0].attributes as Record<string, unknown>;
    expect(users[0].title).toBeNull();
    expect(Object.keys(attributes).sort()).toEqual(['__proto__', 'grade', 'level']);
    expect(attributes.isAdmin).toBeUndefined();
    expect(typeof attributes.copied).toBe('undefined');
    expect(JSON.parse(JSON.stringify(users[0].attributes))).toEqual({ ['__proto__']: { isAdmin: true }, level: 1, grade: 1 });
  });

  it('writes mapped mobiles in E.164 when given a default country, and fails the user whose mobile is no number', async () => {
    const written = ['+86 13800000001', '86-13800000002', '13800000003', null, 'ask HR'];
    const users = written.map((mobile, i) => person(`m${i}`, { mobile }));
    const { users: mapped, failures } = await mapUsers(compileFieldMapping([]), users, { mobileCountryCode: '86' });
    expect(mapped.map((u) => u.mobile)).toEqual(['+8613800000001', '+8613800000002', '+8613800000003', null]);
    expect(failures).toEqual([{ entity: 'user', sourceId: 'm4', field: 'mobile', reason: expect.stringMatching(/^mobile: is not a phone number/) }]);
    // An expression's result is normalised too.
    const glued = await mapUsers(compileFieldMapping([{ target: 'mobile', expression: '"0086" & attributes.phone' }]), [person('p', { attributes: { phone: '13900000009' } })], { mobileCountryCode: '86' });
    expect(glued.users[0].mobile).toBe('+8613900000009');
  });

  it('maps 100k users with plain copies quickly', async () => {
    const many = Array.from({ length: 100_000 }, (_, i) => person(`u${i}`, { email: `u${i}@x.example`, attributes: { level: i % 5 } }));
    const compiled = compileFieldMapping([{ target: 'title', source: 'email' }, { target: 'attributes.grade', source: 'attributes.level' }]);
    const started = Date.now();
    const { users } = await mapUsers(compiled, many);
    expect(users).toHaveLength(100_000);
    expect(users[99_999].title).toBe('u99999@x.example');
    expect(Date.now() - started).toBeLessThan(3000); // a few hundred ms on an idle core
  });
});
