import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirectoryPage } from '../../engine/model';
import { VendorError } from '../errors';
import { createCsvConnector, csvDepartmentId, CsvFileError, type CsvSettingsInput } from './index';

async function readAll(settings: CsvSettingsInput) {
  const pages: DirectoryPage[] = [];
  for await (const page of createCsvConnector(settings).readSnapshot()) pages.push(page);
  return {
    pages,
    departments: pages.flatMap((p) => p.departments),
    users: pages.flatMap((p) => p.users),
  };
}

async function readError(settings: CsvSettingsInput): Promise<CsvFileError> {
  try {
    await readAll(settings);
  } catch (error) {
    if (error instanceof CsvFileError) return error;
    throw error;
  }
  throw new Error('the read succeeded but should have failed');
}

const header = 'employee_number,username,name,email,mobile,title,department,manager,status';

describe('csv connector: reading a good export', () => {
  it('handles a BOM, CRLF, quoted commas, doubled quotes and line breaks inside quotes', async () => {
    const content =
      '\uFEFF' +
      [
        header,
        'E1,alice,"Smith, Alice",alice@acme.test,+86 138 0000 0001,"CEO ""the boss""",Acme,,active',
        'E2,bob,Bob,bob@acme.test,,"Senior\r\nEngineer",Acme/R&D/Backend,E1,在职',
        'E3,carol,Carol,,,,Acme/R&D,E1,0',
      ].join('\r\n') +
      '\r\n';
    const { users } = await readAll({ content });
    expect(users.map((u) => u.id)).toEqual(['E1', 'E2', 'E3']);
    const [alice, bob, carol] = users;
    expect(alice).toMatchObject({ username: 'alice', name: 'Smith, Alice', title: 'CEO "the boss"', mobile: '+86 138 0000 0001', managerId: null, status: 'active' });
    expect(bob).toMatchObject({ title: 'Senior\r\nEngineer', managerId: 'E1', status: 'active' });
    expect(carol).toMatchObject({ email: null, mobile: null, title: null, status: 'disabled' });
  });

  it('counts lines as a person does, even after a line break inside quotes', async () => {
    const content = [header, 'E1,alice,"Alice\nLiddell",,,,,,', 'E2,bob,Bob,not-an-email,,,,,'].join('\n');
    const error = await readError({ content });
    expect(error.problems).toEqual([{ line: 4, column: 'email', header: 'email', reason: 'malformed email' }]);
  });

  it('builds the department tree with ids that depend only on the path', async () => {
    const content = [header, 'E1,alice,Alice,,,,Acme/R&D/Backend;Acme/Sales,,', 'E2,bob,Bob,,,,Acme / R&D,,'].join('\n');
    const first = await readAll({ content });
    const second = await readAll({ content: [header, 'E9,zed,Zed,,,,Acme/Sales,,', ...content.split('\n').slice(1)].join('\n') });

    const acme = csvDepartmentId(['Acme']);
    const rd = csvDepartmentId(['Acme', 'R&D']);
    const backend = csvDepartmentId(['Acme', 'R&D', 'Backend']);
    const sales = csvDepartmentId(['Acme', 'Sales']);
    expect(first.departments).toEqual([
      { id: acme, name: 'Acme', parentId: null, order: 0, leaderIds: [] },
      { id: rd, name: 'R&D', parentId: acme, order: 0, leaderIds: [] },
      { id: backend, name: 'Backend', parentId: rd, order: 0, leaderIds: [] },
      { id: sales, name: 'Sales', parentId: acme, order: 0, leaderIds: [] },
    ]);
    expect(first.users[0]).toMatchObject({ departmentIds: [backend, sales], mainDepartmentId: backend });
    expect(first.users[1]).toMatchObject({ departmentIds: [rd], mainDepartmentId: rd });
    // Another file with the same paths in another order gives the same ids.
    expect(new Set(second.departments.map((d) => d.id))).toEqual(new Set([acme, rd, backend, sales]));
  });

  it('maps columns by configuration, including attributes, and resolves managers by username', async () => {
    const content = ['Login,Full Name,Dept,Boss,State,Cost Center', 'alice,Alice,Acme|HQ,,Yes,CC1', 'bob,Bob,Acme,ALICE,no,'].join('\n');
    const { users } = await readAll({
      content,
      columns: { username: 'login', name: 'Full Name', department: 'Dept', manager: 'Boss', status: 'State', 'attributes.costCenter': 'Cost Center' },
      departmentSeparator: '|',
      managerKey: 'username',
      statusValues: { active: ['yes'], disabled: ['no'] },
    });
    // No employee number column: the username is the id.
    expect(users.map((u) => [u.id, u.managerId, u.status, u.attributes])).toEqual([
      ['alice', null, 'active', { costCenter: 'CC1' }],
      ['bob', 'alice', 'disabled', {}],
    ]);
  });

  it('yields departments before users, in pages of the configured size', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => `E${i},u${i},User ${i},,,,Acme/T${i},,`);
    const { pages } = await readAll({ content: [header, ...rows].join('\n'), pageSize: 2 });
    expect(pages.map((p) => [p.departments.length, p.users.length])).toEqual([
      [2, 0],
      [2, 0],
      [2, 0],
      [0, 2],
      [0, 2],
      [0, 1],
    ]);
  });

  it('reads a file from a path, answers readByIds from the parse and refuses to write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'csv-connector-'));
    try {
      const path = join(dir, 'hr.csv');
      await writeFile(path, [header, 'E1,alice,Alice,,,,Acme,,'].join('\n'));
      const connector = createCsvConnector({ path });
      expect(connector.capabilities).toMatchObject({ read: true, write: false, disableUser: false, deleteUser: false, realtimeEvents: false });
      const result = await connector.readByIds({ departmentIds: [csvDepartmentId(['Acme']), 'd-nope'], userIds: ['E1', 'E404'] });
      expect(result.users.map((u) => u.id)).toEqual(['E1']);
      expect(result.departments.map((d) => d.name)).toEqual(['Acme']);
      expect(result.missing).toEqual({ departmentIds: ['d-nope'], userIds: ['E404'] });
      await expect(connector.apply({ action: 'DisableUser', id: 'E1' })).rejects.toMatchObject({ kind: 'permanent', vendorCode: 'read_only' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('csv connector: refusing a bad export as a whole', () => {
  it.each([
    ['a missing required name', 'E1,alice,,,,,,,', { line: 2, column: 'name', reason: 'is required (empty cell)' }],
    ['a malformed email', 'E1,alice,Alice,alice@,,,,,', { line: 2, column: 'email', reason: 'malformed email' }],
    ['a malformed mobile', 'E1,alice,Alice,,12ab,,,,', { line: 2, column: 'mobile', reason: 'malformed mobile number' }],
    ['an unknown status', 'E1,alice,Alice,,,,,,maybe', { line: 2, column: 'status', reason: expect.stringMatching(/^unknown status; accepted: /) }],
    ['an empty department name', 'E1,alice,Alice,,,,Acme//Sales,,', { line: 2, column: 'department', reason: expect.stringContaining('empty name') }],
    ['an unknown manager', 'E1,alice,Alice,,,,,E404,', { line: 2, column: 'manager', reason: 'unknown manager (no row has that employee number)' }],
    ['a person managing themself', 'E1,alice,Alice,,,,,E1,', { line: 2, column: 'manager', reason: expect.stringContaining('own manager') }],
    ['a row with too many fields', 'E1,alice,Alice,,,,,,,extra', { line: 2, column: null, reason: 'has 10 fields, the header has 9' }],
  ])('reports %s with its line and column', async (_label, row, problem) => {
    const error = await readError({ content: [header, row].join('\n') });
    expect(error.problems).toEqual([expect.objectContaining(problem)]);
    expect(error).toBeInstanceOf(VendorError);
    expect(error.kind).toBe('permanent');
  });

  it('reports duplicates on the later line, naming the first', async () => {
    const content = [header, 'E1,alice,Alice,a@x.test,,,,,', 'E2,Alice,Alice Two,b@x.test,,,,,', 'E1,carol,Carol,A@x.test,,,,,'].join('\n');
    const error = await readError({ content });
    expect(error.problems).toEqual([
      { line: 3, column: 'username', header: 'username', reason: 'duplicate username (also on line 2)' },
      { line: 4, column: 'employeeNumber', header: 'employee_number', reason: 'duplicate employeeNumber (also on line 2)' },
      { line: 4, column: 'email', header: 'email', reason: 'duplicate email (also on line 2)' },
    ]);
  });

  it('reports every member of a manager cycle', async () => {
    const content = [header, 'E1,alice,Alice,,,,,E3,', 'E2,bob,Bob,,,,,E1,', 'E3,carol,Carol,,,,,E2,', 'E4,dave,Dave,,,,,E1,'].join('\n');
    const error = await readError({ content });
    expect(error.problems.map((p) => [p.line, p.column])).toEqual([
      [2, 'manager'],
      [3, 'manager'],
      [4, 'manager'],
    ]);
    expect(error.problems[0].reason).toBe('manager cycle through lines 2 → 4 → 3 → 2');
  });

  it('names the configured header, and a missing header, on line 1', async () => {
    const error = await readError({ content: 'username,name\nalice,Alice', columns: { email: 'Mail' } });
    expect(error.problems).toEqual([{ line: 1, column: 'email', header: 'Mail', reason: 'header "Mail" not found in line 1' }]);
    const withHeader = await readError({ content: 'username,name,Mail\nalice,Alice,nope', columns: { email: 'Mail' } });
    expect(withHeader.message).toContain('line 2, column email (header "Mail"): malformed email');
  });

  it('returns nothing when any row is bad, and lists a capped number of problems', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `E${i},u${i},User ${i},${i % 2 === 0 ? 'bad' : `u${i}@x.test`},,,,,`);
    const connector = createCsvConnector({ content: [header, ...rows].join('\n') });
    const pages: DirectoryPage[] = [];
    const error = await (async () => {
      for await (const page of connector.readSnapshot()) pages.push(page);
    })().catch((e: unknown) => e);
    expect(pages).toEqual([]);
    expect(error).toBeInstanceOf(CsvFileError);
    const problems = (error as CsvFileError).problems;
    expect(problems).toHaveLength(15);
    expect((error as CsvFileError).message).toContain('line 2, column email: malformed email');
    expect((error as CsvFileError).message).toContain('15 problem(s) on 15 line(s)');
    await expect(connector.readByIds({ departmentIds: [], userIds: ['E1'] })).rejects.toBeInstanceOf(CsvFileError);
  });

  it('says how many problems are not listed', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `E${i},u${i},,,,,,,`);
    const error = await readError({ content: [header, ...rows].join('\n') });
    expect(error.problems).toHaveLength(25);
    expect(error.message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(20);
    expect(error.message).toContain('… and 5 more');
  });

  it('does not call a manager unknown when the manager’s own row is the bad one', async () => {
    const error = await readError({ content: [header, 'E1,alice,,,,,,,', 'E2,bob,Bob,,,,,E1,'].join('\n') });
    expect(error.problems).toEqual([expect.objectContaining({ line: 2, column: 'name' })]);
  });

  it('rejects invalid UTF-8 naming the line, an unclosed quote, and an empty file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'csv-connector-'));
    try {
      const path = join(dir, 'gbk.csv');
      await writeFile(path, Buffer.concat([Buffer.from(`${header}\nE1,alice,`), Buffer.from([0xd5, 0xc5]), Buffer.from(',,,,,,\n')]));
      const error = await readError({ path });
      expect(error.message).toContain('not valid UTF-8 (first invalid byte on line 2)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect((await readError({ content: `${header}\nE1,alice,"Alice,,,,,,` })).message).toContain('quoted field opened on line 2 is never closed');
    expect((await readError({ content: '\n\n' })).message).toContain('the file is empty');
  });

  it('refuses a stray quote in an unquoted cell as a whole, and reads a semicolon export', async () => {
    const error = await readError({ content: `${header}\nE1,alice,Al"ice,,,,,,` });
    expect(error.problems).toEqual([expect.objectContaining({ line: 2, column: null, reason: expect.stringContaining('a quote inside an unquoted field on line 2') })]);
    const { users } = await readAll({ content: 'username;name\r\nalice;"Smith; Alice"\r\n', delimiter: ';' });
    expect(users).toMatchObject([{ username: 'alice', name: 'Smith; Alice' }]);
  });

  it('refuses bad settings naming the field', () => {
    expect(() => createCsvConnector({ content: 'x', columns: { nickname: 'nick' } })).toThrow(/settings\.columns\.nickname: unknown column/);
    expect(() => createCsvConnector({ path: '/a.csv', content: 'x' } as CsvSettingsInput)).toThrow(/settings\.path: give exactly one of path or content/);
    expect(() => createCsvConnector({ content: 'x', encoding: 'gbk' } as unknown as CsvSettingsInput)).toThrow(/settings\.encoding/);
  });
});

describe('csv connector: a large export', () => {
  it('parses 100k rows correctly', async () => {
    const n = 100_000;
    const lines = [header];
    for (let i = 0; i < n; i++) {
      const manager = i === 0 ? '' : `E${Math.floor((i - 1) / 10)}`;
      lines.push(`E${i},user${i},"User, ${i}",user${i}@acme.test,,Engineer,Acme/Division ${i % 10}/Team ${i % 100},${manager},${i % 7 === 0 ? '离职' : 'active'}`);
    }
    const { departments, users } = await readAll({ content: lines.join('\n') });
    expect(users).toHaveLength(n);
    expect(departments).toHaveLength(1 + 10 + 100);
    expect(users[n - 1]).toMatchObject({ id: `E${n - 1}`, name: `User, ${n - 1}`, managerId: `E${Math.floor((n - 2) / 10)}`, status: 'active' });
    expect(users.filter((u) => u.status === 'disabled')).toHaveLength(Math.ceil(n / 7));
  });
});
