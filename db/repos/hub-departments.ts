// Hub departments: validated writes (each with its audit row) and paged reads.
import { and, asc, count, eq, ilike, inArray, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Department } from '../../engine/model';
import type { Db } from '../client';
import { hubDepartments, hubUsers } from '../schema';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { definedOnly, entityId, normalizeDepartment } from './hub-fields';
import { assertAllExist, departmentAncestry, findDepartment, toDepartment } from './hub-rows';
import type { HubWriter } from './hub-writer';
import { jsonbArray, likePattern } from './sql';

export interface DepartmentInput {
  /** omitted or '' → a fresh UUID */
  id?: string;
  name: string;
  parentId?: string | null;
  order?: number;
  leaderIds?: string[];
}

export type DepartmentPatch = Partial<Omit<DepartmentInput, 'id'>>;

export interface DepartmentListQuery {
  /** a department id, or null for top-level departments; undefined → no filter */
  parentId?: string | null;
  /** case-insensitive substring of the name */
  q?: string;
  limit?: number;
  offset?: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export const defaultPageSize = 50;

export function departmentRepository(db: Db, write: HubWriter) {
  /** Everything about `next` that depends on other rows: parent, cycle, leaders, sibling names. */
  async function checkReferences(tx: Db, next: Department): Promise<void> {
    if (next.parentId !== null) {
      if (next.parentId === next.id) throw new ValidationError('parentId', 'a department cannot be its own parent');
      const ancestry = await departmentAncestry(tx, next.parentId);
      if (!ancestry.length) throw new ValidationError('parentId', `unknown department ${next.parentId}`);
      if (ancestry.includes(next.id)) throw new ValidationError('parentId', 'a department cannot move under its own descendant');
    }
    await assertAllExist(tx, 'user', 'leaderIds', next.leaderIds);
    const siblingParent = next.parentId === null ? isNull(hubDepartments.parentId) : eq(hubDepartments.parentId, next.parentId);
    const [sibling] = await tx
      .select({ id: hubDepartments.id })
      .from(hubDepartments)
      .where(and(siblingParent, eq(hubDepartments.name, next.name), ne(hubDepartments.id, next.id)))
      .limit(1);
    if (sibling) throw new ConflictError(`a sibling department is already named "${next.name}"`, 'name');
  }

  return {
    async createDepartment(input: DepartmentInput, actor: string): Promise<Department> {
      const department = normalizeDepartment({ ...input }, entityId(input.id));
      return write(actor, async (tx) => {
        if (await findDepartment(tx, department.id)) throw new ConflictError(`department ${department.id} already exists`, 'id');
        await checkReferences(tx, department);
        await tx.insert(hubDepartments).values(department);
        return {
          result: department,
          audit: { action: 'department.create', entityType: 'department', entityId: department.id, before: null, after: department },
          events: [{ entity: 'department', id: department.id, kind: 'created' }],
        };
      });
    },

    async updateDepartment(id: string, patch: DepartmentPatch, actor: string): Promise<Department> {
      return write(actor, async (tx) => {
        const before = await findDepartment(tx, id);
        if (!before) throw new NotFoundError('department', id);
        const next = normalizeDepartment({ ...before, ...definedOnly(patch) }, id);
        if (JSON.stringify(next) === JSON.stringify(before)) return { result: before };
        await checkReferences(tx, next);
        const { id: _id, ...changes } = next;
        await tx.update(hubDepartments).set({ ...changes, updatedAt: sql`now()` }).where(eq(hubDepartments.id, id));
        return {
          result: next,
          audit: { action: 'department.update', entityType: 'department', entityId: id, before, after: next },
          events: [{ entity: 'department', id, kind: 'updated' }],
        };
      });
    },

    /** Refuses (ConflictError) while the department has members or sub-departments. */
    async deleteDepartment(id: string, actor: string): Promise<Department> {
      return write(actor, async (tx) => {
        const before = await findDepartment(tx, id);
        if (!before) throw new NotFoundError('department', id);
        const [[{ members }], [{ children }]] = await Promise.all([
          tx.select({ members: count() }).from(hubUsers).where(sql`${hubUsers.departmentIds} @> ${jsonbArray([id])}`),
          tx.select({ children: count() }).from(hubDepartments).where(eq(hubDepartments.parentId, id)),
        ]);
        if (members || children) {
          throw new ConflictError(`department "${before.name}" still has ${members} member(s) and ${children} sub-department(s)`);
        }
        await tx.delete(hubDepartments).where(eq(hubDepartments.id, id));
        return {
          result: before,
          audit: { action: 'department.delete', entityType: 'department', entityId: id, before, after: null },
          events: [{ entity: 'department', id, kind: 'deleted' }],
        };
      });
    },

    async getDepartment(id: string): Promise<Department> {
      const department = await findDepartment(db, id);
      if (!department) throw new NotFoundError('department', id);
      return department;
    },

    async listDepartments(query: DepartmentListQuery = {}): Promise<Page<Department>> {
      const conditions: SQL[] = [];
      if (query.parentId === null) conditions.push(isNull(hubDepartments.parentId));
      else if (query.parentId !== undefined) conditions.push(eq(hubDepartments.parentId, query.parentId));
      if (query.q) conditions.push(or(ilike(hubDepartments.name, likePattern(query.q)), eq(hubDepartments.id, query.q))!);
      const where = conditions.length ? and(...conditions) : undefined;
      const limit = query.limit ?? defaultPageSize;
      const offset = query.offset ?? 0;
      const [rows, [{ total }]] = await Promise.all([
        db.select().from(hubDepartments).where(where).orderBy(asc(hubDepartments.order), asc(hubDepartments.name), asc(hubDepartments.id)).limit(limit).offset(offset),
        db.select({ total: count() }).from(hubDepartments).where(where),
      ]);
      return { items: rows.map(toDepartment), total, limit, offset };
    },

    /** Every department, ordered by id (not tree order: callers that need top-down order sort it). */
    async listAllDepartments(): Promise<Department[]> {
      const rows = await db.select().from(hubDepartments).orderBy(asc(hubDepartments.id));
      return rows.map(toDepartment);
    },

    async getDepartmentsByIds(ids: string[]): Promise<Department[]> {
      if (!ids.length) return [];
      const rows = await db.select().from(hubDepartments).where(inArray(hubDepartments.id, [...new Set(ids)]));
      return rows.map(toDepartment);
    },
  };
}

export type DepartmentRepository = ReturnType<typeof departmentRepository>;
