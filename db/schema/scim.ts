// What a SCIM client says about a hub department that the department itself does not hold.
import { pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

/** A Group's externalId, per scim-push task (it is the client's own id for the group). */
export const scimGroupExternalIds = pgTable(
  'scim_group_external_ids',
  {
    taskId: text('task_id').notNull(),
    departmentId: text('department_id').notNull(),
    externalId: text('external_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.departmentId] })],
);
