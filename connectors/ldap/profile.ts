// What differs between OpenLDAP and Active Directory: object classes, the attribute of each canonical
// field, the stable id (entryUUID / objectGUID), how an account is frozen, and the attribute a filter
// may name a DN by (entryDN / distinguishedName).
import { EqualityFilter, type Filter } from 'ldapts';

export const ldapProfiles = ['openldap', 'active-directory'] as const;
export type LdapProfileName = (typeof ldapProfiles)[number];

export interface LdapProfile {
  name: LdapProfileName;
  userObjectClasses: string[];
  defaultUserFilter: string;
  defaultIdAttribute: string;
  usernameAttribute: string;
  employeeNumberAttribute: string;
  /** the attribute a filter may match a DN with, to resolve many DNs in one search */
  dnAttribute: string;
  /** the attributes that say whether an account is frozen */
  statusAttributes: string[];
  /** what every write moves forward, for incremental reads (./changes.ts) */
  change: ChangeAttribute;
}

/** An attribute every add, modify and modrdn sets, and how its values order. */
export interface ChangeAttribute {
  name: string;
  /** the lowest value: the watermark of an empty directory */
  floor: string;
  /** a value as the server writes it (a stored watermark is checked against it before it goes into a filter) */
  pattern: RegExp;
  /** negative, zero or positive, as a is before, equal to or after b */
  compare(a: string, b: string): number;
}

/** GeneralizedTime as slapd writes it (UTC, seconds, optional fraction), compared as instants. */
const generalizedTime: Omit<ChangeAttribute, 'name'> = {
  floor: '19700101000000Z',
  pattern: /^\d{14}(?:\.\d{1,6})?Z$/,
  compare(a, b) {
    const key = (v: string) => v.slice(0, 14) + (v.slice(15, -1) || '').padEnd(6, '0');
    return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  },
};

/** AD's update sequence number: an integer per domain controller. */
const updateSequenceNumber: Omit<ChangeAttribute, 'name'> = {
  floor: '0',
  pattern: /^\d{1,20}$/,
  compare: (a, b) => {
    const [x, y] = [BigInt(a), BigInt(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  },
};

export const openldapProfile: LdapProfile = {
  name: 'openldap',
  userObjectClasses: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
  defaultUserFilter: '(objectClass=inetOrgPerson)',
  defaultIdAttribute: 'entryUUID',
  usernameAttribute: 'uid',
  employeeNumberAttribute: 'employeeNumber',
  dnAttribute: 'entryDN',
  statusAttributes: ['pwdAccountLockedTime'],
  // slapd sets it on add, modify and modrdn (a move or rename), in whole seconds.
  change: { name: 'modifyTimestamp', ...generalizedTime },
};

export const activeDirectoryProfile: LdapProfile = {
  name: 'active-directory',
  userObjectClasses: ['top', 'person', 'organizationalPerson', 'user'],
  // Computers are users too in AD; contacts are persons without the user class.
  defaultUserFilter: '(&(objectClass=user)(!(objectClass=computer)))',
  defaultIdAttribute: 'objectGUID',
  usernameAttribute: 'sAMAccountName',
  employeeNumberAttribute: 'employeeID',
  dnAttribute: 'distinguishedName',
  statusAttributes: ['userAccountControl'],
  // Per domain controller: a watermark read from one DC means nothing to another.
  change: { name: 'uSNChanged', ...updateSequenceNumber },
};

export const profileOf = (name: LdapProfileName | undefined): LdapProfile => (name === 'active-directory' ? activeDirectoryProfile : openldapProfile);

/** ppolicy's "locked by an administrator" value: a lock that never expires. */
export const permanentLock = '000001010000Z';

/** AD userAccountControl: ACCOUNTDISABLE is bit 0x2; a normal account is 512, disabled 514. */
export const accountDisable = 0x2;
export const normalAccount = 0x200;

export function isDisabled(profile: LdapProfile, entry: Record<string, unknown>): boolean {
  if (profile.name === 'active-directory') {
    const uac = Number(first(entry.userAccountControl) ?? normalAccount);
    return (uac & accountDisable) !== 0;
  }
  return first(entry.pwdAccountLockedTime) !== undefined;
}

export function withAccountDisabled(uac: number, disabled: boolean): number {
  return disabled ? uac | accountDisable : uac & ~accountDisable;
}

export function first(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === null) return undefined;
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

/** objectGUID is 16 bytes; AD writes it as a GUID whose first three groups are little-endian. */
export function guidToString(bytes: Buffer): string {
  if (bytes.length !== 16) throw new Error(`objectGUID of ${bytes.length} bytes`);
  const h = bytes.toString('hex');
  const le = (s: string) => s.match(/../g)!.reverse().join('');
  return `${le(h.slice(0, 8))}-${le(h.slice(8, 12))}-${le(h.slice(12, 16))}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function guidToBytes(guid: string): Buffer | null {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(guid);
  if (!m) return null;
  const le = (s: string) => s.match(/../g)!.reverse().join('');
  return Buffer.from(le(m[1]) + le(m[2]) + le(m[3]) + m[4] + m[5], 'hex');
}

/** The stable id an entry carries and how to filter for one. */
export interface IdCodec {
  attribute: string;
  binary: boolean;
  read(entry: Record<string, unknown>): string | undefined;
  /**
   * A filter matching this id, or null when the id cannot be one (a GUID that is not a GUID). A filter
   * object, not a string: ldapts's string parser re-encodes a \xx escape ≥ 0x80 as UTF-8, which breaks
   * a binary objectGUID.
   */
  filter(id: string): Filter | null;
}

export function idCodec(attribute: string): IdCodec {
  const binary = attribute.toLowerCase() === 'objectguid';
  return {
    attribute,
    binary,
    read(entry) {
      const raw = entry[attribute] ?? entry[Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase()) ?? ''];
      const value = Array.isArray(raw) ? raw[0] : raw;
      if (value === undefined || value === '') return undefined;
      if (binary) return Buffer.isBuffer(value) ? guidToString(value) : undefined;
      return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
    },
    filter(id) {
      if (!binary) return new EqualityFilter({ attribute, value: id });
      const bytes = guidToBytes(id);
      return bytes ? new EqualityFilter({ attribute, value: bytes }) : null;
    },
  };
}
