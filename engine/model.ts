// The canonical directory model every connector maps to and from. Pure zod, no I/O.
import { z } from 'zod';

export const userStatuses = ['active', 'disabled'] as const;
export const UserStatus = z.enum(userStatuses);
export type UserStatus = z.infer<typeof UserStatus>;

export const Department = z.object({
  id: z.string().min(1),
  name: z.string().min(1).max(64),
  /** null for a top-level department of this directory */
  parentId: z.string().min(1).nullable(),
  order: z.number().int().default(0),
  leaderIds: z.array(z.string().min(1)).default([]),
});
export type Department = z.infer<typeof Department>;

export const User = z.object({
  id: z.string().min(1),
  username: z.string().min(1).max(64),
  name: z.string().min(1).max(128),
  email: z.string().email().nullable().default(null),
  mobile: z.string().nullable().default(null),
  employeeNumber: z.string().min(1).nullable().default(null),
  title: z.string().nullable().default(null),
  departmentIds: z.array(z.string().min(1)).default([]),
  mainDepartmentId: z.string().min(1).nullable().default(null),
  managerId: z.string().min(1).nullable().default(null),
  status: UserStatus.default('active'),
  attributes: z.record(z.string(), z.unknown()).default({}),
});
export type User = z.infer<typeof User>;

/** One page of a full directory read; connectors yield these so nothing holds a whole vendor at once. */
export interface DirectoryPage {
  departments: Department[];
  users: User[];
}

export interface DirectorySnapshot {
  departments: Department[];
  users: User[];
}

export type EntityKind = 'department' | 'user';

/** A change reported by a source (webhook event or hub write): ids only, the entity is re-read. */
export const ChangeEvent = z.object({
  entity: z.enum(['department', 'user']),
  id: z.string().min(1),
  kind: z.enum(['created', 'updated', 'deleted']),
  /** vendor event id or content hash, for de-duplication */
  eventId: z.string().optional(),
});
export type ChangeEvent = z.infer<typeof ChangeEvent>;
