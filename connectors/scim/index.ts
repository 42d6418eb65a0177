// The SCIM 2.0 connector (downstream): hub users become SCIM Users with the enterprise extension,
// hub departments become (flat) SCIM Groups whose members are the users. What differs per app is
// data in ./profiles.ts.
import type { DirectoryPage, User } from '../../engine/model';
import type { RateLimiterFactory } from '../shared/rate-limiter';
import { VendorError, invalidInput } from '../errors';
import type { ApplyResult, Connector, ConnectorCapabilities, ConnectorOperation, ReadByIdsResult } from '../types';
import { ScimClient, filterValue, type ListResponse, type PatchOperation } from './client';
import { groupSchema, toCanonicalDepartment, toCanonicalUser, userAttributes, userResource, type ScimGroup, type ScimUser, type UserChanges } from './mapping';
import { scimProfiles, type ScimProfile, type ScimProfileName } from './profiles';

export interface ScimSettings {
  profile: ScimProfileName;
  /** the SCIM base, e.g. https://api.github.com/scim/v2/enterprises/acme */
  baseUrl: string;
  /** Zoom: the account the server-to-server OAuth app belongs to */
  accountId?: string;
  /** Zoom: the OAuth token endpoint (default https://zoom.us/oauth/token) */
  tokenUrl?: string;
  /** list page size (capped by the profile, e.g. Aliyun 100) */
  pageSize?: number;
  /** overrides the profile's tolerated rate: calls per window */
  rateLimit?: { limit: number; windowMs: number };
  /** false: every change is a PUT of the whole resource (servers without PATCH) */
  patch?: boolean;
  timeoutMs?: number;
}

export interface ScimSecrets {
  token?: string;
  clientId?: string;
  clientSecret?: string;
}

export const scimCapabilities: ConnectorCapabilities = {
  read: true,
  write: true,
  // PATCH active:false (RFC 7644 §3.5.2); what Okta and Entra do to deprovision.
  disableUser: true,
  deleteUser: true,
  deleteDepartment: true,
  // enterprise extension manager.value
  manager: true,
  departmentLeader: false,
  realtimeEvents: false,
  // SCIM Groups have neither a parent nor an order.
  departmentHierarchy: false,
  departmentOrder: false,
};

const missing = (err: unknown) => err instanceof VendorError && err.vendorCode.startsWith('404');
const conflict = (err: unknown) => err instanceof VendorError && err.vendorCode.startsWith('409');

export function resolveProfile(settings: Pick<ScimSettings, 'profile' | 'patch'>): ScimProfile {
  const base = scimProfiles[settings.profile];
  if (!base) throw invalidInput('profile', `unknown SCIM profile ${String(settings.profile)}`);
  return settings.patch === undefined ? base : { ...base, patch: settings.patch };
}

export function createScimClient(settings: ScimSettings, secrets: ScimSecrets, rateLimiters?: RateLimiterFactory): ScimClient {
  const profile = resolveProfile(settings);
  const oauth =
    profile.auth === 'oauth-client-credentials'
      ? { tokenUrl: settings.tokenUrl ?? profile.tokenUrl ?? '', accountId: settings.accountId ?? '', clientId: secrets?.clientId ?? '', clientSecret: secrets?.clientSecret ?? '' }
      : undefined;
  if (oauth && (!oauth.clientId || !oauth.clientSecret)) throw invalidInput('secrets', `the ${settings.profile} profile needs clientId and clientSecret`);
  if (oauth && !oauth.accountId) throw invalidInput('accountId', `the ${settings.profile} profile needs the account id`);
  if (!oauth && !secrets?.token) throw invalidInput('secrets.token', `the ${settings.profile} profile needs a bearer token`);
  return new ScimClient({ baseUrl: settings.baseUrl, profile, token: secrets?.token, oauth, rateLimit: settings.rateLimit, timeoutMs: settings.timeoutMs, rateLimiters });
}

export function createScimConnector(settings: ScimSettings, secrets: ScimSecrets, rateLimiters?: RateLimiterFactory): Connector {
  const profile = resolveProfile(settings);
  const client = createScimClient(settings, secrets, rateLimiters);
  const pageSize = Math.min(settings.pageSize ?? profile.maxPageSize, profile.maxPageSize);
  /** group id → displayName, from every group this connector has seen */
  const groupNames = new Map<string, string>();
  const canFilter = (attribute: string) => profile.filterAttributes.includes(attribute);

  async function allGroups(): Promise<ScimGroup[]> {
    const groups: ScimGroup[] = [];
    for await (const page of client.list<ScimGroup>('/Groups', {}, pageSize)) groups.push(...page);
    for (const g of groups) {
      groupNames.set(g.id, g.displayName ?? g.id);
      client.remember(`/Groups/${g.id}`, g);
    }
    return groups;
  }

  function membership(groups: readonly ScimGroup[]): Map<string, { id: string; name: string }[]> {
    const byUser = new Map<string, { id: string; name: string }[]>();
    for (const g of groups) {
      for (const m of g.members ?? []) {
        if (!m.value || (m.type && m.type !== 'User')) continue;
        const list = byUser.get(m.value) ?? [];
        list.push({ id: g.id, name: g.displayName ?? g.id });
        byUser.set(m.value, list);
      }
    }
    return byUser;
  }

  /** The groups a user is a member of: one filtered query where the app filters on members.value, else a scan. */
  async function groupsOf(userId: string): Promise<{ id: string; name: string }[]> {
    if (canFilter('members.value')) {
      const found: ScimGroup[] = [];
      for await (const page of client.list<ScimGroup>('/Groups', { filter: `members.value eq ${filterValue(userId)}`, attributes: 'id,displayName' }, pageSize)) found.push(...page);
      for (const g of found) groupNames.set(g.id, g.displayName ?? g.id);
      return found.map((g) => ({ id: g.id, name: g.displayName ?? g.id }));
    }
    return membership(await allGroups()).get(userId) ?? [];
  }

  async function groupName(id: string): Promise<string> {
    const known = groupNames.get(id);
    if (known !== undefined) return known;
    const group = await client.get<ScimGroup>(`/Groups/${encodeURIComponent(id)}`);
    groupNames.set(id, group.displayName ?? id);
    return group.displayName ?? id;
  }

  async function* readSnapshot(): AsyncIterable<DirectoryPage> {
    const groups = await allGroups();
    yield { departments: groups.map(toCanonicalDepartment), users: [] };
    const members = membership(groups);
    for await (const page of client.list<ScimUser>('/Users', {}, pageSize)) {
      for (const u of page) client.remember(`/Users/${u.id}`, u);
      yield { departments: [], users: page.map((u) => toCanonicalUser(u, members.get(u.id) ?? [])) };
    }
  }

  async function readByIds(ids: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult> {
    const result: ReadByIdsResult = { departments: [], users: [], missing: { departmentIds: [], userIds: [] } };
    for (const id of ids.departmentIds) {
      try {
        const group = await client.get<ScimGroup>(`/Groups/${encodeURIComponent(id)}`);
        client.remember(`/Groups/${id}`, group);
        result.departments.push(toCanonicalDepartment(group));
      } catch (err) {
        if (missing(err)) result.missing.departmentIds.push(id);
        else throw err;
      }
    }
    for (const id of ids.userIds) {
      try {
        const user = await client.get<ScimUser>(`/Users/${encodeURIComponent(id)}`);
        client.remember(`/Users/${id}`, user);
        result.users.push(toCanonicalUser(user, await groupsOf(id)));
      } catch (err) {
        // Atlassian answers 404 for a deactivated user too: it is gone as far as a read can tell.
        if (missing(err)) result.missing.userIds.push(id);
        else throw err;
      }
    }
    return result;
  }

  /** Correlation before create: userName, then externalId (which we set to the username); one query where `or` works. */
  async function findUser(username: string): Promise<ScimUser | undefined> {
    if (!profile.filterOr) return (await client.findOne<ScimUser>('/Users', 'userName', username)) ?? (await client.findOne<ScimUser>('/Users', 'externalId', username));
    const found = await client.findAnyOf<ScimUser>('/Users', [['userName', username], ['externalId', username]], 3);
    // userName is caseExact=false (RFC 7643); externalId is caseExact.
    const byUserName = found.filter((u) => typeof u.userName === 'string' && u.userName.toLowerCase() === username.toLowerCase());
    const byExternalId = found.filter((u) => u.externalId === username);
    // A server that ignored the filter answers other users: ask one condition at a time instead of creating a duplicate.
    if (found.some((u) => !byUserName.includes(u) && !byExternalId.includes(u))) {
      return (await client.findOne<ScimUser>('/Users', 'userName', username)) ?? (await client.findOne<ScimUser>('/Users', 'externalId', username));
    }
    const candidates = byUserName.length ? byUserName : byExternalId;
    if (candidates.length > 1) throw new VendorError('permanent', 'ambiguous', `${candidates.length} resources have ${byUserName.length ? 'userName' : 'externalId'} "${username}"`);
    return candidates[0];
  }

  async function findGroup(name: string): Promise<ScimGroup | undefined> {
    if (canFilter('displayName')) return client.findOne<ScimGroup>('/Groups', 'displayName', name);
    const same = (await allGroups()).filter((g) => g.displayName === name);
    if (same.length > 1) throw new VendorError('permanent', 'ambiguous', `${same.length} groups are named "${name}"`);
    return same[0];
  }

  /** Sets attributes on an existing user: PATCH replace/remove, or GET + PUT where the app has no PATCH. */
  async function writeUser(id: string, attributes: Array<[string, unknown]>): Promise<void> {
    if (attributes.length === 0) return;
    const path = `/Users/${encodeURIComponent(id)}`;
    if (profile.patch) {
      const operations: PatchOperation[] = attributes.map(([p, value]) => (value === null ? { op: 'remove', path: p } : { op: 'replace', path: p, value }));
      await client.patch(path, operations);
      return;
    }
    const current = await client.get<ScimUser>(path);
    client.remember(path, current);
    await client.put(path, userResource(attributes, current));
  }

  async function setMembership(userId: string, wished: readonly string[], current: readonly string[]): Promise<void> {
    for (const groupId of wished.filter((g) => !current.includes(g))) {
      await client.patch(`/Groups/${encodeURIComponent(groupId)}`, [{ op: 'add', path: 'members', value: [{ value: userId, type: 'User' }] }]);
    }
    for (const groupId of current.filter((g) => !wished.includes(g))) {
      await client.patch(`/Groups/${encodeURIComponent(groupId)}`, [{ op: 'remove', path: `members[value eq ${filterValue(userId)}]` }]);
    }
  }

  async function changesOf(user: Partial<Omit<User, 'id'>>): Promise<UserChanges> {
    const { departmentIds, mainDepartmentId, attributes: _attributes, ...rest } = user;
    const changes: UserChanges = { ...rest };
    // The enterprise department is the main department's name: what a reader of the app sees.
    if (mainDepartmentId !== undefined || departmentIds !== undefined) {
      const main = mainDepartmentId ?? departmentIds?.[0] ?? null;
      changes.mainDepartmentName = main ? await groupName(main) : null;
    }
    return changes;
  }

  async function createUser(user: User): Promise<ApplyResult> {
    if (!user.username) throw invalidInput('user.username', 'userName is required');
    if (!user.name) throw invalidInput('user.name', 'displayName is required');
    if (profile.primaryEmail && profile.createRoles && !user.email) throw invalidInput('user.email', 'this app needs an email to create a user');
    const attributes = userAttributes(await changesOf({ ...user, status: user.status ?? 'active' }), profile);
    let id: string;
    let adopted = await findUser(user.username);
    if (!adopted) {
      try {
        const body = userResource(attributes, profile.createRoles ? { roles: profile.createRoles } : {});
        const created = await client.post<ScimUser>('/Users', body);
        if (typeof created?.id !== 'string' || !created.id) throw new VendorError('permanent', 'invalid_response', 'POST /Users answered without id');
        id = created.id;
      } catch (err) {
        // 409 uniqueness: someone (or our own lost attempt) created it in between: adopt it.
        if (!conflict(err)) throw err;
        adopted = await findUser(user.username);
        if (!adopted) throw err;
      }
    }
    if (adopted) {
      id = adopted.id;
      client.remember(`/Users/${id}`, adopted);
      await writeUser(id, attributes.filter(([path]) => path !== 'userName'));
    }
    const current = adopted ? (await groupsOf(id!)).map((g) => g.id) : [];
    await setMembership(id!, user.departmentIds, current);
    return { externalId: id! };
  }

  async function updateUser(id: string, changes: Partial<Omit<User, 'id'>>): Promise<void> {
    await writeUser(id, userAttributes(await changesOf(changes), profile));
    if (changes.departmentIds !== undefined) {
      await setMembership(id, changes.departmentIds, (await groupsOf(id)).map((g) => g.id));
    }
  }

  async function apply(op: ConnectorOperation): Promise<ApplyResult> {
    switch (op.action) {
      case 'CreateDepartment': {
        const name = op.department.name;
        if (!name) throw invalidInput('department.name', 'displayName is required');
        const existing = await findGroup(name);
        if (existing) return { externalId: existing.id };
        try {
          const created = await client.post<ScimGroup>('/Groups', { schemas: [groupSchema], displayName: name, members: [] });
          groupNames.set(created.id, name);
          return { externalId: created.id };
        } catch (err) {
          const found = conflict(err) ? await findGroup(name) : undefined;
          if (found) return { externalId: found.id };
          throw err;
        }
      }
      case 'UpdateDepartment': {
        // Parent, order and leaders have no place in a SCIM Group (the capabilities say so).
        if (op.changes.name === undefined) return {};
        const path = `/Groups/${encodeURIComponent(op.id)}`;
        if (profile.patch) await client.patch(path, [{ op: 'replace', path: 'displayName', value: op.changes.name }]);
        else {
          const current = await client.get<ScimGroup>(path);
          client.remember(path, current);
          const { meta: _meta, ...rest } = current;
          await client.put(path, { ...rest, schemas: [groupSchema], displayName: op.changes.name });
        }
        groupNames.set(op.id, op.changes.name);
        return {};
      }
      case 'DeleteDepartment':
        await deleteIfPresent(`/Groups/${encodeURIComponent(op.id)}`);
        groupNames.delete(op.id);
        return {};
      case 'CreateUser':
        return createUser(op.user);
      case 'UpdateUser':
        await updateUser(op.id, op.changes);
        return {};
      case 'DisableUser':
        await writeUser(op.id, userAttributes({ status: 'disabled' }, profile));
        return {};
      case 'EnableUser':
        await writeUser(op.id, userAttributes({ status: 'active' }, profile));
        return {};
      case 'DeleteUser':
        // Atlassian: DELETE deactivates (the account stays, answering 404); elsewhere it erases.
        await deleteIfPresent(`/Users/${encodeURIComponent(op.id)}`);
        return {};
      default: {
        const unknown: never = op;
        throw invalidInput('action', `unknown operation ${(unknown as { action: string }).action}`);
      }
    }
  }

  async function deleteIfPresent(path: string): Promise<void> {
    try {
      await client.delete(path);
    } catch (err) {
      if (!missing(err)) throw err;
      client.forget(path);
    }
  }

  /** A lost create answer: one externalId (then userName) look-up finds what the earlier attempt made. */
  async function findCreatedUser(user: User): Promise<string | undefined> {
    return (await findUser(user.username))?.id;
  }

  return { kind: 'scim', capabilities: scimCapabilities, readSnapshot, readByIds, apply, findCreatedUser };
}

export type { ListResponse };
