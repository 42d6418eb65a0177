// DingTalk's input rules, checked before any call so a bad record fails with the field named.
import { invalidInput } from '../errors';

/** 1–64 characters; no whitespace or comma (dept_id_list and manager lists are comma-joined). */
export const useridPattern = /^[^\s,]{1,64}$/;

export function assertDepartmentId(id: unknown, field: string): number {
  const value = typeof id === 'string' && /^\d{1,15}$/.test(id) ? Number(id) : NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw invalidInput(field, `"${String(id)}" is not a DingTalk department id (a positive integer)`);
  return value;
}

export function isDepartmentId(id: string): boolean {
  return /^\d{1,15}$/.test(id) && Number(id) >= 1;
}

export function assertUserid(userid: unknown, field: string): string {
  if (typeof userid !== 'string' || userid === '') throw invalidInput(field, 'userid is required');
  if (!useridPattern.test(userid)) throw invalidInput(field, `userid "${userid.slice(0, 70)}" must be 1–64 characters without spaces or commas`);
  return userid;
}

export function assertDepartmentName(name: unknown, field: string): string {
  if (typeof name !== 'string' || name.trim() === '') throw invalidInput(field, 'department name is required');
  if ([...name].length > 64) throw invalidInput(field, `department name "${name.slice(0, 20)}…" is longer than 64 characters`);
  return name;
}

export function assertUserName(name: unknown, field: string): string {
  if (typeof name !== 'string' || name.trim() === '') throw invalidInput(field, 'name is required');
  if ([...name].length > 80) throw invalidInput(field, `name "${name.slice(0, 20)}…" is longer than 80 characters`);
  return name;
}
