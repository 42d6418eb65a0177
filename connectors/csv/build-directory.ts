// Cross-row rules (uniqueness, managers, cycles) and the canonical departments and users of one file.
import { createHash } from 'node:crypto';
import type { Department, DirectorySnapshot, User } from '../../engine/model';
import type { CsvProblem } from './errors';
import type { ColumnLayout, CsvRow, RejectedKeys } from './read-rows';
import type { CsvSettings } from './settings';

/** Derived from the names on the path (not the raw text), so the same tree gets the same ids on every read. */
export function csvDepartmentId(names: string[]): string {
  return 'd-' + createHash('sha256').update(names.join('\u001f')).digest('hex').slice(0, 20);
}

/**
 * The employee number when there is one, else the username: HR keeps an employee number for life
 * (a rehire or a renamed login keeps it), so links to this id survive file after file.
 */
export function csvUserId(row: Pick<CsvRow, 'employeeNumber' | 'username'>): string {
  return row.employeeNumber ?? row.username;
}

interface Uniqueness {
  column: 'username' | 'employeeNumber' | 'email' | 'mobile';
  key: (row: CsvRow) => string | null;
}

const uniqueColumns: Uniqueness[] = [
  { column: 'username', key: (r) => r.username.toLowerCase() },
  { column: 'employeeNumber', key: (r) => r.employeeNumber },
  { column: 'email', key: (r) => r.email?.toLowerCase() ?? null },
  { column: 'mobile', key: (r) => r.mobile?.replace(/[ -]/g, '') ?? null },
];

export function buildDirectory(
  rows: CsvRow[],
  layout: ColumnLayout,
  settings: CsvSettings,
  rejected: RejectedKeys = { usernames: new Set(), employeeNumbers: new Set() },
): { snapshot: DirectorySnapshot; problems: CsvProblem[] } {
  const problems: CsvProblem[] = [];
  const report = (row: CsvRow, column: string, reason: string) =>
    problems.push({ line: row.line, column, header: layout.get(column)?.header ?? null, reason });

  for (const { column, key } of uniqueColumns) {
    const firstLine = new Map<string, number>();
    for (const row of rows) {
      const k = key(row);
      if (k === null) continue;
      const seen = firstLine.get(k);
      if (seen === undefined) firstLine.set(k, row.line);
      else report(row, column, `duplicate ${column} (also on line ${seen})`);
    }
  }

  // One row's employee number may equal another row's username: both would claim the same id.
  const byId = new Map<string, CsvRow>();
  for (const row of rows) {
    const id = csvUserId(row);
    const other = byId.get(id);
    if (other === undefined) byId.set(id, row);
    else if (other.username.toLowerCase() !== row.username.toLowerCase() && other.employeeNumber !== row.employeeNumber) {
      report(row, row.employeeNumber === null ? 'username' : 'employeeNumber', `the user id this row gives is also the id of line ${other.line}`);
    }
  }

  const managerOf = resolveManagers(rows, settings, rejected, report);
  reportManagerCycles(rows, managerOf, report);

  const departments = new Map<string, Department>();
  const leafIdByPath = new Map<string, string>();
  const users: User[] = [];
  for (const row of rows) {
    const departmentIds = row.departmentPaths.map((names) => {
      // Most people share a handful of paths: hash each path once, not once per person.
      const key = names.join('\u001f');
      let id = leafIdByPath.get(key);
      if (id === undefined) leafIdByPath.set(key, (id = addDepartmentPath(departments, names)));
      return id;
    });
    users.push({
      id: csvUserId(row),
      username: row.username,
      name: row.name,
      email: row.email,
      mobile: row.mobile,
      employeeNumber: row.employeeNumber,
      title: row.title,
      departmentIds,
      mainDepartmentId: departmentIds[0] ?? null,
      managerId: managerOf.has(row) ? csvUserId(managerOf.get(row)!) : null,
      status: row.status,
      attributes: row.attributes,
    });
  }
  return { snapshot: { departments: [...departments.values()], users }, problems };
}

/** Adds the path and its ancestors (parents first, so the list is already top-down); returns the leaf id. */
function addDepartmentPath(departments: Map<string, Department>, names: string[]): string {
  let parentId: string | null = null;
  for (let depth = 1; depth <= names.length; depth++) {
    const id = csvDepartmentId(names.slice(0, depth));
    if (!departments.has(id)) departments.set(id, { id, name: names[depth - 1], parentId, order: 0, leaderIds: [] });
    parentId = id;
  }
  return parentId!;
}

type Report = (row: CsvRow, column: string, reason: string) => void;

function resolveManagers(rows: CsvRow[], settings: CsvSettings, rejected: RejectedKeys, report: Report): Map<CsvRow, CsvRow> {
  const byKey = new Map<string, CsvRow>();
  const keyOf = (r: CsvRow) => (settings.managerKey === 'username' ? r.username.toLowerCase() : r.employeeNumber);
  for (const row of rows) {
    const k = keyOf(row);
    if (k !== null && !byKey.has(k)) byKey.set(k, row);
  }
  const keyName = settings.managerKey === 'username' ? 'username' : 'employee number';
  const managerOf = new Map<CsvRow, CsvRow>();
  for (const row of rows) {
    if (row.manager === null) continue;
    const key = settings.managerKey === 'username' ? row.manager.toLowerCase() : row.manager;
    const manager = byKey.get(key);
    // A manager whose own row is bad is already reported there; "unknown" would mislead.
    const rejectedKeys = settings.managerKey === 'username' ? rejected.usernames : rejected.employeeNumbers;
    if (manager === undefined && rejectedKeys.has(key)) continue;
    if (manager === undefined) report(row, 'manager', `unknown manager (no row has that ${keyName})`);
    else if (manager === row) report(row, 'manager', 'manager cycle: the person is their own manager');
    else managerOf.set(row, manager);
  }
  return managerOf;
}

function reportManagerCycles(rows: CsvRow[], managerOf: Map<CsvRow, CsvRow>, report: Report): void {
  // Each row is walked once: the walk number that first reached it tells a cycle from a known chain.
  const reachedBy = new Map<CsvRow, number>();
  rows.forEach((start, walk) => {
    const chain: CsvRow[] = [];
    let current: CsvRow | undefined = start;
    while (current !== undefined && !reachedBy.has(current)) {
      reachedBy.set(current, walk);
      chain.push(current);
      current = managerOf.get(current);
    }
    if (current !== undefined && reachedBy.get(current) === walk) {
      const cycle = chain.slice(chain.indexOf(current));
      const lines = [...cycle, current].map((r) => r.line).join(' → ');
      for (const row of cycle) report(row, 'manager', `manager cycle through lines ${lines}`);
    }
  });
}
