// SCIM 2.0 resources ↔ the canonical model (RFC 7643 §4 and the enterprise extension §4.3).
import type { Department, User } from '../../engine/model';
import type { ScimResource } from './client';
import type { ScimProfile } from './profiles';

export const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const groupSchema = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const enterpriseSchema = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export interface ScimMultiValue {
  value?: string;
  type?: string;
  primary?: boolean;
  display?: string;
}

export interface ScimUser extends ScimResource {
  userName?: string;
  externalId?: string;
  displayName?: string;
  name?: { formatted?: string; givenName?: string; familyName?: string };
  emails?: ScimMultiValue[];
  phoneNumbers?: ScimMultiValue[];
  title?: string;
  active?: boolean | string;
  [enterpriseSchema]?: { employeeNumber?: string; department?: string; manager?: { value?: string } };
}

export interface ScimGroup extends ScimResource {
  displayName?: string;
  externalId?: string;
  members?: ScimMultiValue[];
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

function pick(values: ScimMultiValue[] | undefined, type?: string): string | null {
  const list = Array.isArray(values) ? values.filter((v) => text(v?.value)) : [];
  const found = list.find((v) => v.primary === true && (!type || v.type === type)) ?? list.find((v) => !type || v.type === type) ?? (type ? undefined : list[0]);
  return found ? (found.value as string) : null;
}

/** Entra and some apps send active as the string "False". */
export const isActive = (active: unknown) => !(active === false || (typeof active === 'string' && active.toLowerCase() === 'false'));

/** A SCIM user as canonical, given the groups it is a member of (SCIM ids). */
export function toCanonicalUser(u: ScimUser, groups: readonly { id: string; name: string }[]): User {
  const enterprise = u[enterpriseSchema] ?? {};
  const username = u.userName ?? u.id;
  const mainName = text(enterprise.department);
  const main = groups.find((g) => g.name === mainName) ?? (groups.length === 1 ? groups[0] : undefined);
  return {
    id: u.id,
    username,
    name: text(u.displayName) ?? text(u.name?.formatted) ?? username,
    email: pick(u.emails),
    mobile: pick(u.phoneNumbers, 'mobile'),
    employeeNumber: text(enterprise.employeeNumber),
    title: text(u.title),
    departmentIds: groups.map((g) => g.id),
    mainDepartmentId: main?.id ?? null,
    managerId: text(enterprise.manager?.value),
    status: isActive(u.active) ? 'active' : 'disabled',
    attributes: {},
  };
}

/** SCIM groups are flat (RFC 7643 §4.2 has no parent and no order): the name is all a department keeps. */
export function toCanonicalDepartment(g: ScimGroup): Department {
  return { id: g.id, name: g.displayName ?? g.id, parentId: null, order: 0, leaderIds: [] };
}

export type UserChanges = Partial<Omit<User, 'id' | 'departmentIds' | 'mainDepartmentId' | 'attributes'>> & { mainDepartmentName?: string | null };

/** The core and enterprise attributes a change sets, each as (path, value); null means remove. */
export function userAttributes(changes: UserChanges, profile: ScimProfile): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  if (changes.username !== undefined) out.push(['userName', changes.username], ['externalId', changes.username]);
  if (changes.name !== undefined) out.push(['displayName', changes.name], ['name', { formatted: changes.name }]);
  if (changes.email !== undefined) out.push(['emails', changes.email ? [{ value: changes.email, type: 'work', ...(profile.primaryEmail ? { primary: true } : {}) }] : null]);
  if (changes.mobile !== undefined) out.push(['phoneNumbers', changes.mobile ? [{ value: changes.mobile, type: 'mobile' }] : null]);
  if (changes.title !== undefined) out.push(['title', changes.title || null]);
  if (changes.status !== undefined) out.push(['active', changes.status !== 'disabled']);
  if (changes.employeeNumber !== undefined) out.push([`${enterpriseSchema}:employeeNumber`, changes.employeeNumber || null]);
  if (changes.mainDepartmentName !== undefined) out.push([`${enterpriseSchema}:department`, changes.mainDepartmentName || null]);
  if (changes.managerId !== undefined) out.push([`${enterpriseSchema}:manager`, changes.managerId ? { value: changes.managerId } : null]);
  return out;
}

/** A whole resource from (path, value) pairs: for POST and PUT. */
export function userResource(attributes: Array<[string, unknown]>, base: Partial<ScimUser> = {}): ScimUser {
  const resource: Record<string, unknown> = { ...base };
  const enterprise: Record<string, unknown> = { ...((base[enterpriseSchema] as Record<string, unknown> | undefined) ?? {}) };
  for (const [path, value] of attributes) {
    if (path.startsWith(`${enterpriseSchema}:`)) {
      const key = path.slice(enterpriseSchema.length + 1);
      if (value === null) delete enterprise[key];
      else enterprise[key] = value;
    } else if (value === null) delete resource[path];
    else resource[path] = value;
  }
  delete resource.meta;
  delete resource.groups;
  const hasEnterprise = Object.keys(enterprise).length > 0;
  if (hasEnterprise) resource[enterpriseSchema] = enterprise;
  else delete resource[enterpriseSchema];
  resource.schemas = hasEnterprise ? [userSchema, enterpriseSchema] : [userSchema];
  return resource as ScimUser;
}
