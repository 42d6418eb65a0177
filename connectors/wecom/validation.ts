// WeCom's own input rules, checked before any call: a bad department name or userid is the
// failure users report most, and it deserves an error naming the field rather than a vendor code.
import { invalidInput } from '../errors';

export const departmentNameForbidden = /[\\:*?"<>|]/;
export const useridPattern = /^[0-9A-Za-z_\-@.]{1,64}$/;
export const rootDepartmentId = 1;

export function assertDepartmentName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.trim() === '') throw invalidInput(field, 'department name is required');
  if ([...name].length > 64) throw invalidInput(field, `department name "${name.slice(0, 20)}…" is longer than 64 characters`);
  const bad = departmentNameForbidden.exec(name);
  if (bad) throw invalidInput(field, `department name "${name}" contains "${bad[0]}"; WeCom refuses any of \\ : * ? " < > |`);
  return name;
}

export function assertUserid(userid: unknown, field = 'userid'): string {
  if (typeof userid !== 'string' || userid === '') throw invalidInput(field, 'userid is required');
  if (!useridPattern.test(userid)) {
    throw invalidInput(field, `userid "${userid.slice(0, 70)}" must be 1–64 characters of letters, digits, _ - @ .`);
  }
  return userid;
}

/** WeCom department ids are unsigned 32-bit integers. */
export function assertDepartmentId(id: unknown, field = 'departmentId'): number {
  const value = typeof id === 'string' && /^\d{1,10}$/.test(id) ? Number(id) : NaN;
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff) throw invalidInput(field, `"${String(id)}" is not a WeCom department id (a positive integer)`);
  return value;
}

export function isNumericDepartmentId(id: string): boolean {
  return /^\d{1,10}$/.test(id) && Number(id) >= 1 && Number(id) <= 0xffffffff;
}
