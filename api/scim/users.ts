// SCIM Users on the hub: what a push task sees (the people it owns and those no source owns; not
// another source's, nor those it deleted) and its writes through the hub repositories.
import { and, asc, eq, inArray, isNull, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { ConflictError } from '../../db/repos/errors';
import type { HubDirectory } from '../../db/repos/hub-directory';
import type { UserRow } from '../../db/repos/hub-users';
import { adoptHubUsers } from '../../db/repos/hub-ownership';
import { preparedPerHandle } from '../../db/repos/prepared';
import { toUser } from '../../db/repos/hub-rows';
import { hubDepartments, hubUsers } from '../../db/schema';
import type { User } from '../../engine/model';
import { ScimError } from './errors';
import type { PushTask } from './push-task';
import { deletedKey, externalIdKey, fromScimUser, toScimUser, type ScimUserInput } from './user-resource';

type Json = Record<string, unknown>;

export interface ScimUsersContext {
  db: Db;
  hub: HubDirectory;
  push: PushTask;
  baseUrl: string;
}

function visible(taskId: string | Placeholder<'task'>): SQL {
  return and(or(eq(hubUsers.sourceTaskId, taskId), isNull(hubUsers.sourceTaskId)), sql`(${hubUsers.attributes} ->> ${deletedKey}) is null`)!;
}

/** Stable order for paging: case-folded userName, then id. */
const stableOrder = [sql`lower(${hubUsers.username})`, asc(hubUsers.id)];

/** `filter=userName eq "…"`, what every IdP asks before a create: prepared once (db/repos/prepared.ts). */
const visibleByUserName = preparedPerHandle((db) =>
  db
    .select()
    .from(hubUsers)
    .where(and(visible(sql.placeholder('task')), sql`lower(${hubUsers.username}) = ${sql.placeholder('name')}`))
    .orderBy(...stableOrder)
    .prepare('scim_visible_user_by_name'),
);

export function scimUsers(context: ScimUsersContext) {
  const { db, hub, push, baseUrl } = context;
  const taskId = push.task.id;
  /** department names this request has read (placement and rendering share them) */
  const names = new Map<string, string>();

  /** Names of these departments, read through `via` (a write's transaction); `fresh` reads even those already known. */
  async function departmentNames(ids: (string | null)[], via: Db = db, fresh = false): Promise<Map<string, string>> {
    const wanted = [...new Set(ids.filter((id): id is string => id !== null && (fresh || !names.has(id))))];
    if (wanted.length) {
      const rows = await via.select({ id: hubDepartments.id, name: hubDepartments.name }).from(hubDepartments).where(inArray(hubDepartments.id, wanted));
      for (const row of rows) names.set(row.id, row.name);
    }
    return names;
  }

  const resourceOf = (user: User, meta: Pick<UserRow, 'createdAt' | 'updatedAt'>) =>
    toScimUser(user, meta, { baseUrl, departmentName: user.mainDepartmentId ? names.get(user.mainDepartmentId) : undefined });

  async function render(rows: UserRow[]): Promise<Json[]> {
    await departmentNames(rows.map((r) => r.mainDepartmentId));
    return rows.map((row) => resourceOf(toUser(row), row));
  }

  async function findRow(id: string, via: Db = db): Promise<UserRow | undefined> {
    const [row] = await via.select().from(hubUsers).where(and(eq(hubUsers.id, id), visible(taskId)));
    return row;
  }

  async function rowOrThrow(id: string): Promise<UserRow> {
    const row = await findRow(id);
    if (!row) throw new ScimError(404, `User ${id} not found`);
    return row;
  }

  /** The EnterpriseUser department: the one hub department of that name joins the person to it. */
  async function placement(department: string | null, before: User | undefined, via: Db): Promise<Pick<User, 'departmentIds' | 'mainDepartmentId'>> {
    const kept = { departmentIds: before?.departmentIds ?? [], mainDepartmentId: before?.mainDepartmentId ?? null };
    if (!department) return kept;
    const matches = await via.select({ id: hubDepartments.id }).from(hubDepartments).where(eq(hubDepartments.name, department)).limit(2);
    if (matches.length !== 1) return kept;
    const id = matches[0].id;
    names.set(id, department);
    return { departmentIds: kept.departmentIds.includes(id) ? kept.departmentIds : [...kept.departmentIds, id], mainDepartmentId: id };
  }

  async function checkManager(managerId: string | null | undefined, before: User | undefined, via: Db): Promise<void> {
    if (!managerId || managerId === before?.managerId) return;
    if (!(await findRow(managerId, via))) throw new ScimError(400, `manager ${managerId} is no User here`, 'invalidValue');
  }

  /** `via`: inside a write, its transaction (never a second connection while it holds one). */
  async function mapped(from: ScimUserInput, before?: User, via: Db = db): Promise<User> {
    await checkManager(from.input.managerId, before, via);
    const place = await placement(from.department, before, via);
    const user: User = {
      id: before?.id ?? '',
      username: from.input.username,
      name: from.input.name,
      email: from.input.email ?? null,
      mobile: from.input.mobile ?? null,
      employeeNumber: from.input.employeeNumber ?? null,
      title: from.input.title ?? null,
      managerId: from.input.managerId ?? null,
      ...place,
      status: from.active ? 'active' : 'disabled',
      attributes: from.input.attributes ?? {},
    };
    return push.map(user);
  }

  /** The task's own earlier user of this userName whom a DELETE took out of SCIM: a new POST brings them back. */
  async function deletedNamesake(userName: string): Promise<UserRow | undefined> {
    const [row] = await db
      .select()
      .from(hubUsers)
      .where(and(sql`lower(${hubUsers.username}) = ${userName.toLowerCase()}`, eq(hubUsers.sourceTaskId, taskId), sql`(${hubUsers.attributes} ->> ${deletedKey}) is not null`));
    return row;
  }

  const epochMeta = { createdAt: new Date(0), updatedAt: new Date(0) }; // a version covers the content, not meta

  /** The stored user as a resource, read inside the write (`tx`): the department's name as it is now (a rename changes the version). */
  async function lockedResource(stored: User, tx: Db): Promise<Json> {
    await departmentNames([stored.mainDepartmentId], tx, true);
    return resourceOf(stored, epochMeta);
  }

  /**
   * Every SCIM write's check, inside the write on the row-locked user (of concurrent writers with one
   * version, one wins): the person is still this task's to see (a DELETE may have taken them out of
   * SCIM meanwhile; not for the POST that brings them back) and, with If-Match, still at that version.
   */
  const versionCheck =
    (ifMatch: string | undefined, { reviving = false } = {}) =>
    async (stored: User, tx: Db, row: UserRow): Promise<void> => {
      const theirs = row.sourceTaskId !== null && row.sourceTaskId !== taskId;
      if (theirs || (!reviving && stored.attributes[deletedKey] !== undefined)) throw new ScimError(404, `User ${stored.id} not found`);
      if (ifMatch !== undefined) assertVersion(await lockedResource(stored, tx), ifMatch);
    };

  /**
   * PUT and PATCH as one hub write: `wanted` turns the person as locked in the write (as a resource)
   * into the resource the client wants, so concurrent changes of different attributes all land;
   * active:false is an offboarding, audited as one.
   */
  async function writeResource(id: string, wanted: (current: Json) => unknown, ifMatch: string | undefined): Promise<Json> {
    const written = await hub.updateUserRow(
      id,
      async (before, tx) => {
        const resource = wanted(await lockedResource(before, tx));
        const given = (resource as Json)?.id;
        if (given !== undefined && given !== id) throw new ScimError(400, 'id is readOnly: it cannot change', 'mutability');
        const { id: _id, ...fields } = await mapped(fromScimUser(resource, before), before, tx);
        return fields;
      },
      push.actor,
      { precondition: versionCheck(ifMatch), offboarding: true, guard: push.guard, group: true },
    );
    if (written.sourceTaskId === null) await adoptHubUsers(db, taskId, [id]);
    return (await render([written]))[0];
  }

  return {
    async get(id: string): Promise<Json> {
      return (await render([await rowOrThrow(id)]))[0];
    },

    /** Every visible user in stable order, or the one an equality filter names (one indexed read). */
    async list(lookup?: { attr: 'username' | 'externalid' | 'id'; value: string }): Promise<Json[]> {
      if (lookup?.attr === 'username') return render(await visibleByUserName(db).execute({ task: taskId, name: lookup.value.toLowerCase() }));
      const condition =
        lookup?.attr === 'externalid'
            ? sql`(${hubUsers.attributes} ->> ${externalIdKey}) = ${lookup.value}`
            : lookup?.attr === 'id'
              ? eq(hubUsers.id, lookup.value)
              : undefined;
      const rows = await db
        .select()
        .from(hubUsers)
        .where(condition ? and(visible(taskId), condition) : visible(taskId))
        .orderBy(...stableOrder);
      return render(rows);
    },

    /**
     * 201 with the resource, answered from the written row; a duplicate userName (or email, …) is
     * 409 uniqueness, decided by the unique indexes.
     */
    async create(body: unknown): Promise<Json> {
      const from = fromScimUser(body);
      const user = await mapped(from);
      try {
        const { id: _id, ...fields } = user;
        const created = await hub.createUserRow(fields, push.actor, { sourceTaskId: taskId, uniqueByIndex: true, guard: push.guard, group: true });
        return (await render([created]))[0];
      } catch (error) {
        if (!(error instanceof ConflictError && error.field === 'username')) throw error;
        const namesake = await deletedNamesake(user.username);
        if (!namesake) throw new ScimError(409, `userName ${user.username} is already taken`, 'uniqueness');
        const { id: _id, ...fields } = await mapped(from, toUser(namesake));
        const revived = await hub.updateUserRow(namesake.id, fields, push.actor, { precondition: versionCheck(undefined, { reviving: true }), offboarding: true, guard: push.guard, group: true });
        return (await render([revived]))[0];
      }
    },

    /** PUT: the whole resource as the client wants it. */
    replace: (id: string, resource: unknown, ifMatch?: string) => writeResource(id, () => resource, ifMatch),

    /** PATCH: `apply` turns the current resource into the wanted one. */
    patch: (id: string, apply: (current: Json) => unknown, ifMatch?: string) => writeResource(id, apply, ifMatch),

    /**
     * The task's offboarding decides: "delete" removes the person (refused 409 while they manage
     * someone or lead a department, as every hub delete is); "disable" (the default) offboards them
     * and takes them out of SCIM (404 from now on; a POST of the same userName brings them back).
     * Either way one write, with If-Match checked inside it.
     */
    async remove(id: string, ifMatch?: string): Promise<void> {
      const precondition = versionCheck(ifMatch);
      if (push.task.config.offboarding === 'delete') {
        await hub.deleteUser(id, push.actor, { precondition, guard: push.guard });
        return;
      }
      const written = await hub.updateUserRow(id, (before) => ({ attributes: { ...before.attributes, [deletedKey]: true }, status: 'disabled' }), push.actor, { precondition, offboarding: true, guard: push.guard, group: true });
      if (written.sourceTaskId === null) await adoptHubUsers(db, taskId, [id]);
    },
  };
}

/** If-Match: the client's version must be the current one (`*` matches any). */
export function assertVersion(resource: Json, ifMatch: string | undefined): void {
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  const version = (resource.meta as { version?: string }).version;
  const wanted = ifMatch.split(',').map((v) => v.trim());
  if (!wanted.includes(version ?? '')) throw new ScimError(412, `the resource is at version ${version}, not ${ifMatch}`);
}
