// The task author's JSONata turns each vendor record into a canonical user or department. The
// expressions are untrusted: checked on save with the field-mapping rules (engine/sandbox/rules.ts)
// and evaluated in the expression sandbox (engine/sandbox/pool.ts) under its time and memory
// budgets, never on this thread. What comes out is validated against the canonical model; a record
// that does not map fails the read naming the record's position and the field, never its content
// (a partial read would look like leavers to the plan).
import { z } from 'zod';
import { canonicalMobile, chinaCountryCode } from '../../engine/mobile';
import { Department, User } from '../../engine/model';
import { sharedExpressionSandbox, type ExpressionSandbox } from '../../engine/sandbox/pool';
import { expressionProblem } from '../../engine/sandbox/rules';
import { VendorError } from '../errors';

/** Vendors often give ids as numbers: they become strings; a single id where a list is wanted becomes a list. */
const idText = z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string().min(1));
const nullableId = z.preprocess((v) => (v === '' || v === undefined ? null : typeof v === 'number' ? String(v) : v), z.string().min(1).nullable());
const idList = z.preprocess((v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]), z.array(idText));
const optionalText = z.preprocess((v) => (v === '' || v === undefined ? null : typeof v === 'number' ? String(v) : v), z.string().nullable());

const MappedUser = z.object({
  id: idText,
  username: idText,
  name: z.string().min(1),
  email: optionalText,
  mobile: optionalText,
  employeeNumber: optionalText,
  title: optionalText,
  departmentIds: idList,
  mainDepartmentId: nullableId.optional(),
  managerId: nullableId.optional(),
  status: z.preprocess((v) => (v === undefined ? 'active' : v), z.enum(['active', 'disabled'])),
});

const MappedDepartment = z.object({
  id: idText,
  name: z.string().min(1),
  parentId: nullableId.optional(),
  order: z.preprocess((v) => (v === undefined || v === null ? 0 : typeof v === 'string' ? Number(v) : v), z.number().int()),
});

/** Why a mapping expression is refused on save, or null. */
export function mappingProblem(text: string | undefined): string | null {
  return text === undefined ? null : expressionProblem(text);
}

/** Records are counted from 1 across the whole read. */
function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.length > 0 ? issue.path.join('.') : 'the result'}: ${issue.message}`;
}

async function evaluate(sandbox: ExpressionSandbox, text: string, label: string, records: readonly unknown[], first: number): Promise<unknown[]> {
  const rows = await sandbox.evaluate([{ text, label }], records);
  return rows.map((row, index) => {
    if (!row.ok) {
      // Only where it failed and JSONata's code: an evaluation message may quote the record (a
      // person's data), and `$error()` lets a task author echo any of it into a connection test.
      const code = row.code && /^[A-Z]\d{4}$/.test(row.code) ? `JSONata ${row.code}` : row.code ? `sandbox ${row.code}` : 'no code';
      throw new VendorError('permanent', 'mapping_failed', `${label}: record ${first + index + 1}: the expression failed (${/budget/.test(row.message) ? `${row.message.replace(/^.*?(exceeded|ran past)/, '$1')}, ` : ''}${code})`);
    }
    return row.values[0];
  });
}

export async function mapUsers(records: readonly unknown[], expression: string, first = 0, sandbox: ExpressionSandbox = sharedExpressionSandbox()): Promise<User[]> {
  const label = 'connector.settings.userMapping';
  const values = await evaluate(sandbox, expression, label, records, first);
  return values.map((value, index) => {
    const parsed = MappedUser.safeParse(value);
    if (!parsed.success) throw new VendorError('permanent', 'mapping_failed', `${label}: record ${first + index + 1}: ${describeIssue(parsed.error)}`);
    const u = parsed.data;
    const user = {
      ...u,
      mobile: canonicalMobile(u.mobile, chinaCountryCode),
      mainDepartmentId: u.mainDepartmentId ?? u.departmentIds[0] ?? null,
      managerId: u.managerId ?? null,
      attributes: {},
    };
    const checked = User.safeParse(user);
    if (!checked.success) throw new VendorError('permanent', 'mapping_failed', `${label}: record ${first + index + 1}: ${describeIssue(checked.error)}`);
    return checked.data;
  });
}

export async function mapDepartments(records: readonly unknown[], expression: string, first = 0, sandbox: ExpressionSandbox = sharedExpressionSandbox()): Promise<Department[]> {
  const label = 'connector.settings.departmentMapping';
  const values = await evaluate(sandbox, expression, label, records, first);
  return values.map((value, index) => {
    const parsed = MappedDepartment.safeParse(value);
    const checked = parsed.success ? Department.safeParse({ ...parsed.data, parentId: parsed.data.parentId ?? null, leaderIds: [] }) : parsed;
    if (!checked.success) throw new VendorError('permanent', 'mapping_failed', `${label}: record ${first + index + 1}: ${describeIssue(checked.error)}`);
    return checked.data as Department;
  });
}
