// The plan's vocabulary: inputs, actions, failures and deferred references. JSON-serialisable, no logic.
import type { ConnectorCapabilities } from './connector';
import type { MappingFailure } from './field-mapping';
import type { Department, DirectorySnapshot, EntityKind, User } from './model';

/** The stored pair (source id ↔ target id) per task and entity. */
export interface Link {
  entity: EntityKind;
  sourceId: string;
  targetId: string;
}

export const matchKeys = ['employeeNumber', 'email', 'mobile', 'username'] as const;
export type MatchKey = (typeof matchKeys)[number];

export type OffboardingPolicy = 'disable' | 'delete';

/** Downstream scope: department subtrees and/or single users; both lists empty = everything. */
export interface SyncScope {
  departmentIds: string[];
  userIds: string[];
  /** false: only users already linked (or listed in userIds) are synced; unlinked ones are left out */
  includeNewUsers: boolean;
}

export interface PlanInput {
  /** already mapped (mapUsers); ids are source ids */
  source: DirectorySnapshot;
  /** ids are target ids */
  target: DirectorySnapshot;
  links: readonly Link[];
  matchRules: readonly MatchKey[];
  offboarding: OffboardingPolicy;
  capabilities: ConnectorCapabilities;
  scope?: SyncScope;
  /** the target department under which the source's top-level departments live (WeCom: "1") */
  targetRootId?: string | null;
  /** source users the mapping could not produce: held untouched this run */
  sourceFailures?: readonly MappingFailure[];
  /**
   * The source is the hub (a downstream task): a linked person missing from the whole hub was
   * deleted there, which stages a delete whatever the offboarding policy (and freezes the account
   * meanwhile). Otherwise a person gone from the source is offboarded by the policy.
   */
  sourceIsHub?: boolean;
  /**
   * An upstream task (the target is the hub, shared with other sources): only the hub people it owns
   * (created or adopted) are frozen or deleted as its leavers, and only departments it linked are deleted.
   */
  hubOwnership?: { ownedUserIds: ReadonlySet<string> };
}

export type DepartmentFields = Omit<Department, 'id'>;
export type UserFields = Omit<User, 'id'>;

export type DepartmentActionKind =
  | 'CreateDepartment'
  | 'UpdateDepartment'
  | 'MoveDepartment'
  | 'UpdateDepartmentLeader'
  | 'DeleteDepartment';

export type UserActionKind =
  | 'CreateUser'
  | 'UpdateUser'
  | 'ChangeUserDepartment'
  | 'EnableUser'
  | 'SetManager'
  | 'DisableUser'
  | 'DeleteUser';

export type ActionKind = DepartmentActionKind | UserActionKind;

interface ActionBase {
  /** stable across runs: `<entity>:<sourceId | target:<targetId>>:<kind>` */
  key: string;
  /** null for a target-only entity (never in the source) */
  sourceId: string | null;
  /** null when the entity is created in this plan (the apply step looks it up through links) */
  targetId: string | null;
  /** held by deletion protection until an approver executes it */
  staged?: true;
  /** why the action exists when that is not obvious (offboarding, capability fallback) */
  reason?: string;
}

/**
 * `before` holds the target's current values (target ids); `after` the wished values, where every
 * reference (parentId, departmentIds, mainDepartmentId, managerId, leaderIds) is a SOURCE id and
 * null/[] means "the top level" (the plan's targetRootId, if any).
 */
export interface DepartmentAction extends ActionBase {
  entity: 'department';
  kind: DepartmentActionKind;
  before: Partial<DepartmentFields> | null;
  after: Partial<DepartmentFields> | null;
}

export interface UserAction extends ActionBase {
  entity: 'user';
  kind: UserActionKind;
  before: Partial<UserFields> | null;
  after: Partial<UserFields> | null;
}

export type PlanAction = DepartmentAction | UserAction;

/** An item the plan could not decide (ambiguous match, mapping error, missing capability): nothing is done. */
export interface PlanFailure {
  key: string;
  entity: EntityKind;
  sourceId: string | null;
  targetId: string | null;
  reason: string;
  /** target ids that matched equally well, for an ambiguous match */
  candidates?: string[];
}

/** A reference (manager, department leader) that cannot be set this run; later runs retry it. */
export interface DeferredReference {
  key: string;
  entity: EntityKind;
  sourceId: string;
  field: 'managerId' | 'leaderIds';
  /** the source ids that could not be resolved to a target entity */
  missingSourceIds: string[];
  reason: string;
}

export interface Plan {
  actions: PlanAction[];
  failed: PlanFailure[];
  deferred: DeferredReference[];
  /** matches adopted by the match rules this run; record them before applying */
  newLinks: Link[];
  targetRootId: string | null;
}

/** Looks up the target id of a source entity (links recorded so far, including this run's creates). */
export type TargetIdLookup = (entity: EntityKind, sourceId: string) => string | undefined;
