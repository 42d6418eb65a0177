// The LDAP / Active Directory connector: the OU tree under departmentsDn is the department tree, a
// user's OU is their department, ids are entryUUID / objectGUID. Writes: OUs added, renamed and moved
// with modifyDN (the server moves the whole subtree), users added under their OU, frozen with a
// ppolicy lock (OpenLDAP) or userAccountControl bit 2 (AD).
import { AndFilter, Attribute, Change, FilterParser, OrFilter, type Filter } from 'ldapts';
import type { Department, DirectoryPage, User } from '../../engine/model';
import { VendorError, invalidInput } from '../errors';
import type { ApplyResult, Connector, ConnectorCapabilities, ConnectorOperation, ReadByIdsResult } from '../types';
import { createChangeReader } from './changes';
import { LdapClient, ldapResult, type Entry } from './client';
import { isUnder, leafValue, normalizeDn, parentDn, rdn } from './dn';
import { DnIndex } from './dn-index';
import { departmentAttributes, surnameOf, toCanonicalDepartment, toCanonicalUser, userAttributes, userFieldValues } from './mapping';
import { first, idCodec, normalAccount, permanentLock, profileOf, withAccountDisabled, type LdapProfileName } from './profile';

export interface LdapSettings {
  /** ldap://host:389 or ldaps://host:636 */
  url: string;
  /** upgrade an ldap:// connection with StartTLS before binding */
  startTls?: boolean;
  /** PEM of the CA of the server's certificate */
  caCertificate?: string;
  profile?: LdapProfileName;
  bindDn: string;
  /** the directory's base: lookups by id and DN search under it */
  baseDn: string;
  /** the root of the department tree: its OUs are the top-level departments (default baseDn) */
  departmentsDn?: string;
  /** where users are read, and created when they have no department (default departmentsDn) */
  usersDn?: string;
  /** which entries under usersDn are users (default per profile) */
  userFilter?: string;
  /** the stable id attribute (default entryUUID; AD objectGUID) */
  idAttribute?: string;
  /** the RDN of a user entry: cn (the name, default) or uid (OpenLDAP only) */
  userRdnAttribute?: 'cn' | 'uid';
  /** AD: the suffix of userPrincipalName (default the baseDn's dc parts, e.g. acme.test) */
  upnSuffix?: string;
  /** paged-results page size (default 500; AD's MaxPageSize is 1,000) */
  pageSize?: number;
  timeoutMs?: number;
}

export interface LdapSecrets {
  bindPassword: string;
}

export const ldapCapabilities: ConnectorCapabilities = {
  read: true,
  write: true,
  disableUser: true,
  deleteUser: true,
  deleteDepartment: true,
  manager: true,
  // An OU has no leader attribute and no order: neither is written or compared.
  departmentLeader: false,
  departmentOrder: false,
  realtimeEvents: false,
  // modifyTimestamp / uSNChanged stand in for the events LDAP never pushes (./changes.ts).
  incrementalReads: true,
};

const lookupChunk = 50;

export function createLdapConnector(settings: LdapSettings, secrets: LdapSecrets): Connector & { client: LdapClient; close(): Promise<void> } {
  const profile = profileOf(settings.profile);
  const ids = idCodec(settings.idAttribute ?? profile.defaultIdAttribute);
  const baseDn = settings.baseDn;
  const departmentsDn = settings.departmentsDn ?? baseDn;
  const usersDn = settings.usersDn ?? departmentsDn;
  const userFilter = settings.userFilter ?? profile.defaultUserFilter;
  const pageSize = settings.pageSize ?? 500;
  const rdnAttribute = settings.userRdnAttribute ?? 'cn';
  if (rdnAttribute === 'uid' && profile.name === 'active-directory') throw invalidInput('userRdnAttribute', 'Active Directory names users by cn');
  const upnSuffix = settings.upnSuffix ?? upnSuffixOf(baseDn);
  const client = new LdapClient({ url: settings.url, startTls: settings.startTls, caCertificate: settings.caCertificate, bindDn: settings.bindDn, bindPassword: secrets?.bindPassword, timeoutMs: settings.timeoutMs });
  const index = new DnIndex();
  const departmentFilter = '(objectClass=organizationalUnit)';
  const buffers = ids.binary ? [ids.attribute] : [];
  const readAttributes = (attrs: string[]) => [ids.attribute, ...attrs];

  const idOrThrow = (entry: Entry): string => {
    const id = ids.read(entry);
    if (!id) throw new VendorError('permanent', 'no_id', `${entry.dn} has no ${ids.attribute}`);
    return id;
  };

  /** DNs → ids (under baseDn), many per search; unknown DNs stay unresolved. */
  async function resolveDns(dns: string[]): Promise<void> {
    const unknown = [...new Set(dns.filter((dn) => index.idOf(dn) === undefined))];
    for (let i = 0; i < unknown.length; i += lookupChunk) {
      const chunk = unknown.slice(i, i + lookupChunk);
      const filter = `(|${chunk.map((dn) => `(${profile.dnAttribute}=${escapeFilterValue(dn)})`).join('')})`;
      for (const entry of await client.search(baseDn, { scope: 'sub', filter, attributes: [ids.attribute], explicitBufferAttributes: buffers })) {
        const id = ids.read(entry);
        if (id) index.set(id, entry.dn);
      }
    }
  }

  /** The entries with these ids, many per search. */
  async function entriesByIds(base: string, list: string[], classFilter: string, attributes: string[]): Promise<Entry[]> {
    const found: Entry[] = [];
    const filters = list.map((id) => ids.filter(id)).filter((f): f is Filter => f !== null);
    for (let i = 0; i < filters.length; i += lookupChunk) {
      const filter = new AndFilter({ filters: [FilterParser.parseString(classFilter), new OrFilter({ filters: filters.slice(i, i + lookupChunk) })] });
      found.push(...(await client.search(base, { scope: 'sub', filter, attributes: readAttributes(attributes), explicitBufferAttributes: buffers })));
    }
    for (const entry of found) index.set(idOrThrow(entry), entry.dn);
    return found;
  }

  async function dnOf(id: string, what: string): Promise<string> {
    const known = index.dnOf(id);
    if (known !== undefined) return known;
    const filter = ids.filter(id);
    const [entry] = filter ? await client.search(baseDn, { scope: 'sub', filter, attributes: ['1.1'] }) : [];
    if (!entry) throw new VendorError('permanent', String(ldapResult.noSuchObject), `${what} ${id}: no entry with ${ids.attribute} ${id} under ${baseDn}`);
    index.set(id, entry.dn);
    return entry.dn;
  }

  async function readBack(dn: string): Promise<string> {
    const [entry] = await client.search(dn, { scope: 'base', attributes: [ids.attribute], explicitBufferAttributes: buffers });
    const id = entry ? ids.read(entry) : undefined;
    if (!id) throw new VendorError('permanent', 'no_id', `${dn} was added but has no ${ids.attribute}`);
    index.set(id, dn);
    return id;
  }

  const departmentIdOfParent = (dn: string): string | null => {
    const parent = parentDn(dn);
    if (parent === null || normalizeDn(parent) === normalizeDn(departmentsDn)) return null;
    return isUnder(parent, departmentsDn) ? (index.idOf(parent) ?? null) : null;
  };

  function userOf(entry: Entry): User {
    const manager = first(entry.manager);
    return toCanonicalUser(profile, idOrThrow(entry), entry, departmentIdOfParent(entry.dn), manager ? (index.idOf(manager) ?? null) : null);
  }

  function departmentOf(entry: Entry): Department {
    return toCanonicalDepartment(idOrThrow(entry), entry.dn, entry, departmentIdOfParent(entry.dn));
  }

  async function readDepartmentEntries(): Promise<Entry[]> {
    const entries: Entry[] = [];
    for await (const page of client.searchPages(departmentsDn, { scope: 'sub', filter: departmentFilter, attributes: readAttributes(departmentAttributes), explicitBufferAttributes: buffers, pageSize })) {
      for (const entry of page) if (normalizeDn(entry.dn) !== normalizeDn(departmentsDn)) entries.push(entry);
    }
    for (const entry of entries) index.set(idOrThrow(entry), entry.dn);
    return entries;
  }

  // Users are read whole before the first page is yielded: a manager's DN resolves only once every
  // user's DN is known (a manager may come in a later page), and managers outside usersDn are looked up.
  async function* readSnapshot(): AsyncIterable<DirectoryPage> {
    const departmentEntries = await readDepartmentEntries();
    yield { departments: departmentEntries.map(departmentOf), users: [] };
    const entries: Entry[] = [];
    for await (const page of client.searchPages(usersDn, { scope: 'sub', filter: userFilter, attributes: readAttributes(userAttributes(profile)), explicitBufferAttributes: buffers, pageSize })) {
      for (const entry of page) {
        index.set(idOrThrow(entry), entry.dn);
        entries.push(entry);
      }
    }
    await resolveDns(entries.map((e) => first(e.manager)).filter((dn): dn is string => dn !== undefined));
    for (let i = 0; i < entries.length; i += pageSize) yield { departments: [], users: entries.slice(i, i + pageSize).map(userOf) };
  }

  async function readByIds(wanted: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult> {
    const departmentEntries = await entriesByIds(departmentsDn, wanted.departmentIds, departmentFilter, departmentAttributes);
    const userEntries = await entriesByIds(usersDn, wanted.userIds, userFilter, userAttributes(profile));
    await resolveDns([
      ...[...departmentEntries, ...userEntries].map((e) => parentDn(e.dn)).filter((dn): dn is string => dn !== null && isUnder(dn, departmentsDn)),
      ...userEntries.map((e) => first(e.manager)).filter((dn): dn is string => dn !== undefined),
    ]);
    const departments = departmentEntries.map(departmentOf);
    const users = userEntries.map(userOf);
    const foundDepartments = new Set(departments.map((d) => d.id));
    const foundUsers = new Set(users.map((u) => u.id));
    return {
      departments,
      users,
      missing: { departmentIds: wanted.departmentIds.filter((id) => !foundDepartments.has(id)), userIds: wanted.userIds.filter((id) => !foundUsers.has(id)) },
    };
  }

  const departmentParentDn = async (parentId: string | null | undefined) => (parentId ? dnOf(parentId, 'parent department') : departmentsDn);

  async function userParentDn(user: Partial<User>): Promise<string> {
    const department = user.mainDepartmentId ?? user.departmentIds?.[0] ?? null;
    return department ? dnOf(department, 'department') : usersDn;
  }

  /** Moves or renames an entry; every cached DN under it follows. Returns the new DN. */
  async function moveEntry(dn: string, newRdn: string, newParent: string): Promise<string> {
    const target = `${newRdn},${newParent}`;
    if (normalizeDn(target) === normalizeDn(dn)) return dn;
    if (isUnder(newParent, dn)) throw invalidInput('department.parentId', 'cannot move a department under itself');
    await client.modifyDn(dn, parentDn(dn) !== null && normalizeDn(parentDn(dn) as string) === normalizeDn(newParent) ? newRdn : target);
    index.moveSubtree(dn, target);
    return target;
  }

  function nameChanges(name: string): Change[] {
    const changes = [replace('displayName', [name]), replace('sn', [surnameOf(name)])];
    return rdnAttribute === 'cn' ? changes : [...changes, replace('cn', [name])];
  }

  async function createDepartment(department: Department): Promise<ApplyResult> {
    if (!department.name.trim()) throw invalidInput('department.name', 'name is required');
    const dn = `${rdn('ou', department.name)},${await departmentParentDn(department.parentId)}`;
    await client.add(dn, { objectClass: ['top', 'organizationalUnit'], ou: department.name });
    return { externalId: await readBack(dn) };
  }

  async function updateDepartment(id: string, changes: Partial<Omit<Department, 'id'>>): Promise<ApplyResult> {
    if (changes.name === undefined && changes.parentId === undefined) return {};
    if (changes.name !== undefined && !changes.name.trim()) throw invalidInput('department.name', 'name is required');
    const dn = await dnOf(id, 'department');
    const newParent = changes.parentId !== undefined ? await departmentParentDn(changes.parentId) : (parentDn(dn) as string);
    await moveEntry(dn, rdn('ou', changes.name ?? leafValue(dn)), newParent);
    return {};
  }

  async function createUser(user: User): Promise<ApplyResult> {
    if (!user.name.trim()) throw invalidInput('user.name', 'name is required');
    const values = userFieldValues(profile, user, upnSuffix);
    const attributes: Record<string, string | string[]> = { objectClass: profile.userObjectClasses, cn: user.name, sn: surnameOf(user.name) };
    for (const [attribute, value] of Object.entries(values)) if (value !== null) attributes[attribute] = value;
    if (user.managerId) attributes.manager = await dnOf(user.managerId, 'manager');
    if (profile.name === 'active-directory') attributes.userAccountControl = String(user.status === 'disabled' ? withAccountDisabled(normalAccount, true) : normalAccount);
    else if (user.status === 'disabled') attributes.pwdAccountLockedTime = permanentLock;
    const naming = rdnAttribute === 'uid' ? rdn('uid', user.username) : rdn('cn', user.name);
    const dn = `${naming},${await userParentDn(user)}`;
    await client.add(dn, attributes);
    return { externalId: await readBack(dn) };
  }

  async function updateUser(id: string, changes: Partial<Omit<User, 'id'>>): Promise<ApplyResult> {
    const dn = await dnOf(id, 'user');
    const modifications: Change[] = [];
    const { name, departmentIds, mainDepartmentId, managerId, status, ...fields } = changes;
    for (const [attribute, value] of Object.entries(userFieldValues(profile, { ...fields, ...(name !== undefined ? { name } : {}) }, upnSuffix))) {
      // The naming attribute changes with the RDN (modifyDN below): a modify of it is refused (notAllowedOnRDN).
      if (attribute === 'displayName' || attribute === rdnAttribute) continue;
      modifications.push(replace(attribute, value === null ? [] : [value]));
    }
    if (name !== undefined) modifications.push(...nameChanges(name));
    if (managerId !== undefined) modifications.push(replace('manager', managerId ? [await dnOf(managerId, 'manager')] : []));
    if (status !== undefined) modifications.push(...(await statusChanges(dn, status === 'disabled')));
    if (modifications.length > 0) await client.modify(dn, modifications);
    const renames = (name !== undefined && rdnAttribute === 'cn') || (fields.username !== undefined && rdnAttribute === 'uid');
    const moves = departmentIds !== undefined || mainDepartmentId !== undefined;
    if (renames || moves) {
      const newRdn = rdnAttribute === 'uid' ? rdn('uid', fields.username ?? leafValue(dn)) : rdn('cn', name ?? leafValue(dn));
      const newParent = moves ? await userParentDn({ departmentIds, mainDepartmentId }) : (parentDn(dn) as string);
      const moved = await moveEntry(dn, newRdn, newParent);
      if (moved !== dn) await followManagerReferences(dn, moved);
    }
    return {};
  }

  // OpenLDAP's refint overlay and AD's linked attributes rewrite manager DNs after a move themselves;
  // without refint the reports still name the old DN, so they are repointed here (one search when none do).
  async function followManagerReferences(from: string, to: string): Promise<void> {
    const stale = await client.search(baseDn, { scope: 'sub', filter: `(manager=${escapeFilterValue(from)})`, attributes: ['1.1'] });
    for (const report of stale) await client.modify(report.dn, [replace('manager', [to])]);
  }

  async function statusChanges(dn: string, disabled: boolean): Promise<Change[]> {
    if (profile.name !== 'active-directory') return [replace('pwdAccountLockedTime', disabled ? [permanentLock] : [])];
    // Only bit 2 changes: other flags (password never expires, smartcard required …) stay as they are.
    const [entry] = await client.search(dn, { scope: 'base', attributes: ['userAccountControl'] });
    const uac = Number(first(entry?.userAccountControl) ?? normalAccount);
    return [replace('userAccountControl', [String(withAccountDisabled(uac, disabled))])];
  }

  async function apply(op: ConnectorOperation): Promise<ApplyResult> {
    switch (op.action) {
      case 'CreateDepartment':
        return createDepartment(op.department);
      case 'UpdateDepartment':
        return updateDepartment(op.id, op.changes);
      case 'DeleteDepartment': {
        // The server refuses a non-empty OU (notAllowedOnNonLeaf): only empty ones go.
        const dn = await dnOf(op.id, 'department');
        await client.del(dn);
        index.forget(op.id);
        return {};
      }
      case 'CreateUser':
        return createUser(op.user);
      case 'UpdateUser':
        return updateUser(op.id, op.changes);
      case 'DisableUser':
      case 'EnableUser': {
        const dn = await dnOf(op.id, 'user');
        await client.modify(dn, await statusChanges(dn, op.action === 'DisableUser'));
        return {};
      }
      case 'DeleteUser': {
        await client.del(await dnOf(op.id, 'user'));
        index.forget(op.id);
        return {};
      }
      default: {
        const unknown: never = op;
        throw invalidInput('action', `unknown operation ${(unknown as { action: string }).action}`);
      }
    }
  }

  const changes = createChangeReader({
    client,
    change: profile.change,
    ids,
    pageSize,
    scopes: [
      { base: departmentsDn, classFilter: departmentFilter, excludeDn: departmentsDn },
      { base: usersDn, classFilter: userFilter },
    ],
    onEntry: (id, dn) => index.set(id, dn),
  });

  return {
    kind: 'ldap',
    capabilities: ldapCapabilities,
    readSnapshot,
    readByIds,
    changeWatermark: changes.changeWatermark,
    readChangesSince: changes.readChangesSince,
    apply,
    close: () => client.close(),
    client,
  };
}

/** replace with no values deletes the attribute, and is no error when it is absent (RFC 4511 §4.6). */
function replace(type: string, values: string[]): Change {
  return new Change({ operation: 'replace', modification: new Attribute({ type, values }) });
}

function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** DC=acme,DC=test → acme.test */
export function upnSuffixOf(baseDn: string): string {
  const parts = baseDn
    .split(',')
    .map((p) => p.trim())
    .filter((p) => /^dc=/i.test(p))
    .map((p) => p.slice(3));
  return parts.length > 0 ? parts.join('.') : 'example.invalid';
}
