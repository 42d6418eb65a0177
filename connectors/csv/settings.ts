// Settings of the HR-export connector: where the file is, which header holds which canonical field.
import { z } from 'zod';
import { invalidInput } from '../errors';

export const canonicalColumns = [
  'username',
  'name',
  'email',
  'mobile',
  'employeeNumber',
  'title',
  'department',
  'manager',
  'status',
] as const;
export type CanonicalColumn = (typeof canonicalColumns)[number];

/** Header names used when `columns` does not say otherwise. */
export const defaultColumnHeaders: Record<CanonicalColumn, string> = {
  username: 'username',
  name: 'name',
  email: 'email',
  mobile: 'mobile',
  employeeNumber: 'employee_number',
  title: 'title',
  department: 'department',
  manager: 'manager',
  status: 'status',
};

/** Status cells understood without configuration (compared trimmed and case-insensitively). */
export const defaultStatusValues = {
  active: ['active', '1', '在职'],
  disabled: ['disabled', '0', '离职'],
};

const attributeColumn = /^attributes\.[A-Za-z_][A-Za-z0-9_]*$/;

const ColumnsSchema = z.record(z.string(), z.string().trim().min(1, 'header name must not be empty')).superRefine((columns, ctx) => {
  for (const key of Object.keys(columns)) {
    if (!(canonicalColumns as readonly string[]).includes(key) && !attributeColumn.test(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `unknown column; use one of ${canonicalColumns.join(', ')} or attributes.<key>`,
      });
    }
  }
});

const separator = z.string().min(1).max(3);

export const CsvSettingsSchema = z
  .strictObject({
    path: z.string().min(1).optional(),
    /** the file's text itself, for tests and API uploads */
    content: z.string().optional(),
    /** canonical field (or attributes.<key>) → header name */
    columns: ColumnsSchema.default({}),
    delimiter: z.string().length(1).refine((d) => d !== '"' && d !== '\n' && d !== '\r', 'cannot be a quote or line break').default(','),
    departmentSeparator: separator.default('/'),
    /** between several department paths in one cell; the first is the main department */
    departmentListSeparator: separator.default(';'),
    /** what the manager column holds */
    managerKey: z.enum(['employeeNumber', 'username']).default('employeeNumber'),
    /** extra synonyms, added to defaultStatusValues */
    statusValues: z
      .strictObject({ active: z.array(z.string().trim().min(1)).default([]), disabled: z.array(z.string().trim().min(1)).default([]) })
      .default({ active: [], disabled: [] }),
    /** only UTF-8 is read; anything else must be converted by the exporter */
    encoding: z.literal('utf-8').default('utf-8'),
    pageSize: z.number().int().min(1).max(10_000).default(1000),
  })
  .superRefine((s, ctx) => {
    if ((s.path === undefined) === (s.content === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'give exactly one of path or content' });
    }
    if (s.departmentSeparator === s.departmentListSeparator) {
      ctx.addIssue({ code: 'custom', path: ['departmentListSeparator'], message: 'must differ from departmentSeparator' });
    }
    const active = new Set([...defaultStatusValues.active, ...s.statusValues.active].map(normalizeStatus));
    for (const value of [...defaultStatusValues.disabled, ...s.statusValues.disabled]) {
      if (active.has(normalizeStatus(value))) {
        ctx.addIssue({ code: 'custom', path: ['statusValues', 'disabled'], message: `"${value}" is also an active value` });
      }
    }
  });

export type CsvSettingsInput = z.input<typeof CsvSettingsSchema>;
export type CsvSettings = z.output<typeof CsvSettingsSchema>;

export function normalizeStatus(value: string): string {
  return value.trim().toLowerCase();
}

/** Parses settings; a bad one throws a permanent VendorError naming `settings.<field>`. */
export function parseCsvSettings(input: unknown): CsvSettings {
  const result = CsvSettingsSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const field = ['settings', ...issue.path.map(String), ...keys.slice(0, 1)].join('.');
  throw invalidInput(field, issue.message);
}
