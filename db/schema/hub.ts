// The hub directory: this project's own departments and users.
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const hubDepartments = pgTable(
  'hub_departments',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    parentId: text('parent_id'),
    order: integer('order').notNull().default(0),
    leaderIds: jsonb('leader_ids').$type<string[]>().notNull().default([]),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('hub_departments_parent_idx').on(t.parentId)],
);

export const hubUsers = pgTable(
  'hub_users',
  {
    id: text('id').primaryKey(),
    username: text('username').notNull(),
    name: text('name').notNull(),
    email: text('email'),
    mobile: text('mobile'),
    employeeNumber: text('employee_number'),
    title: text('title'),
    departmentIds: jsonb('department_ids').$type<string[]>().notNull().default([]),
    mainDepartmentId: text('main_department_id'),
    managerId: text('manager_id'),
    status: text('status', { enum: ['active', 'disabled'] }).notNull().default('active'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
    /** the upstream task that created or adopted this person: the only one that offboards them; null = no source (API) */
    sourceTaskId: text('source_task_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('hub_users_source_task_idx').on(t.sourceTaskId),
    // Case-insensitive uniqueness, as every downstream app compares these case-insensitively.
    uniqueIndex('hub_users_username_uq').on(sql`lower(${t.username})`),
    uniqueIndex('hub_users_email_uq').on(sql`lower(${t.email})`),
    uniqueIndex('hub_users_mobile_uq').on(t.mobile),
    uniqueIndex('hub_users_employee_number_uq').on(t.employeeNumber),
    index('hub_users_manager_idx').on(t.managerId),
    index('hub_users_departments_idx').using('gin', t.departmentIds),
  ],
);
