// Hub users: validated writes (each with its audit row), offboarding, paged and keyset reads.
import { and, asc, count, eq, gt, inArray, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import type { User, UserStatus } from '../../engine/model';
import type { Db } from '../client';
import { hubDepartments, hubUsers, syncTasks } from '../schema';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { defaultPageSize, type Page } from './hub-departments';
import { definedOnly, entityId, normalizeUser } from './hub-fields';
import { assertAllExist, departmentSubtree, findUser, findUserForUpdate, managerChain, toUser } from './hub-rows';
import type { HubWriteOptions, HubWriter } from './hub-writer';
import { jsonbArray, likePattern } from './sql';

export interface UserInput {
  /** omitted or '' → a fresh UUID */
  id?: string;
  username: string;
  name: string;
  email?: string | null;
  mobile?: string | null;
  employeeNumber?: string | null;
  title?: string | null;
  departmentIds?: string[];
  /** must be one of departmentIds */
  mainDepartmentId?: string | null;
  managerId?: string | null;
  status?: UserStatus;
  attributes?: Record<string, unknown>;
}

export type UserPatch = Partial<Omit<UserInput, 'id'>>;

/** A stored user with what only the row has (its source task, its times). */
export type UserRow = typeof hubUsers.$inferSelect;

export interface UserWriteOptions {
  /**
   * Runs inside the write's transaction on the row-locked stored user and may throw to refuse the
   * write (e.g. SCIM's If-Match): a check before the transaction could pass for two concurrent
   * writers at once.
   */
  precondition?: (before: User, tx: Db, row: UserRow) => Promise<void>;
  guard?: HubWriteOptions['guard'];
  /** group commit with concurrent writes of the same guard (hub-writer.ts), where the write may take the lock shared */
  group?: boolean;
}

export interface UserListQuery {
  departmentId?: string;
  /** with departmentId: also members of every department below it */
  includeSubDepartments?: boolean;
  status?: UserStatus;
  /** case-insensitive substring of username, name, email, mobile or employee number */
  q?: string;
  limit?: number;
  offset?: number;
}

export function userRepository(db: Db, write: HubWriter) {
  /** Everything about `next` that depends on other rows; `before` is the stored user on update. */
  async function checkReferences(tx: Db, next: User, before?: User, { unique = true }: { unique?: boolean } = {}): Promise<void> {
    await assertAllExist(tx, 'department', 'departmentIds', next.departmentIds);
    if (next.mainDepartmentId !== null && !next.departmentIds.includes(next.mainDepartmentId)) {
      throw new ValidationError('mainDepartmentId', `mainDepartmentId ${next.mainDepartmentId} must be one of departmentIds`);
    }
    if (next.managerId !== null && next.managerId !== before?.managerId) {
      if (next.managerId === next.id) throw new ValidationError('managerId', 'a user cannot be their own manager');
      const chain = await managerChain(tx, next.managerId);
      if (!chain.length) throw new ValidationError('managerId', `unknown manager ${next.managerId}`);
      if (chain.includes(next.id)) throw new ValidationError('managerId', `manager ${next.managerId} reports to this user: that would be a cycle`);
    }
    if (unique) await assertUnique(tx, next, before);
  }

  /** Names the first field another user already holds (username and email case-insensitively). */
  async function assertUnique(tx: Db, next: User, before?: User): Promise<void> {
    const checks: [field: string, changed: boolean, condition: SQL | undefined][] = [
      ['username', next.username.toLowerCase() !== before?.username.toLowerCase(), sql`lower(${hubUsers.username}) = ${next.username.toLowerCase()}`],
      ['email', !!next.email && next.email.toLowerCase() !== before?.email?.toLowerCase(), next.email ? sql`lower(${hubUsers.email}) = ${next.email.toLowerCase()}` : undefined],
      ['mobile', !!next.mobile && next.mobile !== before?.mobile, next.mobile ? eq(hubUsers.mobile, next.mobile) : undefined],
      ['employeeNumber', !!next.employeeNumber && next.employeeNumber !== before?.employeeNumber, next.employeeNumber ? eq(hubUsers.employeeNumber, next.employeeNumber) : undefined],
    ];
    const wanted = checks.filter(([, changed, condition]) => changed && condition !== undefined) as [string, boolean, SQL][];
    if (!wanted.length) return;
    // One indexed read for every field: each holder row says which of the values it holds.
    const holders = await tx
      .select({ holder: hubUsers.username, ...Object.fromEntries(wanted.map(([field, , condition]) => [`holds_${field}`, sql<boolean>`${condition}`])) })
      .from(hubUsers)
      .where(and(or(...wanted.map(([, , condition]) => condition)), ne(hubUsers.id, next.id)))
      .limit(wanted.length);
    for (const [field] of wanted) {
      const holder = holders.find((row) => (row as Record<string, unknown>)[`holds_${field}`] === true);
      if (holder) throw new ConflictError(`${field} is already used by user ${holder.holder}`, field);
    }
  }

  /** An update that turned out to change a manager: its cycle check needs the lock exclusively. */
  class NeedsExclusiveLock extends Error {}

  async function saveUpdate(tx: Db, before: User, next: User, action: string | 'update-or-offboard') {
    const { id, ...changes } = next;
    const [row] = await tx.update(hubUsers).set({ ...changes, updatedAt: sql`now()` }).where(eq(hubUsers.id, id)).returning();
    const entry = (name: string, from: User, to: User) => ({ action: name, entityType: 'user', entityId: id, before: from, after: to });
    let audit = [entry(action, before, next)];
    if (action === 'update-or-offboard') {
      // An offboarding with other changes is two audited steps in one write: the update, then the offboarding.
      const offboards = before.status === 'active' && next.status === 'disabled';
      const updated = { ...next, status: before.status };
      if (!offboards) audit = [entry('user.update', before, next)];
      else audit = JSON.stringify(updated) === JSON.stringify(before) ? [entry('user.offboard', before, next)] : [entry('user.update', before, updated), entry('user.offboard', updated, next)];
    }
    return { result: row, audit, events: [{ entity: 'user' as const, id, kind: 'updated' as const }] };
  }

  /** `sourceTaskId`: the upstream task creating this person; `uniqueByIndex`: no duplicate read first, the unique indexes decide (ConflictError naming the field all the same). */
  async function create(input: UserInput, actor: string, options: { sourceTaskId?: string; uniqueByIndex?: boolean; guard?: HubWriteOptions['guard']; group?: boolean }): Promise<UserRow> {
    const user = normalizeUser({ ...input }, entityId(input.id));
    // A new person is referenced by nobody yet, so no concurrent shared write can make a check of theirs wrong.
    return write(
      actor,
      async (tx) => {
        // A generated UUID cannot be taken; a given id may be.
        if (input.id && (await findUser(tx, user.id))) throw new ConflictError(`user ${user.id} already exists`, 'id');
        await checkReferences(tx, user, undefined, { unique: !options.uniqueByIndex });
        const [row] = await tx.insert(hubUsers).values({ ...user, sourceTaskId: options.sourceTaskId ?? null }).returning();
        return {
          result: row,
          audit: { action: 'user.create', entityType: 'user', entityId: user.id, before: null, after: user },
          events: [{ entity: 'user', id: user.id, kind: 'created' }],
        };
      },
      // one lane per userName: identical creates share a group, where one wins and the others are 409
      { lock: 'shared', guard: options.guard, group: options.group, lane: `username:${user.username.toLowerCase()}` },
    );
  }

  /** `offboarding`: a change to disabled is audited as an offboarding (after the update of any other field). */
  async function update(id: string, patch: UserPatch | ((before: User, tx: Db) => UserPatch | Promise<UserPatch>), actor: string, options: UserWriteOptions & { offboarding?: boolean }): Promise<UserRow> {
    const attempt = (lock: 'shared' | 'exclusive') =>
      write(
        actor,
        async (tx) => {
          const [locked] = await tx.select().from(hubUsers).where(eq(hubUsers.id, id)).for('update');
          if (!locked) throw new NotFoundError('user', id);
          const before = toUser(locked);
          await options.precondition?.(before, tx, locked);
          // A patch given as a function is computed from the row-locked user: a change relative to
          // what is stored (join a department) cannot undo a concurrent one (join another).
          const next = normalizeUser({ ...before, ...definedOnly(typeof patch === 'function' ? await patch(before, tx) : patch) }, id);
          if (JSON.stringify(next) === JSON.stringify(before)) return { result: locked };
          // Two manager changes side by side could each pass the cycle check and close a cycle together.
          if (lock === 'shared' && next.managerId !== before.managerId) throw new NeedsExclusiveLock();
          await checkReferences(tx, next, before);
          return saveUpdate(tx, before, next, options.offboarding ? 'update-or-offboard' : 'user.update');
        },
        { lock, guard: options.guard, group: options.group, lane: `user:${id}` },
      );
    try {
      return await attempt('shared');
    } catch (error) {
      if (!(error instanceof NeedsExclusiveLock)) throw error;
      return attempt('exclusive');
    }
  }

  return {
    /** `sourceTaskId`: the upstream task creating this person, who then belongs to it (absent: no source, e.g. the API). */
    async createUser(input: UserInput, actor: string, options: { sourceTaskId?: string } = {}): Promise<User> {
      return toUser(await create(input, actor, options));
    },

    /** createUser answering with the stored row (a caller that shows its times reads nothing more). */
    createUserRow: create,

    async updateUser(id: string, patch: UserPatch | ((before: User, tx: Db) => UserPatch | Promise<UserPatch>), actor: string, options: UserWriteOptions = {}): Promise<User> {
      return toUser(await update(id, patch, actor, options));
    },

    /** updateUser answering with the stored row; `offboarding` audits a change to disabled as an offboarding, in the same write. */
    updateUserRow: update,

    /** Disables the account; offboarding a disabled user changes nothing and writes no audit row. */
    async offboard(id: string, actor: string): Promise<User> {
      return write(
        actor,
        async (tx) => {
          const before = await findUserForUpdate(tx, id);
          if (!before) throw new NotFoundError('user', id);
          if (before.status === 'disabled') return { result: before };
          const saved = await saveUpdate(tx, before, { ...before, status: 'disabled' }, 'user.offboard');
          return { ...saved, result: toUser(saved.result) };
        },
        { lock: 'shared' },
      );
    },

    /** Refuses (ConflictError, naming them) while the user manages someone or leads a department. */
    async deleteUser(id: string, actor: string, options: UserWriteOptions = {}): Promise<User> {
      return write(actor, async (tx) => {
        const [row] = await tx.select().from(hubUsers).where(eq(hubUsers.id, id));
        if (!row) throw new NotFoundError('user', id);
        const before = toUser(row);
        // The lock is exclusive: no other hub write runs until this one ends.
        await options.precondition?.(before, tx, row);
        const [reports, led] = await Promise.all([
          tx.select({ username: hubUsers.username }).from(hubUsers).where(eq(hubUsers.managerId, id)).orderBy(asc(hubUsers.username)).limit(5),
          tx.select({ name: hubDepartments.name }).from(hubDepartments).where(sql`${hubDepartments.leaderIds} @> ${jsonbArray([id])}`).orderBy(asc(hubDepartments.name)).limit(5),
        ]);
        const reasons = [
          ...(reports.length ? [`manages ${reports.map((r) => r.username).join(', ')}`] : []),
          ...(led.length ? [`leads department ${led.map((d) => `"${d.name}"`).join(', ')}`] : []),
        ];
        if (reasons.length) throw new ConflictError(`user ${before.username} still ${reasons.join(' and ')}`);
        await tx.delete(hubUsers).where(eq(hubUsers.id, id));
        return {
          result: before,
          audit: { action: 'user.delete', entityType: 'user', entityId: id, before, after: null },
          events: [{ entity: 'user', id, kind: 'deleted' }],
        };
      }, { guard: options.guard });
    },

    /**
     * Hands a person to another upstream source (or to none: `null`), which from then on is the only
     * one that offboards them. The task must be a live upstream task.
     */
    async setUserSource(id: string, taskId: string | null, actor: string): Promise<{ id: string; sourceTaskId: string | null }> {
      return write(actor, async (tx) => {
        const [row] = await tx.select({ sourceTaskId: hubUsers.sourceTaskId }).from(hubUsers).where(eq(hubUsers.id, id));
        if (!row) throw new NotFoundError('user', id);
        if (taskId !== null) {
          const [task] = await tx.select({ direction: syncTasks.direction }).from(syncTasks).where(and(eq(syncTasks.id, taskId), isNull(syncTasks.deletedAt)));
          if (!task) throw new ValidationError('sourceTaskId', `no sync task ${taskId}`);
          if (task.direction !== 'upstream') throw new ValidationError('sourceTaskId', `task ${taskId} is downstream; only an upstream task can be a person's source`);
        }
        const result = { id, sourceTaskId: taskId };
        if (row.sourceTaskId === taskId) return { result };
        await tx.update(hubUsers).set({ sourceTaskId: taskId, updatedAt: sql`now()` }).where(eq(hubUsers.id, id));
        return { result, audit: { action: 'user.source', entityType: 'user', entityId: id, before: { sourceTaskId: row.sourceTaskId }, after: result } };
      });
    },

    async getUser(id: string): Promise<User> {
      const user = await findUser(db, id);
      if (!user) throw new NotFoundError('user', id);
      return user;
    },

    async listUsers(query: UserListQuery = {}): Promise<Page<User>> {
      const conditions: SQL[] = [];
      if (query.departmentId !== undefined) {
        const ids = query.includeSubDepartments ? await departmentSubtree(db, query.departmentId) : [query.departmentId];
        // jsonb containment per department keeps the GIN index usable
        conditions.push(or(...ids.map((d) => sql`${hubUsers.departmentIds} @> ${jsonbArray([d])}`)) ?? sql`false`);
      }
      if (query.status) conditions.push(eq(hubUsers.status, query.status));
      if (query.q) {
        const pattern = likePattern(query.q);
        const columns = [hubUsers.username, hubUsers.name, hubUsers.email, hubUsers.mobile, hubUsers.employeeNumber];
        conditions.push(or(...columns.map((c) => sql`${c} ilike ${pattern}`))!);
      }
      const where = conditions.length ? and(...conditions) : undefined;
      const limit = query.limit ?? defaultPageSize;
      const offset = query.offset ?? 0;
      const [rows, [{ total }]] = await Promise.all([
        db.select().from(hubUsers).where(where).orderBy(sql`lower(${hubUsers.username})`, asc(hubUsers.id)).limit(limit).offset(offset),
        db.select({ total: count() }).from(hubUsers).where(where),
      ]);
      return { items: rows.map(toUser), total, limit, offset };
    },

    /** Keyset page by id: pass the last id of the previous page (or null to start). */
    async listUsersPage(afterId: string | null, limit: number): Promise<User[]> {
      const rows = await db
        .select()
        .from(hubUsers)
        .where(afterId === null ? undefined : gt(hubUsers.id, afterId))
        .orderBy(asc(hubUsers.id))
        .limit(limit);
      return rows.map(toUser);
    },

    async getUsersByIds(ids: string[]): Promise<User[]> {
      if (!ids.length) return [];
      const rows = await db.select().from(hubUsers).where(inArray(hubUsers.id, [...new Set(ids)]));
      return rows.map(toUser);
    },
  };
}

export type UserRepository = ReturnType<typeof userRepository>;
