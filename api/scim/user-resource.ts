// A hub user as a SCIM User (core + EnterpriseUser) and back. The hub's own fields are the truth:
// userName, displayName, the primary email and phone, title, active, employeeNumber, manager and the
// department. The other SCIM attributes a client sends (name parts, addresses, …) are kept in the
// user's attributes under `scim.<name>` so they come back as sent; downstream apps never compare them.
import { createHash } from 'node:crypto';
import type { User } from '../../engine/model';
import { optionalMobile } from '../../db/repos/hub-fields';
import type { UserInput } from '../../db/repos/hub-users';
import { ScimError } from './errors';

export const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const enterpriseSchema = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const groupSchema = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** Core attributes kept as sent (the hub has no column for them). */
export const keptCoreAttributes = ['name', 'nickName', 'profileUrl', 'userType', 'preferredLanguage', 'locale', 'timezone', 'emails', 'phoneNumbers', 'addresses', 'externalId'] as const;
/** Enterprise attributes kept as sent; employeeNumber, department and manager are hub fields. */
export const keptEnterpriseAttributes = ['costCenter', 'organization', 'division'] as const;
const scimKey = (name: string) => `scim.${name}`;
export const externalIdKey = scimKey('externalId');
/** set by a DELETE under offboarding "disable": the person stays (disabled) in the hub, SCIM answers 404 */
export const deletedKey = scimKey('deleted');

type Json = Record<string, unknown>;
interface MultiValue {
  value?: unknown;
  type?: unknown;
  primary?: unknown;
  [key: string]: unknown;
}

export interface UserRowMeta {
  createdAt: Date;
  updatedAt: Date;
}

/** Entra sends booleans as "True"/"False". */
export function booleanOf(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new ScimError(400, `${field} must be a boolean`, 'invalidValue');
}

function multiValues(value: unknown, field: string): MultiValue[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null)) throw new ScimError(400, `${field} must be a list of objects`, 'invalidValue');
  return value.map((v: MultiValue) => (v.primary === undefined ? v : { ...v, primary: booleanOf(v.primary, `${field}.primary`) }));
}

function primaryOf(values: MultiValue[] | undefined): string | null {
  const chosen = values?.find((v) => v.primary === true) ?? values?.[0];
  return typeof chosen?.value === 'string' && chosen.value.trim() ? chosen.value : null;
}

/** The phone as the hub stores it (E.164), or null for one it cannot dial. */
function dialable(value: unknown): string | null {
  try {
    return optionalMobile(typeof value === 'string' ? value : null);
  } catch {
    return null; // SCIM phone numbers are free text ("tel:…"); the hub keeps only what it can dial
  }
}

const sameEmail = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
const samePhone = (a: unknown, b: string) => dialable(a) === b;

/** The stored list with the hub's value as its primary one (an admin may have changed it in the hub). */
function withPrimary(stored: unknown, hubValue: string | null, type: string, same: (sent: unknown, hub: string) => boolean): MultiValue[] | undefined {
  const list = Array.isArray(stored) ? (stored as MultiValue[]) : undefined;
  if (hubValue === null) return list?.length ? list : undefined;
  if (list?.some((v) => same(v.value, hubValue))) return list;
  if (list?.length && list.some((v) => v.primary === true)) return list.map((v) => (v.primary === true ? { ...v, value: hubValue } : v));
  return [{ value: hubValue, type, primary: true }, ...(list ?? [])];
}

export function etagOf(resource: Json): string {
  const { meta: _meta, ...content } = resource;
  return `W/"${createHash('sha256').update(JSON.stringify(content)).digest('base64url').slice(0, 22)}"`;
}

export function toScimUser(user: User, meta: UserRowMeta, context: { baseUrl: string; departmentName?: string }): Json {
  const kept = (name: string) => user.attributes[scimKey(name)];
  const enterprise: Json = {};
  if (user.employeeNumber) enterprise.employeeNumber = user.employeeNumber;
  const department = kept('department') ?? context.departmentName;
  if (typeof department === 'string') enterprise.department = department;
  if (user.managerId) enterprise.manager = { value: user.managerId, $ref: `${context.baseUrl}/Users/${user.managerId}` };
  for (const name of keptEnterpriseAttributes) if (kept(name) !== undefined) enterprise[name] = kept(name);
  const resource: Json = {
    schemas: Object.keys(enterprise).length ? [userSchema, enterpriseSchema] : [userSchema],
    id: user.id,
    ...(kept('externalId') !== undefined ? { externalId: kept('externalId') } : {}),
    userName: user.username,
    displayName: user.name,
  };
  for (const name of keptCoreAttributes) if (name !== 'externalId' && kept(name) !== undefined) resource[name] = kept(name);
  const emails = withPrimary(kept('emails'), user.email, 'work', sameEmail);
  if (emails) resource.emails = emails;
  const phones = withPrimary(kept('phoneNumbers'), user.mobile, 'mobile', samePhone);
  if (phones) resource.phoneNumbers = phones;
  if (user.title) resource.title = user.title;
  // The hub always has a name and a status; a client that sent neither (or removed one) gets none back.
  if (kept('displayNameAbsent') === true) delete resource.displayName;
  if (kept('activeAbsent') !== true || user.status !== 'active') resource.active = user.status === 'active';
  if (Object.keys(enterprise).length) resource[enterpriseSchema] = enterprise;
  resource.meta = {
    resourceType: 'User',
    created: meta.createdAt.toISOString(),
    lastModified: meta.updatedAt.toISOString(),
    location: `${context.baseUrl}/Users/${user.id}`,
    version: etagOf(resource),
  };
  return resource;
}

function text(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ScimError(400, `${field} must be a string`, 'invalidValue');
  return value.trim() || null;
}

/** What a SCIM User body says, in hub terms; `department` is the EnterpriseUser string, resolved by the caller. */
export interface ScimUserInput {
  input: Omit<UserInput, 'departmentIds' | 'mainDepartmentId' | 'status'>;
  active: boolean;
  department: string | null;
}

/** Reads a SCIM User (a POST/PUT body, or the resource after a PATCH); `previous` keeps the hub-only attributes. */
export function fromScimUser(body: unknown, previous?: User): ScimUserInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ScimError(400, 'the body must be a SCIM User object', 'invalidSyntax');
  const resource = body as Json;
  // Attribute names are case-insensitive (RFC 7643 §2.1): read through lower-cased keys.
  const lower = (object: Json) => Object.fromEntries(Object.entries(object).map(([k, v]) => [k.toLowerCase(), v]));
  const core = lower(resource);
  const enterpriseRaw = core[enterpriseSchema.toLowerCase()];
  const enterprise = typeof enterpriseRaw === 'object' && enterpriseRaw !== null ? lower(enterpriseRaw as Json) : {};
  const userName = text(core.username, 'userName');
  if (!userName) throw new ScimError(400, 'userName is required', 'invalidValue');
  const name = typeof core.name === 'object' && core.name !== null ? lower(core.name as Json) : {};
  const displayName = text(core.displayname, 'displayName') ?? text(name.formatted, 'name.formatted') ?? ([text(name.givenname, 'name.givenName'), text(name.familyname, 'name.familyName')].filter(Boolean).join(' ') || userName);
  const emails = multiValues(core.emails, 'emails');
  const phones = multiValues(core.phonenumbers, 'phoneNumbers');
  const managerRaw = enterprise.manager;
  const manager = typeof managerRaw === 'string' ? managerRaw : typeof managerRaw === 'object' && managerRaw !== null ? (lower(managerRaw as Json).value as unknown) : undefined;

  const attributes: Json = Object.fromEntries(Object.entries(previous?.attributes ?? {}).filter(([key]) => !key.startsWith('scim.')));
  const keep = (key: string, value: unknown) => {
    if (value !== undefined && value !== null) attributes[scimKey(key)] = value;
  };
  for (const attr of keptCoreAttributes) keep(attr, attr === 'emails' ? emails : attr === 'phoneNumbers' ? phones : core[attr.toLowerCase()]);
  for (const attr of keptEnterpriseAttributes) keep(attr, enterprise[attr.toLowerCase()]);
  const department = text(enterprise.department, 'department');
  keep('department', department);
  if (text(core.displayname, 'displayName') === null) keep('displayNameAbsent', true);
  if (core.active === undefined || core.active === null) keep('activeAbsent', true);
  if (core.externalid !== undefined && core.externalid !== null && typeof core.externalid !== 'string') throw new ScimError(400, 'externalId must be a string', 'invalidValue');

  const mobile = dialable(primaryOf(phones));
  return {
    input: {
      username: userName,
      name: displayName,
      email: primaryOf(emails),
      mobile,
      employeeNumber: text(enterprise.employeenumber, 'employeeNumber'),
      title: text(core.title, 'title'),
      managerId: manager === undefined || manager === null || manager === '' ? null : String(manager),
      attributes,
    },
    active: booleanOf(core.active, 'active') ?? true,
    department,
  };
}
