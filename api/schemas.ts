// Zod schemas shared by the hub routes. Shape and type checks live here; content rules
// (trimming, formats, references, duplicates) live in the repository so every writer gets them.
import { z } from 'zod';
import { userStatuses } from '../engine/model';
import { itemStatuses, runStatuses } from '../engine/statuses';

const id = z.string().min(1).max(128);

export const IdParams = z.object({ id });

export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

/** `true`/`false` in a query string (z.coerce.boolean would read "false" as true). */
export const queryBoolean = z.enum(['true', 'false']).transform((v) => v === 'true');

export const DepartmentBody = z.object({
  id: z.string().min(1).max(128),
  name: z.string(),
  parentId: z.string().nullable(),
  order: z.number().int(),
  leaderIds: z.array(z.string()),
});

export const CreateDepartmentBody = z.strictObject({
  id: id.optional().describe('omit to let the hub choose a UUID'),
  name: z.string().max(64),
  parentId: id.nullable().optional(),
  order: z.number().int().min(-2_147_483_648).max(2_147_483_647).optional(),
  leaderIds: z.array(id).max(100).optional(),
});

export const UpdateDepartmentBody = CreateDepartmentBody.omit({ id: true }).partial();

export const DepartmentListQuery = z.strictObject({
  ...PageQuery,
  parentId: id.optional().describe('only the children of this department'),
  topLevel: queryBoolean.optional().describe('only departments without a parent'),
  q: z.string().max(200).optional().describe('case-insensitive substring of the name'),
});

const nullableText = (max: number) => z.string().max(max).nullable().optional();

export const UserBody = z.object({
  id: z.string(),
  username: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  mobile: z.string().nullable(),
  employeeNumber: z.string().nullable(),
  title: z.string().nullable(),
  departmentIds: z.array(z.string()),
  mainDepartmentId: z.string().nullable(),
  managerId: z.string().nullable(),
  status: z.enum(userStatuses),
  attributes: z.record(z.string(), z.unknown()),
});

export const CreateUserBody = z.strictObject({
  id: id.optional().describe('omit to let the hub choose a UUID'),
  username: z.string().max(64),
  name: z.string().max(128),
  email: nullableText(254),
  mobile: nullableText(32).describe('stored as E.164 (+8613800000000); +86 138 0000 0000, 86-13800000000 and a national 13800000000 (SYNC_CENTER_DEFAULT_COUNTRY_CODE, default 86) are accepted'),
  employeeNumber: nullableText(64),
  title: nullableText(128),
  departmentIds: z.array(id).max(100).optional(),
  mainDepartmentId: id.nullable().optional().describe('one of departmentIds'),
  managerId: id.nullable().optional(),
  status: z.enum(userStatuses).optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
});

export const UpdateUserBody = CreateUserBody.omit({ id: true }).partial();

/** GET /users/:id/links: a page of tasks (every downstream task, and the person's upstream sources). */
export const UserLinksQuery = z.strictObject({ ...PageQuery });

/** GET /users/:id/links: the person's link in one app (a downstream task) or source (an upstream task); no secret in it. */
export const UserLinkBody = z.object({
  taskId: z.string(),
  taskName: z.string(),
  direction: z.enum(['upstream', 'downstream']),
  connectorKind: z.string(),
  enabled: z.boolean(),
  remoteId: z.string().nullable().describe("the person's id in the app (downstream) or in the source (upstream); null when not linked"),
  linkedAt: z.string().nullable().describe('when the link was recorded'),
  status: z.enum(['linked', 'not_linked', 'failed', 'pending_deletion']).describe('pending_deletion: a staged delete waits for an approver; failed: the last write about them failed'),
  lastSyncedAt: z.string().nullable().describe('when a write about the person last succeeded in this task'),
  lastItem: z
    .object({ runId: z.string(), action: z.string(), status: z.enum(itemStatuses), errorCode: z.string().nullable(), errorMessage: z.string().nullable(), finishedAt: z.string().nullable() })
    .nullable()
    .describe('the last run item about the person (dry runs left out)'),
  lastRun: z
    .object({ id: z.string(), trigger: z.enum(['manual', 'schedule', 'realtime']), status: z.enum(runStatuses), startedAt: z.string(), finishedAt: z.string().nullable() })
    .nullable()
    .describe("the task's last run (dry runs left out)"),
});

/** Who offboards a hub person: the upstream task that owns them, or null for no source. */
export const UserSourceBody = z.strictObject({
  sourceTaskId: id.nullable().describe('an upstream task id, or null: no source offboards this person'),
});
export const UserSourceAnswer = z.object({ id, sourceTaskId: id.nullable() });

export const UserListQuery = z.strictObject({
  ...PageQuery,
  departmentId: id.optional().describe('members of this department (jsonb containment)'),
  includeSubDepartments: queryBoolean.optional().describe('with departmentId: members of every department below it too'),
  status: z.enum(userStatuses).optional(),
  q: z.string().max(200).optional().describe('case-insensitive substring of username, name, email, mobile or employee number'),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
}
