// The hub directory repository: departments and users with validation, audit and change events.
// Every write takes the actor for its audit row, runs in one transaction with that row, and
// reports ChangeEvents to `onChange` only after it committed.
import type { ChangeEvent } from '../../engine/model';
import type { Db } from '../client';
import { departmentRepository } from './hub-departments';
import { userRepository } from './hub-users';
import { createHubWriter, lockAndGuard, type ChangeOrigin, type HubWriteOptions, type HubWriterOptions } from './hub-writer';

export type { DepartmentInput, DepartmentListQuery, DepartmentPatch, Page } from './hub-departments';
export type { UserInput, UserListQuery, UserPatch } from './hub-users';
export type { ChangeListener, ChangeOrigin, HubWriteOptions } from './hub-writer';

export type HubDirectoryOptions = Omit<HubWriterOptions, 'joined'>;

function repositories(db: Db, options: HubWriterOptions) {
  const write = createHubWriter(db, options);
  return { ...departmentRepository(db, write), ...userRepository(db, write) };
}

export type HubRepositories = ReturnType<typeof repositories>;

export function createHubDirectory(db: Db, options: HubDirectoryOptions = {}) {
  return {
    ...repositories(db, options),
    /**
     * Several hub writes as one transaction, holding the hub write lock in `lock` mode from its start
     * (exclusive by default: a nested write may need it so, and a shared lock cannot be raised
     * without risking a deadlock), `guard` checked with it. `body` writes through the hub it is given and reads through `tx`;
     * their change events are reported after the commit, none if it rolls back.
     */
    async transaction<T>(body: (hub: HubRepositories, tx: Db) => Promise<T>, { lock = 'exclusive', guard }: HubWriteOptions = {}): Promise<T> {
      const written: [ChangeEvent[], ChangeOrigin | undefined][] = [];
      const result = await db.transaction(async (tx) => {
        await lockAndGuard(tx, { lock, guard });
        return body(repositories(tx, { joined: true, onChange: (events, origin) => void written.push([events, origin]) }), tx);
      });
      for (const [events, origin] of written) {
        try {
          await options.onChange?.(events, origin);
        } catch (error) {
          options.onChangeError?.(error, events);
        }
      }
      return result;
    },
  };
}

export type HubDirectory = ReturnType<typeof createHubDirectory>;
