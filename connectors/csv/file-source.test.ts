// A task author names the CSV file: only files under the import directory are read (symlinks
// resolved), and a bad file's error names lines and columns, never what the cells hold.
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VendorError } from '../errors';
import { createCsvConnector, type CsvSettingsInput } from './index';
import { importPathRefusal } from './import-dir';

let root: string;
let importDir: string;
let outsideDir: string;

const header = 'employee_number,username,name,email,mobile,title,department,manager,status';

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'csv-import-')));
  importDir = join(root, 'imports');
  outsideDir = join(root, 'elsewhere');
  await mkdir(importDir);
  await mkdir(outsideDir);
  await writeFile(join(importDir, 'hr.csv'), `${header}\nE1,alice,Alice,,,,Acme,,\n`);
  await writeFile(join(outsideDir, 'secret.csv'), `${header}\nE9,mallory,OUTSIDE-ROW-VALUE,,,,Acme,,\n`);
  await symlink('/etc/passwd', join(importDir, 'passwd-link.csv'));
  await symlink(join(outsideDir, 'secret.csv'), join(importDir, 'secret-link.csv'));
  await symlink(outsideDir, join(importDir, 'elsewhere-dir'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function readFailure(settings: CsvSettingsInput): Promise<VendorError> {
  try {
    for await (const page of createCsvConnector(settings, { importDir }).readSnapshot()) void page;
  } catch (error) {
    if (error instanceof VendorError) return error;
    throw error;
  }
  throw new Error('the read succeeded but should have failed');
}

async function usersOf(settings: CsvSettingsInput): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of createCsvConnector(settings, { importDir }).readSnapshot()) ids.push(...page.users.map((u) => u.id));
  return ids;
}

describe('csv file sources: only the import directory', () => {
  it('reads a file in it, by absolute or relative path', async () => {
    expect(await usersOf({ path: join(importDir, 'hr.csv') })).toEqual(['E1']);
    expect(await usersOf({ path: 'hr.csv' })).toEqual(['E1']);
  });

  it('refuses /etc/passwd even with a guessed header, and echoes none of its lines', async () => {
    const err = await readFailure({ path: '/etc/passwd', delimiter: ':', columns: { username: 'root', name: 'x' } });
    expect(err).toMatchObject({ kind: 'permanent', vendorCode: 'path_not_allowed' });
    expect(err.vendorMessage).toMatch(/^settings\.path: must be a file inside the import directory/);
    expect(err.message).not.toMatch(/daemon|nologin|\/bin\//);
    expect(importPathRefusal('/etc/passwd', importDir)).toMatch(/inside the import directory/);
    expect(importPathRefusal('../elsewhere/secret.csv', importDir)).toMatch(/inside the import directory/);
  });

  it('refuses symlinks (to a file or a directory) that lead out of it, at save and at read', async () => {
    for (const path of ['passwd-link.csv', 'secret-link.csv', 'elsewhere-dir/secret.csv', join(importDir, 'elsewhere-dir', 'secret.csv')]) {
      const err = await readFailure({ path });
      expect(err).toMatchObject({ vendorCode: 'path_not_allowed' });
      expect(err.message).not.toContain('OUTSIDE-ROW-VALUE');
      expect(importPathRefusal(path, importDir)).toMatch(/symlinks out of it are refused/);
    }
    // A file that does not exist yet, through a link that leads out, gets the same answer as one that does.
    expect(await readFailure({ path: 'elsewhere-dir/not-there.csv' })).toMatchObject({ vendorCode: 'path_not_allowed' });
    expect(importPathRefusal('elsewhere-dir/not-there.csv', importDir)).toMatch(/inside the import directory/);
  });

  it('accepts at save a file that will be placed in it later; refuses a directory at read', async () => {
    expect(importPathRefusal('later/hr.csv', importDir)).toBeUndefined();
    expect(await readFailure({ path: 'later/hr.csv' })).toMatchObject({ vendorCode: 'ENOENT' });
    expect(await readFailure({ path: 'elsewhere-dir' })).toMatchObject({ vendorCode: 'path_not_allowed' });
    await mkdir(join(importDir, 'sub'), { recursive: true });
    expect((await readFailure({ path: 'sub' })).message).toMatch(/not a regular file/);
  });
});

describe('csv errors: line and column, never the cell', () => {
  it('names where each problem is without repeating what the cells hold', async () => {
    const content = [
      header,
      'E1,alice,Alice,,,,Acme,,active',
      'E2,SECRET-DUP,Bob,,,,Acme,,active',
      'E3,secret-dup,Carol,,,,Acme,,active',
      'E4,dave,Dave,,,,Acme//SECRET-DEPT,,active',
      'E5,erin,Erin,,,,Acme,SECRET-MANAGER,active',
      'E6,frank,Frank,SECRET-MAIL,,,Acme,,SECRET-STATUS',
      'E1,grace,Grace,,,,Acme,,active',
    ].join('\n');
    const err = await readFailure({ content });
    const text = `${err.message}\n${err.vendorMessage}\n${JSON.stringify((err as VendorError & { problems?: unknown }).problems)}`;
    expect(text.toLowerCase()).not.toContain('secret');
    expect(err.message).toContain('line 4, column username');
    expect(err.message).toContain('line 5, column department');
    expect(err.message).toContain('line 6, column manager');
    expect(err.message).toContain('line 7, column email');
    expect(err.message).toContain('line 7, column status');
    expect(err.message).toContain('line 8, column employeeNumber');
  });

  it('a repeated header is told by its field position', async () => {
    const err = await readFailure({ content: `${header},SECRET-HEADER,secret-header\nE1,alice,Alice,,,,Acme,,active,,` });
    expect(err.message.toLowerCase()).not.toContain('secret');
    expect(err.message).toContain('line 1: field 11 repeats the header of field 10');
  });

  it('a manager cycle is told by line numbers', async () => {
    const content = [header, 'E1,SECRET-A,A,,,,Acme,E2,', 'E2,SECRET-B,B,,,,Acme,E1,'].join('\n');
    const err = await readFailure({ content });
    expect(err.message.toLowerCase()).not.toContain('secret');
    expect(err.message).toMatch(/line 2, column manager: manager cycle through lines 2 → 3 → 2/);
  });
});
