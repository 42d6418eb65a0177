// LDAP entries <-> canonical model. Ids are the entries' stable ids (entryUUID / objectGUID), so a
// rename or move (a new DN) is an update; DNs only ever travel inside this connector.
import { canonicalMobile, defaultCountryCode } from '../../engine/mobile';
import type { Department, User } from '../../engine/model';
import { invalidInput } from '../errors';
import { leafValue } from './dn';
import { first, isDisabled, type LdapProfile } from './profile';

/** What a read needs of each entry, besides the id attribute. */
export function userAttributes(profile: LdapProfile): string[] {
  const common = ['cn', 'sn', 'givenName', 'displayName', 'mail', 'mobile', 'title', 'manager', profile.usernameAttribute, profile.employeeNumberAttribute, ...profile.statusAttributes];
  return profile.name === 'active-directory' ? [...common, 'userPrincipalName'] : common;
}

export const departmentAttributes = ['ou'];

/** Resolves the DNs an entry names to canonical ids (null: outside the directory read). */
export interface DnResolver {
  department(parentDn: string): string | null;
  user(dn: string): string | null;
}

export function toCanonicalDepartment(id: string, dn: string, entry: Record<string, unknown>, parentId: string | null): Department {
  return { id, name: first(entry.ou) ?? leafValue(dn), parentId, order: 0, leaderIds: [] };
}

export function toCanonicalUser(profile: LdapProfile, id: string, entry: Record<string, unknown>, departmentId: string | null, managerId: string | null): User {
  const username = first(entry[profile.usernameAttribute]) ?? (profile.name === 'active-directory' ? first(entry.userPrincipalName)?.split('@')[0] : undefined) ?? id;
  // Values as stored: a name with a leading or trailing space is the name (trimming it would differ on every run).
  const text = (value: unknown) => {
    const v = first(value);
    return v?.trim() ? v : null;
  };
  return {
    id,
    username,
    name: text(entry.displayName) ?? text(entry.cn) ?? username,
    email: text(entry.mail),
    mobile: canonicalMobile(text(entry.mobile), defaultCountryCode()),
    employeeNumber: text(entry[profile.employeeNumberAttribute]),
    title: text(entry.title),
    departmentIds: departmentId ? [departmentId] : [],
    mainDepartmentId: departmentId,
    managerId,
    status: isDisabled(profile, entry) ? 'disabled' : 'active',
    attributes: {},
  };
}

/** sn is required by person: the last word of a Latin name ("Alice Wang" → Wang), else the whole name (张伟). */
export function surnameOf(name: string): string {
  const words = name.trim().split(/\s+/);
  return words.length > 1 ? words[words.length - 1] : name.trim();
}

/** AD: sAMAccountName is at most 20 characters, none of "/\[]:;|=,+*?<> (Microsoft's documented limits). */
export function assertSamAccountName(username: string): string {
  if (username.length > 20) throw invalidInput('user.username', `sAMAccountName allows at most 20 characters (${username.length} given)`);
  if (/["/\\[\]:;|=,+*?<>@]/.test(username)) throw invalidInput('user.username', 'sAMAccountName cannot hold any of "/\\[]:;|=,+*?<>@');
  return username;
}

/** The attribute values of a canonical user's fields, as an add writes them; null/empty fields are left out. */
export function userFieldValues(profile: LdapProfile, user: Partial<User>, upnSuffix: string): Record<string, string | null> {
  const values: Record<string, string | null> = {};
  const orNull = (v: string | null | undefined) => (v === undefined ? undefined : v === null || v === '' ? null : v);
  const set = (attribute: string, value: string | null | undefined) => {
    const v = orNull(value);
    if (v !== undefined) values[attribute] = v;
  };
  if (user.name !== undefined) {
    if (!user.name.trim()) throw invalidInput('user.name', 'name is required');
    values.displayName = user.name;
  }
  if (user.username !== undefined) {
    const username = profile.name === 'active-directory' ? assertSamAccountName(user.username) : user.username;
    values[profile.usernameAttribute] = username;
    if (profile.name === 'active-directory') values.userPrincipalName = `${username}@${upnSuffix}`;
  }
  set('mail', user.email);
  set('mobile', user.mobile);
  set('title', user.title);
  set(profile.employeeNumberAttribute, user.employeeNumber);
  return values;
}
