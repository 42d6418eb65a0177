// SCIM Groups are hub departments: displayName is the name, members are the people in it. Member
// changes are writes of those people's departments (the task may change only people it sees).
import { and, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { HubDirectory, HubRepositories } from '../../db/repos/hub-directory';
import { toDepartment } from '../../db/repos/hub-rows';
import { hubDepartments, hubUsers, scimGroupExternalIds } from '../../db/schema';
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

  // Reads take `via`: the write's transaction inside one, the database otherwise.
  async function members(id: string, via: Db) {
    return via
      .select({ id: hubUsers.id, name: hubUsers.name, departmentIds: hubUsers.departmentIds, mainDepartmentId: hubUsers.mainDepartmentId })
      .from(hubUsers)
      .where(and(sql`${hubUsers.departmentIds} @> ${jsonbArray([id])}`, visibleUser))
      .orderBy(hubUsers.id);
  }

  async function externalIdOf(id: string, via: Db): Promise<string | undefined> {
    const [row] = await via.select({ externalId: scimGroupExternalIds.externalId }).from(scimGroupExternalIds).where(and(eq(scimGroupExternalIds.taskId, push.task.id), eq(scimGroupExternalIds.departmentId, id)));
    return row?.externalId;
  }

  async function setExternalId(id: string, externalId: string | undefined, tx: Db): Promise<void> {
    const where = and(eq(scimGroupExternalIds.taskId, push.task.id), eq(scimGroupExternalIds.departmentId, id));
    if (externalId === undefined) await tx.delete(scimGroupExternalIds).where(where);
    else await tx.insert(scimGroupExternalIds).values({ taskId: push.task.id, departmentId: id, externalId }).onConflictDoUpdate({ target: [scimGroupExternalIds.taskId, scimGroupExternalIds.departmentId], set: { externalId } });
  }

  async function render(department: Department, via: Db): Promise<Json> {
    const [people, externalId] = await Promise.all([members(department.id, via), externalIdOf(department.id, via)]);
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

  async function find(id: string, via: Db, options: { lock?: boolean } = {}): Promise<Department> {
    const query = via.select().from(hubDepartments).where(eq(hubDepartments.id, id));
    const [row] = await (options.lock ? query.for('update') : query);
    if (!row) throw new ScimError(404, `Group ${id} not found`);
    return toDepartment(row);
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
  async function changeMembers(writes: HubRepositories, tx: Db, id: string, joining: string[], leaving: string[]): Promise<void> {
    for (const userId of leaving) await writes.updateUser(userId, leave(id), push.actor);
    if (!joining.length) return;
    const rows = await tx.select({ id: hubUsers.id }).from(hubUsers).where(and(inArray(hubUsers.id, joining), visibleUser));
    const found = new Set(rows.map((r) => r.id));
    const unknown = joining.find((m) => !found.has(m));
    if (unknown) throw new ScimError(400, `member ${unknown} is no User here`, 'invalidValue');
    for (const userId of joining) await writes.updateUser(userId, join(id), push.actor);
  }

  /** Puts exactly `wanted` in the department (PUT): joins the new, takes out the others. */
  async function setMembers(writes: HubRepositories, tx: Db, id: string, wanted: string[]): Promise<void> {
    const have = new Set((await members(id, tx)).map((m) => m.id));
    const target = new Set(wanted.filter(Boolean));
    await changeMembers(writes, tx, id, [...target].filter((m) => !have.has(m)), [...have].filter((m) => !target.has(m)));
  }

  /**
   * A Group write is one transaction holding the hub write lock exclusively (membership is other
   * people's rows: no hub write runs beside it), so If-Match is checked on the group as it is inside
   * the write and of concurrent writers with one version exactly one lands. `work` gets that group
   * as a resource (`current`), rendered inside the write.
   */
  function writeGroup<T>(id: string, ifMatch: string | undefined, work: (writes: HubRepositories, tx: Db, department: Department, current: Json) => Promise<T>): Promise<T> {
    return hub.transaction(
      async (writes, tx) => {
        const department = await find(id, tx, { lock: true });
        const current = await render(department, tx);
        assertVersion(current, ifMatch);
        return work(writes, tx, department, current);
      },
      { guard: push.guard },
    );
  }

  function assertSameId(id: string, body: unknown): void {
    const given = (body as Json)?.id;
    if (given !== undefined && given !== id) throw new ScimError(400, 'id is readOnly: it cannot change', 'mutability');
  }

  const memberIdsOf = (resource: Json) => ((resource.members as { value: string }[] | undefined) ?? []).map((m) => m.value);

  /**
   * Writes `wanted` over `current` (the group as locked in the write): only what differs is written.
   * `patchedFrom` (PATCH: the members the operations were applied to) changes only the members the
   * operations added or removed; without it (PUT) the members are exactly those given.
   */
  async function writeWanted(writes: HubRepositories, tx: Db, department: Department, current: Json, wanted: ReturnType<typeof readBody>, patchedFrom?: string[]): Promise<Json> {
    const { id } = department;
    const { displayName, memberIds, externalId } = wanted;
    if (displayName !== department.name) await writes.updateDepartment(id, { name: displayName }, push.actor);
    if (externalId !== current.externalId) await setExternalId(id, externalId, tx);
    if (patchedFrom === undefined) await setMembers(writes, tx, id, memberIds ?? []);
    else {
      const before = new Set(patchedFrom);
      const after = new Set((memberIds ?? []).filter(Boolean));
      await changeMembers(writes, tx, id, [...after].filter((m) => !before.has(m)), [...before].filter((m) => !after.has(m)));
    }
    return render(await find(id, tx), tx);
  }

  return {
    get: async (id: string) => render(await find(id, db), db),
    list: async () => Promise.all((await hub.listAllDepartments()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((d) => render(d, db))),
    async create(body: unknown): Promise<Json> {
      const { displayName, memberIds, externalId } = readBody(body);
      return hub.transaction(
        async (writes, tx) => {
          const department = await writes.createDepartment({ name: displayName, parentId: null }, push.actor);
          if (externalId !== undefined) await setExternalId(department.id, externalId, tx);
          if (memberIds?.length) await setMembers(writes, tx, department.id, memberIds);
          return render(department, tx);
        },
        { guard: push.guard },
      );
    },
    /** PUT: the whole group as the client wants it (name, externalId and exactly these members). */
    async replace(id: string, body: unknown, ifMatch?: string): Promise<Json> {
      assertSameId(id, body);
      const wanted = readBody(body);
      return writeGroup(id, ifMatch, (writes, tx, department, current) => writeWanted(writes, tx, department, current, wanted));
    },
    /**
     * PATCH: `apply` turns the group as locked in the write (as a resource) into the wanted one, so
     * concurrent PATCHes of its name, its externalId and its members all land; of the members only
     * those the operations added or removed change.
     */
    async patch(id: string, apply: (current: Json) => unknown, ifMatch?: string): Promise<Json> {
      return writeGroup(id, ifMatch, (writes, tx, department, current) => {
        const body = apply(current);
        assertSameId(id, body);
        return writeWanted(writes, tx, department, current, readBody(body), memberIdsOf(current));
      });
    },
    /** Members leave first (a SCIM group delete takes nobody out of the hub); sub-departments still refuse it (409). */
    async remove(id: string, ifMatch?: string): Promise<void> {
      await writeGroup(id, ifMatch, async (writes, tx) => {
        await setMembers(writes, tx, id, []);
        await writes.deleteDepartment(id, push.actor);
        await setExternalId(id, undefined, tx);
      });
    },
  };
}
