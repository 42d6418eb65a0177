// Field-level normalisation and checks for hub input that need no database: trimming, formats, lengths.
import { defaultCountryCode, toE164 } from '../../engine/mobile';
import { userStatuses, type Department, type User, type UserStatus } from '../../engine/model';
import { randomUUID } from 'node:crypto';
import { ValidationError } from './errors';

// Deliberately loose: one @, no spaces, a dot in the domain. Downstream apps apply their own rules.
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const maxIdLength = 128;
/** departmentIds, leaderIds: more than this is a mistake, and each id is checked against the database */
export const maxIdListLength = 1000;

export function requiredText(field: string, value: unknown, max: number): string {
  if (typeof value !== 'string') throw new ValidationError(field, `${field} is required`);
  const trimmed = value.trim();
  if (!trimmed) throw new ValidationError(field, `${field} must not be empty`);
  if (trimmed.length > max) throw new ValidationError(field, `${field} must be at most ${max} characters`);
  return trimmed;
}

/** Trimmed text, with '' (and null/undefined) stored as null. */
export function optionalText(field: string, value: unknown, max: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new ValidationError(field, `${field} must be a string or null`);
  const trimmed = value.trim();
  if (!trimmed) return null;
  if (trimmed.length > max) throw new ValidationError(field, `${field} must be at most ${max} characters`);
  return trimmed;
}

export function optionalEmail(value: unknown): string | null {
  const email = optionalText('email', value, 254);
  if (email !== null && !emailPattern.test(email)) throw new ValidationError('email', `email "${email}" is not a valid address`);
  return email;
}

/** Stored as E.164: "+86 138…", "86-138…" and a national "138…" (default country) all become +86138…. */
export function optionalMobile(value: unknown, countryCode = defaultCountryCode()): string | null {
  const mobile = optionalText('mobile', value, 32);
  if (mobile === null) return null;
  const e164 = toE164(mobile, countryCode);
  if (e164 === null) {
    throw new ValidationError('mobile', `mobile must be a phone number with its country code (e.g. +86 13800000000) or a national number of +${countryCode}`);
  }
  return e164;
}

/** A list of ids: each non-empty, duplicates dropped (first occurrence wins). */
export function idList(field: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ValidationError(field, `${field} must be a list of ids`);
  if (value.length > maxIdListLength) throw new ValidationError(field, `${field} may hold at most ${maxIdListLength} ids`);
  const ids = value.map((id, i) => requiredText(`${field}.${i}`, id, maxIdLength));
  return [...new Set(ids)];
}

export function optionalId(field: string, value: unknown): string | null {
  return optionalText(field, value, maxIdLength);
}

/** The range of a Postgres `integer` column. */
export const int32 = { min: -2_147_483_648, max: 2_147_483_647 } as const;

export function integer(field: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ValidationError(field, `${field} must be an integer`);
  if (value < int32.min || value > int32.max) throw new ValidationError(field, `${field} must be between ${int32.min} and ${int32.max}`);
  return value;
}

export function userStatus(value: unknown): UserStatus {
  if (value === undefined || value === null) return 'active';
  if (!(userStatuses as readonly unknown[]).includes(value)) throw new ValidationError('status', `status must be one of ${userStatuses.join(', ')}`);
  return value as UserStatus;
}

/** Bounds on a user's free-form `attributes`: they travel in every plan, snapshot and export row. */
export const attributeLimits = { maxKeys: 64, maxKeyLength: 64, maxValueBytes: 4096, maxTotalBytes: 16_384 } as const;

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');

export function attributesObject(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ValidationError('attributes', 'attributes must be an object');
  const entries = Object.entries(value);
  const { maxKeys, maxKeyLength, maxValueBytes, maxTotalBytes } = attributeLimits;
  if (entries.length > maxKeys) throw new ValidationError('attributes', `attributes may have at most ${maxKeys} keys`);
  for (const [key, item] of entries) {
    if (!key.trim() || key.length > maxKeyLength) throw new ValidationError('attributes', `attributes: every key must be 1 to ${maxKeyLength} characters`);
    if (jsonBytes(item) > maxValueBytes) throw new ValidationError(`attributes.${key}`, `attributes.${key} must be at most ${maxValueBytes} bytes of JSON`);
  }
  if (jsonBytes(value) > maxTotalBytes) throw new ValidationError('attributes', `attributes must be at most ${maxTotalBytes} bytes of JSON`);
  return value as Record<string, unknown>;
}

/** A department with every field checked for shape (references are checked against the database later). */
export function normalizeDepartment(input: Record<string, unknown>, id: string): Department {
  return {
    id,
    name: requiredText('name', input.name, 64),
    parentId: optionalId('parentId', input.parentId),
    order: integer('order', input.order, 0),
    leaderIds: idList('leaderIds', input.leaderIds),
  };
}

export function normalizeUser(input: Record<string, unknown>, id: string): User {
  return {
    id,
    username: requiredText('username', input.username, 64),
    name: requiredText('name', input.name, 128),
    email: optionalEmail(input.email),
    mobile: optionalMobile(input.mobile),
    employeeNumber: optionalText('employeeNumber', input.employeeNumber, 64),
    title: optionalText('title', input.title, 128),
    departmentIds: idList('departmentIds', input.departmentIds),
    mainDepartmentId: optionalId('mainDepartmentId', input.mainDepartmentId),
    managerId: optionalId('managerId', input.managerId),
    status: userStatus(input.status),
    attributes: attributesObject(input.attributes),
  };
}

/** A caller-supplied id, or a fresh UUID. */
export function entityId(value: unknown): string {
  if (value === undefined || value === null || value === '') return randomUUID();
  return requiredText('id', value, maxIdLength);
}

/** The patch without keys whose value is undefined: undefined means "leave as is", null clears. */
export function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}
