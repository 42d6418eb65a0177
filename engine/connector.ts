// The contract between the engine and every app. Connectors speak the target's id space only:
// the apply step resolves hub ids to external ids through the task's links before calling apply().
import type { Department, DirectoryPage, User } from './model';

export interface ConnectorCapabilities {
  /** can read a full directory (every connector can) */
  read: boolean;
  /** can write departments and users at all (false for an HR export) */
  write: boolean;
  /** can freeze an account without deleting it; without it offboarding becomes a staged delete */
  disableUser: boolean;
  deleteUser: boolean;
  deleteDepartment: boolean;
  /** stores a user's manager */
  manager: boolean;
  /** stores department leaders */
  departmentLeader: boolean;
  /** pushes change events (webhooks) */
  realtimeEvents: boolean;
  /**
   * Lists what changed since a stored watermark (`changeWatermark`, `readChangesSince`): a task may
   * then read only the changes on its scheduled runs (`incremental`). Absent: false.
   */
  incrementalReads?: boolean;
  /**
   * Picks a department's order itself when it is given none (Feishu: orders unique among siblings),
   * so a source order of 0 ("no preference", the hub's default) is not compared: the app's stands.
   */
  assignsDepartmentOrder?: boolean;
  /** false: departments are flat in the app (SCIM Groups): a parent is neither stored nor compared */
  departmentHierarchy?: boolean;
  /** Keeps a department order at all; false (an LDAP OU, a SCIM Group has none) leaves order out of every comparison. Absent: true. */
  departmentOrder?: boolean;
  /**
   * Which `attributes` keys the app keeps ('any' for the hub). Others are never compared, so a run
   * does not re-send on every run a value the app cannot store. Absent: none.
   */
  attributes?: 'any' | readonly string[];
}

/** What an upstream-only source (an HR system, a push endpoint) can do: read people with their managers, nothing else. */
export const readOnlySourceCapabilities = {
  read: true,
  write: false,
  disableUser: false,
  deleteUser: false,
  deleteDepartment: false,
  manager: true,
  departmentLeader: false,
  realtimeEvents: false,
} as const satisfies ConnectorCapabilities;

export type ConnectorOperation =
  /** department.id is the wished-for external id, or '' to let the app choose */
  | { action: 'CreateDepartment'; department: Department }
  /** covers rename, reorder, move (parentId) and leaders (leaderIds) */
  | { action: 'UpdateDepartment'; id: string; changes: Partial<Omit<Department, 'id'>> }
  | { action: 'DeleteDepartment'; id: string }
  /** user.id is the wished-for external id, or '' to let the app choose */
  | { action: 'CreateUser'; user: User }
  /** covers fields, departments (move), manager */
  | { action: 'UpdateUser'; id: string; changes: Partial<Omit<User, 'id'>> }
  | { action: 'DisableUser'; id: string }
  | { action: 'EnableUser'; id: string }
  | { action: 'DeleteUser'; id: string };

export interface ApplyResult {
  /** the external id of a created entity */
  externalId?: string;
}

export interface ReadByIdsResult {
  departments: Department[];
  users: User[];
  /** ids that no longer exist in the app */
  missing: { departmentIds: string[]; userIds: string[] };
}

/** What changed since a watermark, as a source that pushes no events can tell it (LDAP modifyTimestamp, AD uSNChanged). */
export interface ChangesSince {
  /** users and departments changed at or after the watermark (one list: a run re-reads each id as both); deletions are not in it */
  changedIds: string[];
  /** the watermark to store for the next read, taken before the changes were listed: a change made meanwhile is listed again */
  watermark: string;
  /**
   * Which of changedIds are departments and which are people, for a source whose department and
   * person ids can collide (HR systems number both): a department listed must not make the person
   * with its id look changed, and, not read, gone. Absent: every id is both (LDAP's entryUUIDs).
   */
  byEntity?: ChangedIds;
}

export interface ChangedIds {
  departmentIds: string[];
  userIds: string[];
}

export interface Connector {
  readonly kind: string;
  readonly capabilities: ConnectorCapabilities;
  /** the whole directory, in pages */
  readSnapshot(): AsyncIterable<DirectoryPage>;
  readByIds(ids: { departmentIds: string[]; userIds: string[] }): Promise<ReadByIdsResult>;
  /** one operation; throws VendorError (connectors/errors.ts) on failure */
  apply(op: ConnectorOperation): Promise<ApplyResult>;
  /**
   * The department named `name` directly under `parentId` (null: the top level), read with one list
   * of the parent's children: how a create whose answer was lost is found again when the app chose
   * the id. Omitted by a connector that takes department ids from the create.
   */
  findChildDepartment?(parentId: string | null, name: string): Promise<Department | undefined>;
  /**
   * Where the app picks a created user's id: the id of this user if an earlier attempt created it
   * (one look-up by the keys the create sent), so a lost create answer needs no full read.
   */
  findCreatedUser?(user: User): Promise<string | undefined>;
  /**
   * With `capabilities.incrementalReads`: the watermark to store before a full read, so the next
   * `readChangesSince` lists every change made from the moment this is taken (duplicates are harmless).
   */
  changeWatermark?(): Promise<string>;
  /** With `capabilities.incrementalReads`: the ids changed at or after `watermark` (one this connector returned). */
  readChangesSince?(watermark: string): Promise<ChangesSince>;
  close?(): Promise<void>;
}
