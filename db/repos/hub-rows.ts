// Row <-> canonical mapping and the lookups both hub repositories share.
import { eq, inArray, sql } from 'drizzle-orm';
import type { Department, User } from '../../engine/model';
import type { Db } from '../client';
import { hubDepartments, hubUsers } from '../schema';
import { ValidationError } from './errors';
import { selectRows } from './sql';

type DepartmentRow = typeof hubDepartments.$inferSelect;
type UserRow = typeof hubUsers.$inferSelect;

export function toDepartment(row: DepartmentRow): Department {
  return { id: row.id, name: row.name, parentId: row.parentId, order: row.order, leaderIds: row.leaderIds };
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    name: row.name,
    email: row.email,
    mobile: row.mobile,
    employeeNumber: row.employeeNumber,
    title: row.title,
    departmentIds: row.departmentIds,
    mainDepartmentId: row.mainDepartmentId,
    managerId: row.managerId,
    status: row.status,
    attributes: row.attributes,
  };
}

export async function findDepartment(db: Db, id: string): Promise<Department | undefined> {
  const [row] = await db.select().from(hubDepartments).where(eq(hubDepartments.id, id));
  return row ? toDepartment(row) : undefined;
}

export async function findUser(db: Db, id: string): Promise<User | undefined> {
  const [row] = await db.select().from(hubUsers).where(eq(hubUsers.id, id));
  return row ? toUser(row) : undefined;
}

/**
 * The stored user, row-locked until the transaction ends: an update writes every field of
 * `before` merged with its patch, so two concurrent updates must not start from the same `before`.
 */
export async function findUserForUpdate(tx: Db, id: string): Promise<User | undefined> {
  const [row] = await tx.select().from(hubUsers).where(eq(hubUsers.id, id)).for('update');
  return row ? toUser(row) : undefined;
}

/** Throws a ValidationError naming `${field}.${i}` for the first id that is not a stored department/user. */
export async function assertAllExist(db: Db, entity: 'department' | 'user', field: string, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const table = entity === 'department' ? hubDepartments : hubUsers;
  const found = new Set((await db.select({ id: table.id }).from(table).where(inArray(table.id, ids))).map((r) => r.id));
  const index = ids.findIndex((id) => !found.has(id));
  if (index >= 0) throw new ValidationError(`${field}.${index}`, `unknown ${entity} ${ids[index]}`);
}

/** The department and every ancestor above it (cycle-safe: UNION drops repeats). */
export async function departmentAncestry(db: Db, id: string): Promise<string[]> {
  const rows = await selectRows<{ id: string }>(
    db,
    sql`with recursive chain(id, parent_id) as (
          select id, parent_id from hub_departments where id = ${id}
          union
          select d.id, d.parent_id from hub_departments d join chain on d.id = chain.parent_id)
        select id from chain`,
  );
  return rows.map((r) => r.id);
}

/** The user and every manager above them (cycle-safe). */
export async function managerChain(db: Db, id: string): Promise<string[]> {
  const rows = await selectRows<{ id: string }>(
    db,
    sql`with recursive chain(id, manager_id) as (
          select id, manager_id from hub_users where id = ${id}
          union
          select u.id, u.manager_id from hub_users u join chain on u.id = chain.manager_id)
        select id from chain`,
  );
  return rows.map((r) => r.id);
}

/** The department and every department below it. */
export async function departmentSubtree(db: Db, id: string): Promise<string[]> {
  const rows = await selectRows<{ id: string }>(
    db,
    sql`with recursive tree(id) as (
          select id from hub_departments where id = ${id}
          union
          select d.id from hub_departments d join tree on d.parent_id = tree.id)
        select id from tree`,
  );
  return rows.map((r) => r.id);
}
