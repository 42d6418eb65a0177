// Header mapping and per-row validation (zod): every cell problem is reported with its line and
// column, never with the cell's value (errors reach every reader of a run, and logs).
import { z } from 'zod';
import type { CsvProblem } from './errors';
import type { CsvRecord } from './parse-csv';
import { canonicalColumns, defaultColumnHeaders, defaultStatusValues, normalizeStatus, type CanonicalColumn, type CsvSettings } from './settings';

export interface CsvRow {
  line: number;
  username: string;
  name: string;
  email: string | null;
  mobile: string | null;
  employeeNumber: string | null;
  title: string | null;
  /** each path is its department names from the top down; the first path is the main department */
  departmentPaths: string[][];
  /** the manager's employee number or username, per settings.managerKey */
  manager: string | null;
  status: 'active' | 'disabled';
  attributes: Record<string, string>;
}

/** Where each column lives in this file: canonical or attributes.<key> → header text and index. */
export type ColumnLayout = Map<string, { header: string; index: number }>;

const requiredColumns: ReadonlySet<string> = new Set<CanonicalColumn>(['username', 'name']);

/** Resolves configured and default headers against line 1 (trimmed, case-insensitive). */
export function resolveColumns(header: CsvRecord, settings: CsvSettings): { layout: ColumnLayout; problems: CsvProblem[] } {
  const problems: CsvProblem[] = [];
  const byName = new Map<string, number>();
  header.fields.forEach((raw, index) => {
    const name = raw.trim().toLowerCase();
    if (name === '') return;
    // The header text is the file's: told by position, so a file not meant for import is not echoed.
    if (byName.has(name)) problems.push({ line: header.line, column: null, header: null, reason: `field ${index + 1} repeats the header of field ${byName.get(name)! + 1}` });
    else byName.set(name, index);
  });

  const wanted = new Map<string, string>(Object.entries(defaultColumnHeaders));
  for (const [column, headerName] of Object.entries(settings.columns)) wanted.set(column, headerName);

  const layout: ColumnLayout = new Map();
  for (const [column, headerName] of wanted) {
    const index = byName.get(headerName.trim().toLowerCase());
    if (index !== undefined) {
      layout.set(column, { header: header.fields[index].trim(), index });
    } else if (requiredColumns.has(column) || column in settings.columns) {
      // A column someone configured must exist: silently reading nulls would blank the hub.
      problems.push({ line: header.line, column, header: headerName, reason: `header "${headerName}" not found in line ${header.line}` });
    }
  }
  return { layout, problems };
}

const mobilePattern = /^\+?\d[\d -]{3,22}\d$/;

function rowSchema(settings: CsvSettings) {
  const active = new Set([...defaultStatusValues.active, ...settings.statusValues.active].map(normalizeStatus));
  const disabled = new Set([...defaultStatusValues.disabled, ...settings.statusValues.disabled].map(normalizeStatus));
  const accepted = [...active, ...disabled].map((v) => `"${v}"`).join(', ');
  const text = (max: number) => z.string().max(max, `longer than ${max} characters`);
  const required = (max: number) => z.string({ error: 'is required (empty cell)' }).max(max, `longer than ${max} characters`);

  return z.object({
    username: required(64).regex(/^\S+$/, 'must not contain spaces'),
    name: required(128),
    email: z.email({ error: 'malformed email' }).optional(),
    mobile: z.string().regex(mobilePattern, 'malformed mobile number').optional(),
    employeeNumber: text(64).optional(),
    title: text(128).optional(),
    department: z
      .string()
      .optional()
      .transform((cell, ctx) => {
        if (cell === undefined) return [];
        const paths: string[][] = [];
        for (const pathText of cell.split(settings.departmentListSeparator)) {
          if (pathText.trim() === '') continue;
          const names = pathText.split(settings.departmentSeparator).map((n) => n.trim());
          const bad = names.find((n) => n === '' || n.length > 64);
          if (bad !== undefined) {
            ctx.addIssue({ code: 'custom', message: `a department path has ${bad === '' ? 'an empty name' : 'a name longer than 64 characters'}` });
            return z.NEVER;
          }
          if (!paths.some((p) => p.join('\u0000') === names.join('\u0000'))) paths.push(names);
        }
        return paths;
      }),
    manager: z.string().optional(),
    status: z
      .string()
      .optional()
      .transform((cell, ctx) => {
        if (cell === undefined) return 'active' as const;
        const value = normalizeStatus(cell);
        if (active.has(value)) return 'active' as const;
        if (disabled.has(value)) return 'disabled' as const;
        ctx.addIssue({ code: 'custom', message: `unknown status; accepted: ${accepted}` });
        return z.NEVER;
      }),
  });
}

/** Validates every data row; returns all rows or, when any is bad, every problem found. */
/** Keys of rows that failed validation, so a reference to them is not also reported as unknown. */
export interface RejectedKeys {
  usernames: Set<string>;
  employeeNumbers: Set<string>;
}

export function validateRows(
  records: CsvRecord[],
  layout: ColumnLayout,
  headerWidth: number,
  settings: CsvSettings,
): { rows: CsvRow[]; problems: CsvProblem[]; rejected: RejectedKeys } {
  const schema = rowSchema(settings);
  const canonical = canonicalColumns.filter((c) => layout.has(c));
  const attributeColumns = [...layout.keys()].filter((c) => c.startsWith('attributes.'));
  const rows: CsvRow[] = [];
  const problems: CsvProblem[] = [];
  const rejected: RejectedKeys = { usernames: new Set(), employeeNumbers: new Set() };
  const cellOf = (record: CsvRecord, column: string) => {
    const at = layout.get(column);
    return at === undefined ? undefined : record.fields[at.index]?.trim();
  };
  const reject = (record: CsvRecord) => {
    const username = cellOf(record, 'username');
    const employeeNumber = cellOf(record, 'employeeNumber');
    if (username) rejected.usernames.add(username.toLowerCase());
    if (employeeNumber) rejected.employeeNumbers.add(employeeNumber);
  };

  for (const record of records) {
    if (record.fields.length !== headerWidth) {
      reject(record);
      problems.push({ line: record.line, column: null, header: null, reason: `has ${record.fields.length} fields, the header has ${headerWidth}` });
      continue;
    }
    const cells: Record<string, string> = {};
    for (const column of canonical) {
      const value = record.fields[layout.get(column)!.index].trim();
      if (value !== '') cells[column] = value;
    }
    const parsed = schema.safeParse(cells);
    if (!parsed.success) {
      reject(record);
      for (const issue of parsed.error.issues) {
        const column = String(issue.path[0]);
        problems.push({ line: record.line, column, header: layout.get(column)?.header ?? null, reason: issue.message });
      }
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const column of attributeColumns) {
      const value = record.fields[layout.get(column)!.index].trim();
      if (value !== '') attributes[column.slice('attributes.'.length)] = value;
    }
    const r = parsed.data;
    rows.push({
      line: record.line,
      username: r.username,
      name: r.name,
      email: r.email ?? null,
      mobile: r.mobile ?? null,
      employeeNumber: r.employeeNumber ?? null,
      title: r.title ?? null,
      departmentPaths: r.department,
      manager: r.manager ?? null,
      status: r.status,
      attributes,
    });
  }
  return { rows, problems, rejected };
}
