// SCIM Groups are hub departments: displayName is the name, members are the people in it. Member
// changes are writes of those people's departments (the task may change only people it sees).
import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { HubDirectory } from '../../db/repos/hub-directory';
import { hubUsers, scimGroupExternalIds } from '../../db/schema';
import { jsonbArray } from '../../db/repos/sql';
import type { Department, User } from '../../engine/model';
import { ScimError } from './errors';
import type { PushTask } from './push-task';
import { assertVersion } from './users';
import { deletedKey, etagOf, groupSchema } from './user-resource';

type Json = Record<string, unknown>;

export interface ScimGroupsContext {
  db: Db;
  hub: HubDirectory;
  push: PushTask;
  baseUrl: string;
}

export function scimGroups(context: ScimGroupsContext) {
  const { db, hub, push, baseUrl } = context;
  const visibleUser = and(or(eq(hubUsers.sourceTaskId, push.task.id), isNull(hubUsers.sourceTaskId)), sql`(${hubUsers.attributes} ->> ${deletedKey}) is null`);

  async function members(id: string) {
    return db
      .select({ id: hubUsers.id, name: hubUsers.name, departmentIds: hubUsers.departmentIds, mainDepartmentId: hubUsers.mainDepartmentId })
      .from(hubUsers)
      .where(and(sql`${hubUsers.departmentIds} @> ${jsonbArray([id])}`, visibleUser))
      .orderBy(hubUsers.id);
  }

  async function externalIdOf(id: string): Promise<string | undefined> {
    const [row] = await db.select({ externalId: scimGroupExternalIds.externalId }).from(scimGroupExternalIds).where(and(eq(scimGroupExternalIds.taskId, push.task.id), eq(scimGroupExternalIds.departmentId, id)));
    return row?.externalId;
  }

  async function setExternalId(id: string, externalId: string | undefined): Promise<void> {
    const where = and(eq(scimGroupExternalIds.taskId, push.task.id), eq(scimGroupExternalIds.departmentId, id));
    if (externalId === undefined) await db.delete(scimGroupExternalIds).where(where);
    else await db.insert(scimGroupExternalIds).values({ taskId: push.task.id, departmentId: id, externalId }).onConflictDoUpdate({ target: [scimGroupExternalIds.taskId, scimGroupExternalIds.departmentId], set: { externalId } });
  }

  async function render(department: Department): Promise<Json> {
    const [people, externalId] = await Promise.all([members(department.id), externalIdOf(department.id)]);
    // members carry no display: it is readOnly and a client compares what it sent
    const resource: Json = {
      schemas: [groupSchema],
      id: department.id,
      ...(externalId !== undefined ? { externalId } : {}),
      displayName: department.name,
      members: people.map((p) => ({ value: p.id, $ref: `${baseUrl}/Users/${p.id}`, type: 'User' })),
    };
    resource.meta = { resourceType: 'Group', location: `${baseUrl}/Groups/${department.id}`, version: etagOf(resource) };
    return resource;
  }

  async function find(id: string): Promise<Department> {
    const [department] = await hub.getDepartmentsByIds([id]);
    if (!department) throw new ScimError(404, `Group ${id} not found`);
    return department;
  }

  function readBody(body: unknown): { displayName: string; memberIds: string[] | undefined; externalId: string | undefined } {
    if (typeof body !== 'object' || body === null) throw new ScimError(400, 'the body must be a SCIM Group object', 'invalidSyntax');
    const entries = Object.fromEntries(Object.entries(body).map(([k, v]) => [k.toLowerCase(), v as unknown]));
    if (typeof entries.displayname !== 'string' || !entries.displayname.trim()) throw new ScimError(400, 'displayName is required', 'invalidValue');
    const list = entries.members;
    if (list !== undefined && list !== null && !Array.isArray(list)) throw new ScimError(400, 'members must be a list', 'invalidValue');
    const memberIds = list ? (list as { value?: unknown }[]).map((m) => String(m?.value ?? '')) : undefined;
    if (entries.externalid !== undefined && entries.externalid !== null && typeof entries.externalid !== 'string') throw new ScimError(400, 'externalId must be a string', 'invalidValue');
    return { displayName: entries.displayname.trim(), memberIds, externalId: (entries.externalid as string | null | undefined) ?? undefined };
  }

  // Each join and leave is computed inside the write from the row-locked person, so concurrent
  // membership changes (two groups adding one person, two PATCHes adding two people) all land.
  const leave = (id: string) => (before: User) => ({
    departmentIds: before.departmentIds.filter((d) => d !== id),
    ...(before.mainDepartmentId === id ? { mainDepartmentId: null } : {}),
  });
  const join = (id: string) => (before: User) => ({ departmentIds: before.departmentIds.includes(id) ? before.departmentIds : [...before.departmentIds, id] });

  /** Joins `joining` to the department and takes `leaving` out (their main department too). */
  async function changeMembers(id: string, joining: string[], leaving: string[]): Promise<void> {
    for (const userId of leaving) await hub.updateUser(userId, leave(id), push.actor);
    if (!joining.length) return;
    const rows = await db.select({ id: hubUsers.id }).from(hubUsers).where(and(inArray(hubUsers.id, joining), visibleUser));
    const found = new Set(rows.map((r) => r.id));
    const unknown = joining.find((m) => !found.has(m));
    if (unknown) throw new ScimError(400, `member ${unknown} is no User here`, 'invalidValue');
    for (const userId of joining) await hub.updateUser(userId, join(id), push.actor);
  }

  /** Puts exactly `wanted` in the department (PUT): joins the new, takes out the others. */
  async function setMembers(id: string, wanted: string[]): Promise<void> {
    const have = new Set((await members(id)).map((m) => m.id));
    const target = new Set(wanted.filter(Boolean));
    await changeMembers(id, [...target].filter((m) => !have.has(m)), [...have].filter((m) => !target.has(m)));
  }

  return {
    get: async (id: string) => render(await find(id)),
    list: async () => Promise.all((await hub.listAllDepartments()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(render)),
    async create(body: unknown): Promise<Json> {
      const { displayName, memberIds, externalId } = readBody(body);
      const department = await hub.createDepartment({ name: displayName, parentId: null }, push.actor);
      if (externalId !== undefined) await setExternalId(department.id, externalId);
      if (memberIds?.length) await setMembers(department.id, memberIds);
      return render(department);
    },
    /**
     * PUT (the whole group as the client wants it) and, with `patchedFrom` (the members the PATCH
     * was applied to), PATCH: only the members its operations added or removed change, so two
     * PATCHes adding two people at once both land.
     */
    async replace(id: string, body: unknown, ifMatch?: string, patchedFrom?: string[]): Promise<Json> {
      const department = await find(id);
      assertVersion(await render(department), ifMatch);
      const given = (body as Json)?.id;
      if (given !== undefined && given !== id) throw new ScimError(400, 'id is readOnly: it cannot change', 'mutability');
      const { displayName, memberIds, externalId } = readBody(body);
      if (displayName !== department.name) await hub.updateDepartment(id, { name: displayName }, push.actor);
      await setExternalId(id, externalId);
      if (patchedFrom === undefined) await setMembers(id, memberIds ?? []);
      else {
        const before = new Set(patchedFrom);
        const after = new Set((memberIds ?? []).filter(Boolean));
        await changeMembers(id, [...after].filter((m) => !before.has(m)), [...before].filter((m) => !after.has(m)));
      }
      return render(await find(id));
    },
    /** Members leave first (a SCIM group delete takes nobody out of the hub); sub-departments still refuse it (409). */
    async remove(id: string, ifMatch?: string): Promise<void> {
      const department = await find(id);
      assertVersion(await render(department), ifMatch);
      await setMembers(id, []);
      await hub.deleteDepartment(id, push.actor);
      await setExternalId(id, undefined);
    },
  };
}
