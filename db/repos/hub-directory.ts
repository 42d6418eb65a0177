// The hub directory repository: departments and users with validation, audit and change events.
// Every write takes the actor for its audit row, runs in one transaction with that row, and
// reports ChangeEvents to `onChange` only after it committed.
import type { Db } from '../client';
import { departmentRepository } from './hub-departments';
import { userRepository } from './hub-users';
import { createHubWriter, type HubWriterOptions } from './hub-writer';

export type { DepartmentInput, DepartmentListQuery, DepartmentPatch, Page } from './hub-departments';
export type { UserInput, UserListQuery, UserPatch } from './hub-users';
export type { ChangeListener, ChangeOrigin } from './hub-writer';

export type HubDirectoryOptions = HubWriterOptions;

export function createHubDirectory(db: Db, options: HubDirectoryOptions = {}) {
  const write = createHubWriter(db, options);
  return { ...departmentRepository(db, write), ...userRepository(db, write) };
}

export type HubDirectory = ReturnType<typeof createHubDirectory>;
